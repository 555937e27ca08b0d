import type { PrismaClient } from '@app/db/client';
import { type Tx, withTenant } from '@app/db/with-tenant';
import { recordEvent } from '../events/record-event';
import { createTransfers } from '../ledger/create-transfers';
import type { DirectTransferInput, VoidPendingInput } from '../ledger/transfer-input';
import { notFound } from '../shared/errors';
import { roundDiv } from '../shared/money';
import { type LockedCommission, resumeWhereHeld, toLocked } from './commission-decisions';

export interface ReverseOutcome {
  refundId: string;
  /** Commissions whose reversed amount grew now (none on a repeat). */
  changed: { id: string; status: string; reversed: number; reversedAmount: number }[];
}

/**
 * The reversal job (`commissions.reverse { refundId }`): takes back from a refunded
 * conversion's commission lines their share of the refund (docs/commissions.md).
 *
 * Each line's share is cumulative: after the refunds applied up to and including this
 * one (by refund id), the line has lost round(amount × refunded / sale amount) — the
 * one rounding rule — or all of it once the sale is refunded in full (a lead: always
 * in full). `reversed_amount` keeps what was taken so far; only the difference moves,
 * so running a job twice, or the jobs of two refunds in any order, never takes back
 * more than the line, nor twice.
 *
 * - pending: a full reversal voids the reservation (status `reversed`); a partial one
 *   only records the share, and the approval posts the remainder (the rest of the
 *   reservation goes back to the merchant then, or at once on a rejection);
 * - awaiting_funds: the share is recorded without the ledger; in full, `reversed`;
 * - approved or paid: a clawback, single-phase, from the affiliate's earnings (or the
 *   network's fee revenue) back to the merchant's prepaid account — the affiliate's
 *   balance may go below zero and nets against the next payout; in full, `reversed`;
 * - rejected, reversed: nothing.
 *
 * Bonus lines (a bonus, its share and its fee) stay: a bonus pays for reaching a count
 * in a period, not for this sale's amount.
 *
 * Ledger keys `reverse:<refundId>:<commissionId>`. The conversion row is locked first (the
 * accrual's lock): a reversal that runs before the accrual finds no commissions, and the
 * accrual schedules this job again once they exist.
 */
export async function reverseCommissions(prisma: PrismaClient, tenantId: string, refundId: string): Promise<ReverseOutcome> {
  return withTenant(prisma, tenantId, async (tx) => reverseInTx(tx, tenantId, refundId), { timeoutMs: 30_000 });
}

async function reverseInTx(tx: Tx, tenantId: string, refundId: string): Promise<ReverseOutcome> {
  const outcome: ReverseOutcome = { refundId, changed: [] };
  const refund = await tx.conversionRefund.findUnique({ where: { id: refundId } });
  if (!refund) throw notFound('Refund', refundId);
  // A refund waiting for its sale is applied (and this job scheduled again) when the sale arrives.
  if (refund.status !== 'applied' || refund.conversionId === null) return outcome;
  await tx.$queryRaw`SELECT id FROM conversions WHERE id = ${refund.conversionId} FOR UPDATE`;
  const conversion = await tx.conversion.findUniqueOrThrow({ where: { id: refund.conversionId }, select: { id: true, amount: true } });
  const applied = await tx.conversionRefund.findMany({
    where: { conversionId: conversion.id, status: 'applied', id: { lte: refundId } },
    select: { appliedAmount: true },
  });
  const refunded = applied.reduce((sum, r) => sum + (r.appliedAmount ?? 0n), 0n);
  const saleAmount = conversion.amount ?? 0n;
  const full = saleAmount <= 0n || refunded >= saleAmount;

  const rows = (
    await tx.$queryRaw<Parameters<typeof toLocked>[0][]>`
      SELECT id, merchant_id, program_id, conversion_id, affiliate_id, kind, bonus_key, amount, reversed_amount, currency, status, pending_transfer_id
        FROM commissions WHERE conversion_id = ${conversion.id} AND bonus_key IS NULL
       ORDER BY id FOR UPDATE`
  ).map(toLocked);

  const plans: { row: LockedCommission; target: bigint; delta: bigint }[] = [];
  for (const row of rows) {
    if (!['pending', 'awaiting_funds', 'approved', 'paid'].includes(row.status)) continue;
    const share = full ? row.amount : roundDiv(row.amount * refunded, saleAmount);
    const target = share > row.amount ? row.amount : share;
    const delta = target - row.reversedAmount;
    if (delta > 0n) plans.push({ row, target, delta });
  }
  if (plans.length === 0) return outcome;

  // The accounts of approved lines' clawbacks: their reservation's, the other way round.
  const approvedPending = plans.filter((p) => p.row.status === 'approved' || p.row.status === 'paid').map((p) => p.row.pendingTransferId!);
  const reservations = new Map(
    (await tx.ledgerTransfer.findMany({ where: { id: { in: approvedPending } }, select: { id: true, debitAccountId: true, creditAccountId: true } })).map(
      (t) => [t.id, t],
    ),
  );
  const inputs: (DirectTransferInput | VoidPendingInput)[] = [];
  for (const { row, target, delta } of plans) {
    const key = `reverse:${refundId}:${row.id}`;
    const userData = { commissionId: row.id, conversionId: row.conversionId, refundId, kind: row.kind };
    if (row.status === 'pending' && target === row.amount) {
      inputs.push({ kind: 'void_pending', pendingId: row.pendingTransferId!, idempotencyKey: key, code: 'reversal', userData });
    } else if (row.status === 'approved' || row.status === 'paid') {
      const reservation = reservations.get(row.pendingTransferId!)!;
      inputs.push({
        kind: 'single_phase',
        debitAccountId: reservation.creditAccountId,
        creditAccountId: reservation.debitAccountId,
        amount: delta,
        currency: row.currency,
        idempotencyKey: key,
        code: 'clawback',
        userData,
      });
    }
  }
  const outcomes = await createTransfers(tx, tenantId, inputs);
  const refused = outcomes.find((o) => o.status === 'refused');
  if (refused && refused.status === 'refused') throw refused.error;

  const updates = plans.map(({ row, target }) => ({
    id: row.id,
    reversed: target.toString(),
    status: target === row.amount ? 'reversed' : row.status,
  }));
  await tx.$executeRaw`
    UPDATE commissions c
       SET reversed_amount = u.reversed, status = u.status,
           reason = CASE WHEN u.status = 'reversed' THEN 'conversion_refunded' ELSE c.reason END, updated_at = now()
      FROM jsonb_to_recordset(${JSON.stringify(updates)}::jsonb) AS u(id text, reversed bigint, status text)
     WHERE c.id = u.id`;
  for (const { row, target, delta } of plans) {
    const status = target === row.amount ? 'reversed' : row.status;
    outcome.changed.push({ id: row.id, status, reversed: Number(delta), reversedAmount: Number(target) });
    if (row.affiliateId === null) continue;
    await recordEvent(tx, {
      tenantId,
      type: 'commission.reversed',
      subjectType: 'commission',
      subjectId: row.id,
      payload: {
        commissionId: row.id,
        conversionId: row.conversionId,
        affiliateId: row.affiliateId,
        refundId,
        amount: Number(delta),
        reversedAmount: Number(target),
        currency: row.currency,
        status,
        clawback: row.status === 'approved' || row.status === 'paid',
      },
    });
  }
  // A void freed reserved funds, or a waiting line was closed: a held merchant may resume.
  const freed = plans.filter((p) => p.target === p.row.amount && (p.row.status === 'pending' || p.row.status === 'awaiting_funds')).map((p) => p.row);
  if (freed.length > 0) await resumeWhereHeld(tx, tenantId, freed);
  return outcome;
}
