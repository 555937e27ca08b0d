import { newId } from '@app/db/ids';
import type { Tx } from '@app/db/with-tenant';
import { jobs } from '../jobs/catalogue';
import type { AccrualWrite } from './write-accrual';

/**
 * `writeAccrual` for several conversions at once (the batched accrual): every
 * conversion's commission rows, its accrual record, a `commission.created` event per
 * affiliate line and the events' dispatch jobs — in ONE statement for the whole batch,
 * which runs under the merchant's funds lock.
 */
export async function writeAccruals(tx: Tx, tenantId: string, writes: readonly AccrualWrite[]): Promise<void> {
  if (writes.length === 0) return;
  const rows = writes.flatMap((w) =>
    w.commissions.map((c) => ({
      id: c.id,
      merchant_id: w.merchantId,
      program_id: w.programId,
      conversion_id: w.conversionId,
      affiliate_id: c.affiliateId,
      source_affiliate_id: w.affiliateId,
      kind: c.kind,
      line_key: c.lineKey,
      bonus_key: c.bonusKey,
      amount: c.amount.toString(),
      currency: w.currency,
      status: c.status,
      rate_bps: c.rateBps,
      flat: c.flat.toString(),
      tier_step: c.tierStep,
      basis: c.basis.toString(),
      plan_version_id: w.planVersionId,
      pending_transfer_id: c.pendingTransferId,
      hold_until: w.holdUntil.toISOString(),
      reason: c.reason,
      created_at: w.createdAt.toISOString(),
    })),
  );
  const accruals = writes.map((w) => ({
    conversion_id: w.conversionId,
    merchant_id: w.merchantId,
    program_id: w.programId,
    affiliate_id: w.affiliateId,
    plan_version_id: w.planVersionId,
    occurred_at: w.occurredAt.toISOString(),
    merchant_total: w.merchantTotal.toString(),
    explain: w.explain,
  }));
  const events = writes.flatMap((w) =>
    w.commissions
      .filter((c) => c.kind !== 'network_fee')
      .map((c) => {
        const eventId = newId('event');
        return {
          id: eventId,
          outbox_id: newId('outbox'),
          subject_id: c.id,
          dispatch: jobs['events.dispatch'].payload.parse({ eventId }),
          payload: {
            commissionId: c.id,
            conversionId: c.conversionId,
            programId: c.programId,
            affiliateId: c.affiliateId,
            kind: c.kind,
            amount: Number(c.amount),
            currency: c.currency,
            status: c.status,
          },
        };
      }),
  );
  await tx.$executeRaw`
    WITH lines AS (
      INSERT INTO commissions (id, tenant_id, merchant_id, program_id, conversion_id, affiliate_id, source_affiliate_id, kind, line_key, bonus_key,
                               amount, currency, status, rate_bps, flat, tier_step, basis, plan_version_id, pending_transfer_id, hold_until, reason,
                               created_at, updated_at)
      SELECT r.id, ${tenantId}, r.merchant_id, r.program_id, r.conversion_id, r.affiliate_id, r.source_affiliate_id, r.kind, r.line_key,
             r.bonus_key, r.amount, r.currency, r.status, r.rate_bps, r.flat, r.tier_step, r.basis, r.plan_version_id,
             r.pending_transfer_id, r.hold_until, r.reason, r.created_at, r.created_at
        FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r(id text, merchant_id text, program_id text, conversion_id text, affiliate_id text,
             source_affiliate_id text, kind text, line_key text, bonus_key text, amount bigint, currency text, status text, rate_bps integer, flat bigint,
             tier_step integer, basis bigint, plan_version_id text, pending_transfer_id text, hold_until timestamptz, reason text, created_at timestamptz)
      RETURNING id),
    accrual AS (
      INSERT INTO conversion_accruals (conversion_id, tenant_id, merchant_id, program_id, affiliate_id, outcome, plan_version_id, occurred_at,
                                       merchant_total, explain)
      SELECT a.conversion_id, ${tenantId}, a.merchant_id, a.program_id, a.affiliate_id, 'accrued', a.plan_version_id, a.occurred_at,
             a.merchant_total, a.explain
        FROM jsonb_to_recordset(${JSON.stringify(accruals)}::jsonb) AS a(conversion_id text, merchant_id text, program_id text, affiliate_id text,
             plan_version_id text, occurred_at timestamptz, merchant_total bigint, explain jsonb)
      RETURNING conversion_id),
    events AS (
      INSERT INTO domain_events (id, tenant_id, type, subject_type, subject_id, payload)
      SELECT e.id, ${tenantId}, 'commission.created', 'commission', e.subject_id, e.payload
        FROM jsonb_to_recordset(${JSON.stringify(events)}::jsonb) AS e(id text, subject_id text, payload jsonb)
      RETURNING id)
    INSERT INTO outbox (id, tenant_id, topic, payload)
    SELECT e.outbox_id, ${tenantId}, 'events.dispatch', e.dispatch
      FROM jsonb_to_recordset(${JSON.stringify(events)}::jsonb) AS e(outbox_id text, dispatch jsonb)`;
}
