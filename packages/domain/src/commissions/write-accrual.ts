import type { Commission, Prisma } from '@app/db/generated/prisma/client';
import { newId } from '@app/db/ids';
import type { Tx } from '@app/db/with-tenant';
import { jobs } from '../jobs/catalogue';

/** What the accrual decided for one conversion: its commission rows (already complete) and the accrual record. */
export interface AccrualWrite {
  tenantId: string;
  conversionId: string;
  merchantId: string;
  programId: string;
  affiliateId: string;
  planVersionId: string;
  occurredAt: Date;
  currency: string;
  holdUntil: Date;
  /** When the lines were decided (the database's clock under the funds lock): waiting ones are resumed in this order. */
  createdAt: Date;
  merchantTotal: bigint;
  explain: Prisma.InputJsonObject;
  commissions: Commission[];
}

/**
 * Writes the commission rows, the accrual record, a `commission.created` event for each
 * affiliate's line (the network's fee is not one) and the events' dispatch jobs — in ONE
 * statement, whatever the number of lines: the accrual holds the merchant's funds lock
 * while it writes, so every round trip saved is throughput for that merchant.
 */
export async function writeAccrual(tx: Tx, write: AccrualWrite): Promise<void> {
  const { tenantId } = write;
  const rows = write.commissions.map((c) => ({
    id: c.id,
    affiliate_id: c.affiliateId,
    kind: c.kind,
    line_key: c.lineKey,
    bonus_key: c.bonusKey,
    amount: c.amount.toString(),
    status: c.status,
    rate_bps: c.rateBps,
    flat: c.flat.toString(),
    tier_step: c.tierStep,
    basis: c.basis.toString(),
    pending_transfer_id: c.pendingTransferId,
    reason: c.reason,
  }));
  const events = write.commissions
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
    });
  await tx.$executeRaw`
    WITH lines AS (
      INSERT INTO commissions (id, tenant_id, merchant_id, program_id, conversion_id, affiliate_id, source_affiliate_id, kind, line_key, bonus_key,
                               amount, currency, status, rate_bps, flat, tier_step, basis, plan_version_id, pending_transfer_id, hold_until, reason,
                               created_at, updated_at)
      SELECT r.id, ${tenantId}, ${write.merchantId}, ${write.programId}, ${write.conversionId}, r.affiliate_id, ${write.affiliateId}, r.kind, r.line_key,
             r.bonus_key, r.amount, ${write.currency}, r.status, r.rate_bps, r.flat, r.tier_step, r.basis, ${write.planVersionId},
             r.pending_transfer_id, ${write.holdUntil}, r.reason, ${write.createdAt}, ${write.createdAt}
        FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r(id text, affiliate_id text, kind text, line_key text, bonus_key text,
             amount bigint, status text, rate_bps integer, flat bigint, tier_step integer, basis bigint, pending_transfer_id text, reason text)
      RETURNING id),
    accrual AS (
      INSERT INTO conversion_accruals (conversion_id, tenant_id, merchant_id, program_id, affiliate_id, outcome, plan_version_id, occurred_at,
                                       merchant_total, explain)
      VALUES (${write.conversionId}, ${tenantId}, ${write.merchantId}, ${write.programId}, ${write.affiliateId}, 'accrued', ${write.planVersionId},
              ${write.occurredAt}, ${write.merchantTotal}, ${JSON.stringify(write.explain)}::jsonb)
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
