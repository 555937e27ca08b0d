import type { PrismaClient } from '@app/db/client';
import { type Tx, withTenant } from '@app/db/with-tenant';
import type { CommissionKind } from './commission-types';
import { lockMerchantFunds, readFunds, releaseFundsHold } from './funds-hold';
import { commissionAccounts, type LineToReserve, type Reservation, reserveCommissions } from './reserve-commissions';

export interface ResumeOutcome {
  merchantId: string;
  currency: string;
  /** Commissions reserved now (awaiting_funds → pending). */
  reserved: number;
  /** Waiting commissions of refunded or rejected conversions, closed without money moving. */
  closed: number;
  /** Commissions still waiting (funds ran out again). */
  waiting: number;
  /** The programs whose hold was lifted (none waits any more). */
  releasedPrograms: string[];
}

interface WaitingRow {
  id: string;
  conversionId: string;
  kind: CommissionKind;
  affiliateId: string | null;
  amount: bigint;
  conversionStatus: string;
}

const BATCH = 200;

/**
 * Reserves a merchant's commissions waiting for funds in one currency, oldest first (the
 * order they were refused or queued in), each with its own pending transfer, until the
 * prepaid balance no longer covers the next conversion's lines: then it stops and the
 * hold stays. When none waits any more, the hold of the merchant's programs in that
 * currency is lifted (`balance.restored`). Run after a top-up (job `commissions.resume`).
 *
 * Each batch is one transaction under the merchant's funds lock, the lock every accrual
 * takes before it looks at the hold: an accrual that comes meanwhile either waits behind
 * the batch (and, the hold still on, queues after what waits) or runs once the hold is
 * lifted. Waiting commissions of a conversion refunded or rejected meanwhile are closed
 * (`reversed` / `rejected`) instead of reserved. Idempotent: a repeat finds nothing
 * waiting, or what the funds still do not cover.
 */
export async function resumeAwaitingFunds(
  prisma: PrismaClient,
  tenantId: string,
  merchantId: string,
  currency: string,
  options: { batchSize?: number } = {},
): Promise<ResumeOutcome> {
  const outcome: ResumeOutcome = { merchantId, currency, reserved: 0, closed: 0, waiting: 0, releasedPrograms: [] };
  const batchSize = Math.max(1, options.batchSize ?? BATCH);
  for (;;) {
    const step = await withTenant(prisma, tenantId, (tx) => resumeBatch(tx, tenantId, merchantId, currency, batchSize, outcome.reserved), {
      timeoutMs: 30_000,
    });
    outcome.reserved += step.reserved;
    outcome.closed += step.closed;
    if (step.done) {
      outcome.waiting = step.waiting;
      outcome.releasedPrograms = step.releasedPrograms;
      return outcome;
    }
  }
}

async function resumeBatch(
  tx: Tx,
  tenantId: string,
  merchantId: string,
  currency: string,
  batchSize: number,
  reservedBefore: number,
): Promise<{ reserved: number; closed: number; waiting: number; done: boolean; releasedPrograms: string[] }> {
  await lockMerchantFunds(tx, merchantId, currency);
  const rows = await tx.$queryRaw<WaitingRow[]>`
    SELECT c.id, c.conversion_id AS "conversionId", c.kind, c.affiliate_id AS "affiliateId", c.amount, v.status AS "conversionStatus"
      FROM commissions c JOIN conversions v ON v.id = c.conversion_id
     WHERE c.merchant_id = ${merchantId} AND c.currency = ${currency} AND c.status = 'awaiting_funds'
     ORDER BY c.created_at, c.conversion_id, c.id
     LIMIT ${batchSize}
       FOR UPDATE OF c`;
  const full = rows.length === batchSize;
  // A full batch may end inside a conversion: leave that conversion whole for the next one.
  const last = rows.at(-1)?.conversionId;
  const batch = full && rows.some((r) => r.conversionId !== last) ? rows.filter((r) => r.conversionId !== last) : rows;

  const dead = batch.filter((r) => r.conversionStatus === 'refunded' || r.conversionStatus === 'rejected');
  if (dead.length > 0) {
    await tx.$executeRaw`
      UPDATE commissions c
         SET status = CASE v.status WHEN 'rejected' THEN 'rejected' ELSE 'reversed' END,
             reason = CASE v.status WHEN 'rejected' THEN 'conversion_rejected' ELSE 'conversion_refunded' END, updated_at = now()
        FROM conversions v
       WHERE v.id = c.conversion_id AND c.id = ANY (${dead.map((r) => r.id)}) AND c.status = 'awaiting_funds'`;
  }
  const live: LineToReserve[] = batch
    .filter((r) => !dead.includes(r))
    .map((r) => ({ commissionId: r.id, conversionId: r.conversionId, kind: r.kind, affiliateId: r.affiliateId, amount: r.amount }));
  let reservation: Reservation = { reserved: new Map(), shortfall: null };
  if (live.length > 0) {
    const accounts = await commissionAccounts(tx, tenantId, merchantId, currency, live);
    const funds = await readFunds(tx, merchantId, currency, accounts.prepaid);
    reservation = await reserveCommissions(tx, tenantId, currency, accounts, live, funds.headroom);
  }
  if (reservation.reserved.size > 0) {
    const pairs = [...reservation.reserved].map(([id, transferId]) => ({ id, transfer_id: transferId }));
    await tx.$executeRaw`
      UPDATE commissions c SET status = 'pending', pending_transfer_id = r.transfer_id, reason = NULL, updated_at = now()
        FROM jsonb_to_recordset(${JSON.stringify(pairs)}::jsonb) AS r(id text, transfer_id text)
       WHERE c.id = r.id AND c.status = 'awaiting_funds'`;
  }
  const reserved = reservation.reserved.size;
  if (reservation.shortfall || reserved < live.length) {
    const [left] = await tx.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM commissions WHERE merchant_id = ${merchantId} AND currency = ${currency} AND status = 'awaiting_funds'`;
    return { reserved, closed: dead.length, waiting: left!.n, done: true, releasedPrograms: [] };
  }
  if (full) return { reserved, closed: dead.length, waiting: 0, done: false, releasedPrograms: [] };
  const releasedPrograms = await releaseFundsHold(tx, tenantId, merchantId, currency, reservedBefore + reserved);
  return { reserved, closed: dead.length, waiting: 0, done: true, releasedPrograms };
}
