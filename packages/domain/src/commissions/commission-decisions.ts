import type { Tx } from '@app/db/with-tenant';
import { recordEvent } from '../events/record-event';
import { createTransfers } from '../ledger/create-transfers';
import type { PostPendingInput, VoidPendingInput } from '../ledger/transfer-input';
import type { Actor } from '../shared/actor';
import { forbidden } from '../shared/errors';
import { enqueueAfterCommit } from '../shared/outbox';
import { memberMerchantIds, merchantRole, networkRole } from '../shared/policies';

/**
 * The shared core of approval, rejection and the approval sweep (docs/commissions.md,
 * "Approval, rejection and reversal"): commission rows locked FOR UPDATE in id order, one
 * ledger batch that posts (approval) or voids (rejection) their pending transfers, the
 * status change and one event per affiliate line. Two decisions on one commission wait
 * for each other on the row lock; the second sees the first's status and reports
 * `not_pending`. The ledger's one-resolution-per-pending-transfer backs that up.
 */

export type DecisionKind = 'approve' | 'reject';

export type DecisionResult = 'approved' | 'already_approved' | 'rejected' | 'already_rejected' | 'awaiting_funds' | 'not_pending' | 'not_found';

export interface LockedCommission {
  id: string;
  merchantId: string;
  programId: string;
  conversionId: string;
  affiliateId: string | null;
  kind: string;
  bonusKey: string | null;
  amount: bigint;
  reversedAmount: bigint;
  currency: string;
  status: string;
  pendingTransferId: string | null;
}

export interface Decision {
  kind: DecisionKind;
  /** Required for a rejection: shown to the affiliate. */
  reason: string | null;
  /** A user id, an API key id, or `system` (the sweep). */
  decidedBy: string;
}

export interface DecidedCommission {
  result: DecisionResult;
  status: string;
}

/** Roles that may approve and reject: a merchant's owner, admin and finance (its secret key acts as admin), and the network's. */
const DECIDERS = ['owner', 'admin', 'finance'] as const;

/** Whether the actor may decide the commissions of this merchant. */
export function mayDecide(actor: Actor, merchantId: string): boolean {
  if (actor.type === 'system') return true;
  const n = networkRole(actor);
  if (n && (DECIDERS as readonly string[]).includes(n)) return true;
  const m = merchantRole(actor, merchantId);
  return m !== null && (DECIDERS as readonly string[]).includes(m);
}

/** Refuses (403) an actor who could decide no merchant's commissions at all: a publishable key, an analyst, an affiliate. */
export function requireDecider(actor: Actor): void {
  if (actor.type === 'system') return;
  if (actor.type === 'api_key') {
    if (actor.keyType !== 'secret') throw forbidden('Approving and rejecting commissions needs a secret key (sk_…).');
    return;
  }
  const n = networkRole(actor);
  if (n && (DECIDERS as readonly string[]).includes(n)) return;
  if (memberMerchantIds(actor).some((id) => mayDecide(actor, id))) return;
  throw forbidden('Approving and rejecting commissions needs the role owner, admin or finance of the merchant or the network.');
}

export function decidedByOf(actor: Actor): string {
  return actor.type === 'user' ? actor.userId : actor.type === 'api_key' ? actor.keyId : 'system';
}

interface LockedRow {
  id: string;
  merchant_id: string;
  program_id: string;
  conversion_id: string;
  affiliate_id: string | null;
  kind: string;
  bonus_key: string | null;
  amount: bigint;
  reversed_amount: bigint;
  currency: string;
  status: string;
  pending_transfer_id: string | null;
}

/**
 * Locks the commissions (FOR UPDATE, in id order, so two decisions over overlapping sets
 * never deadlock) together with the network-fee lines that go with them: the fee of a
 * conversion goes with its primary commission, the fee of a bonus with the bonus. The
 * public API never lists fee lines, so a merchant approving a conversion's commission
 * approves the fee it is charged on it.
 */
export async function lockCommissions(tx: Tx, ids: readonly string[]): Promise<LockedCommission[]> {
  if (ids.length === 0) return [];
  const rows = await tx.$queryRaw<LockedRow[]>`
    WITH asked AS (SELECT id, conversion_id, kind, bonus_key FROM commissions WHERE id = ANY (${[...ids]}::text[])),
         wanted AS (
           SELECT id FROM asked
           UNION
           SELECT f.id FROM commissions f JOIN asked a ON a.conversion_id = f.conversion_id
            WHERE f.kind = 'network_fee' AND ((a.kind = 'primary' AND f.bonus_key IS NULL) OR (a.kind = 'bonus' AND f.bonus_key = a.bonus_key)))
    SELECT c.id, c.merchant_id, c.program_id, c.conversion_id, c.affiliate_id, c.kind, c.bonus_key, c.amount, c.reversed_amount, c.currency,
           c.status, c.pending_transfer_id
      FROM commissions c WHERE c.id IN (SELECT id FROM wanted)
     ORDER BY c.id FOR UPDATE OF c`;
  return rows.map(toLocked);
}

export function toLocked(r: LockedRow): LockedCommission {
  return {
    id: r.id,
    merchantId: r.merchant_id,
    programId: r.program_id,
    conversionId: r.conversion_id,
    affiliateId: r.affiliate_id,
    kind: r.kind,
    bonusKey: r.bonus_key,
    amount: BigInt(r.amount),
    reversedAmount: BigInt(r.reversed_amount),
    currency: r.currency.trim(),
    status: r.status,
    pendingTransferId: r.pending_transfer_id,
  };
}

/**
 * Applies one decision to commissions the caller has locked (`lockCommissions`, or the
 * sweep's own `FOR UPDATE SKIP LOCKED`): approval posts each pending transfer — only what
 * refunds left of it (`amount − reversed_amount`; the rest goes back to the merchant) —
 * and rejection voids it; a commission awaiting funds cannot be approved (there is no
 * reservation yet) and is rejected without the ledger. Everything else is answered as it
 * stands. One createTransfers batch for all. After a rejection that freed funds or closed
 * a waiting commission, the merchant's held commissions get a `commissions.resume`.
 */
export async function applyDecision(tx: Tx, tenantId: string, rows: readonly LockedCommission[], decision: Decision): Promise<Map<string, DecidedCommission>> {
  const out = new Map<string, DecidedCommission>();
  const toResolve: LockedCommission[] = [];
  const closeWithoutLedger: LockedCommission[] = [];
  for (const row of rows) {
    if (row.status === 'pending') toResolve.push(row);
    else if (row.status === 'awaiting_funds' && decision.kind === 'reject') closeWithoutLedger.push(row);
    else out.set(row.id, { result: standing(row.status, decision.kind), status: row.status });
  }

  const inputs: (PostPendingInput | VoidPendingInput)[] = toResolve.map((row) => {
    const common = { pendingId: row.pendingTransferId!, userData: { commissionId: row.id, conversionId: row.conversionId, kind: row.kind } };
    if (decision.kind === 'reject')
      return { kind: 'void_pending', ...common, idempotencyKey: `rejection:${row.id}`, code: 'rejection', reason: decision.reason };
    const remaining = row.amount - row.reversedAmount;
    return {
      kind: 'post_pending',
      ...common,
      amount: remaining < row.amount ? remaining : undefined,
      idempotencyKey: `approval:${row.id}`,
      code: 'approval',
    };
  });
  const outcomes = await createTransfers(tx, tenantId, inputs);
  const changed: LockedCommission[] = [...closeWithoutLedger];
  outcomes.forEach((outcome, i) => {
    const row = toResolve[i]!;
    // Refused only when the ledger already resolved the reservation some other way: the row lock makes that a bug, never a race.
    if (outcome.status === 'refused') out.set(row.id, { result: 'not_pending', status: row.status });
    else changed.push(row);
  });

  const newStatus = decision.kind === 'approve' ? 'approved' : 'rejected';
  if (changed.length > 0) {
    const ids = changed.map((r) => r.id);
    if (decision.kind === 'approve') {
      await tx.$executeRaw`
        UPDATE commissions SET status = 'approved', approved_at = now(), decided_by = ${decision.decidedBy}, updated_at = now()
         WHERE id = ANY (${ids}::text[])`;
    } else {
      await tx.$executeRaw`
        UPDATE commissions SET status = 'rejected', rejected_at = now(), decided_by = ${decision.decidedBy}, reason = ${decision.reason}, updated_at = now()
         WHERE id = ANY (${ids}::text[])`;
    }
    for (const row of changed) {
      out.set(row.id, { result: newStatus, status: newStatus });
      if (row.affiliateId === null) continue; // the network's fee is not an affiliate's commission
      await recordEvent(tx, {
        tenantId,
        type: decision.kind === 'approve' ? 'commission.approved' : 'commission.rejected',
        subjectType: 'commission',
        subjectId: row.id,
        payload: {
          commissionId: row.id,
          conversionId: row.conversionId,
          affiliateId: row.affiliateId,
          kind: row.kind,
          amount: Number(row.amount - row.reversedAmount),
          currency: row.currency,
          ...(decision.kind === 'reject' ? { reason: decision.reason } : {}),
        },
      });
    }
    if (decision.kind === 'reject') await resumeWhereHeld(tx, tenantId, changed);
  }
  return out;
}

function standing(status: string, kind: DecisionKind): DecisionResult {
  if (status === 'approved' || status === 'paid') return kind === 'approve' ? 'already_approved' : 'not_pending';
  if (status === 'rejected') return kind === 'reject' ? 'already_rejected' : 'not_pending';
  if (status === 'awaiting_funds') return 'awaiting_funds';
  return 'not_pending';
}

/**
 * Money freed (a void) or a waiting commission closed: if the merchant's programs in
 * that currency are held for funds, the waiting commissions may now be reserved, or the
 * hold lifted — `commissions.resume` does either (idempotent).
 */
export async function resumeWhereHeld(tx: Tx, tenantId: string, rows: readonly Pick<LockedCommission, 'merchantId' | 'currency'>[]): Promise<void> {
  const pairs = [...new Map(rows.map((r) => [`${r.merchantId}:${r.currency}`, r])).values()];
  for (const { merchantId, currency } of pairs) {
    const [held] = await tx.$queryRaw<{ held: boolean }[]>`
      SELECT EXISTS (SELECT 1 FROM programs WHERE merchant_id = ${merchantId} AND currency = ${currency} AND funds_hold_at IS NOT NULL) AS held`;
    if (held?.held) await enqueueAfterCommit(tx, tenantId, 'commissions.resume', { merchantId, currency });
  }
}
