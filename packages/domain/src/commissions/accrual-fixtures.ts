import type { PrismaClient } from '@app/db/client';
import { newId } from '@app/db/ids';
import { withTenant } from '@app/db/with-tenant';
import type pg from 'pg';
import { createTransfer } from '../ledger/create-transfer';
import { ensureAccount } from '../ledger/ensure-account';

/**
 * Test support for the accrual job's tests: a network with a merchant, a program with
 * plan versions, affiliates (one with a parent) enrolled in it, and attributed
 * conversions, written as the database owner the way attribution leaves them.
 */

export interface ProgramNetwork {
  tenantId: string;
  merchantId: string;
  programId: string;
  /** Plan version ids, oldest first. */
  versions: string[];
  parentId: string;
  /** Enrolled affiliates; the first has `parentId` as its parent. */
  affiliateIds: string[];
  groupId: string;
}

export interface NetworkOptions {
  /** Plan versions as [effectiveFrom, plan]; one version from 2020 when a bare plan is given. */
  plans: [Date, unknown][] | unknown;
  holdDays?: number;
  affiliates?: number;
  currency?: string;
}

export async function seedProgramNetwork(owner: pg.Pool, slug: string, options: NetworkOptions): Promise<ProgramNetwork> {
  const tenantId = newId('tenant');
  const merchantId = newId('merchant');
  const programId = newId('program');
  const parentId = newId('affiliate');
  const groupId = newId('group');
  const currency = options.currency ?? 'EUR';
  const affiliateIds = Array.from({ length: options.affiliates ?? 3 }, () => newId('affiliate'));
  await owner.query(`INSERT INTO tenants (id, slug, name, default_currency) VALUES ($1, $2, $2, 'EUR')`, [tenantId, slug]);
  await owner.query(`INSERT INTO merchants (id, tenant_id, name, default_currency) VALUES ($1, $2, 'Shoes', $3)`, [merchantId, tenantId, currency]);
  await owner.query(`INSERT INTO affiliates (id, tenant_id, name, email) VALUES ($1, $2, 'Parent', $3)`, [parentId, tenantId, `parent@${slug}.test`]);
  for (const [i, id] of affiliateIds.entries()) {
    await owner.query(`INSERT INTO affiliates (id, tenant_id, name, email, parent_affiliate_id) VALUES ($1, $2, $3, $4, $5)`, [
      id,
      tenantId,
      `Affiliate ${i}`,
      `a${i}@${slug}.test`,
      i === 0 ? parentId : null,
    ]);
  }
  await owner.query(
    `INSERT INTO programs (id, tenant_id, merchant_id, name, landing_url, currency, status, hold_days)
     VALUES ($1, $2, $3, 'Shoes', 'https://shoes.example/', $4, 'active', $5)`,
    [programId, tenantId, merchantId, currency, options.holdDays ?? 30],
  );
  const plans: [Date, unknown][] = Array.isArray(options.plans) ? (options.plans as [Date, unknown][]) : [[new Date('2020-01-01T00:00:00Z'), options.plans]];
  const versions: string[] = [];
  for (const [i, [effectiveFrom, plan]] of plans.entries()) {
    const id = newId('planVersion');
    versions.push(id);
    await owner.query(`INSERT INTO program_plan_versions (id, tenant_id, program_id, version, plan, effective_from) VALUES ($1, $2, $3, $4, $5, $6)`, [
      id,
      tenantId,
      programId,
      i + 1,
      JSON.stringify(plan),
      effectiveFrom,
    ]);
  }
  await owner.query(`INSERT INTO program_groups (id, tenant_id, program_id, name) VALUES ($1, $2, $3, 'VIP')`, [groupId, tenantId, programId]);
  for (const id of affiliateIds) {
    await owner.query(`INSERT INTO enrollments (id, tenant_id, program_id, affiliate_id, status) VALUES ($1, $2, $3, $4, 'approved')`, [
      newId('enrollment'),
      tenantId,
      programId,
      id,
    ]);
  }
  return { tenantId, merchantId, programId, versions, parentId, affiliateIds, groupId };
}

export interface ConversionSpec {
  affiliateId?: string | null;
  type?: 'lead' | 'sale';
  amount?: bigint | null;
  occurredAt?: Date;
  status?: 'received' | 'attributed' | 'unattributed' | 'refunded' | 'rejected';
  attribution?: 'pending' | 'attributed' | 'unattributed';
  items?: { sku: string; category?: string; amount: number; quantity: number }[];
  recurring?: boolean;
  bindingId?: string | null;
  refundedAmount?: bigint;
}

let seq = 0;

/** An attributed sale of 10,000 by the first affiliate unless told otherwise. */
export async function insertConversion(owner: pg.Pool, net: ProgramNetwork, spec: ConversionSpec = {}): Promise<string> {
  const id = newId('conversion');
  const type = spec.type ?? 'sale';
  const attribution = spec.attribution ?? 'attributed';
  const affiliateId = spec.affiliateId === undefined ? (attribution === 'attributed' ? net.affiliateIds[0]! : null) : spec.affiliateId;
  const amount = spec.amount === undefined ? (type === 'sale' ? 10_000n : null) : spec.amount;
  await owner.query(
    `INSERT INTO conversions (id, tenant_id, merchant_id, program_id, type, external_id, status, attribution, source, amount, currency,
                              refunded_amount, items, occurred_at, affiliate_id, recurring, binding_id, attribution_reason, attributed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'api', $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
    [
      id,
      net.tenantId,
      net.merchantId,
      net.programId,
      type,
      `order-${++seq}`,
      spec.status ?? (attribution === 'pending' ? 'received' : attribution),
      attribution,
      amount?.toString() ?? null,
      amount === null ? null : 'EUR',
      (spec.refundedAmount ?? 0n).toString(),
      JSON.stringify(spec.items ?? []),
      spec.occurredAt ?? new Date('2026-03-10T12:00:00Z'),
      affiliateId,
      spec.recurring ?? false,
      spec.bindingId ?? null,
      attribution === 'attributed' ? (spec.recurring ? 'customer' : 'click') : null,
      attribution === 'pending' ? null : new Date(),
    ],
  );
  return id;
}

/** A customer bound to the affiliate by a first sale at `boundAt`; returns the binding id. */
export async function bindCustomer(owner: pg.Pool, net: ProgramNetwork, affiliateId: string, boundAt: Date): Promise<string> {
  const customerId = newId('customer');
  await owner.query(`INSERT INTO customers (id, tenant_id, merchant_id, external_id) VALUES ($1, $2, $3, $4)`, [
    customerId,
    net.tenantId,
    net.merchantId,
    `cus-${++seq}`,
  ]);
  const first = await insertConversion(owner, net, { affiliateId, occurredAt: boundAt });
  const bindingId = newId('binding');
  await owner.query(
    `INSERT INTO customer_bindings (id, tenant_id, customer_id, program_id, affiliate_id, conversion_id, bound_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [bindingId, net.tenantId, customerId, net.programId, affiliateId, first, boundAt],
  );
  return bindingId;
}

/** Credits the merchant's prepaid account from network cash (a top-up). */
export async function topUp(prisma: PrismaClient, net: ProgramNetwork, amount: bigint, currency = 'EUR'): Promise<void> {
  await withTenant(prisma, net.tenantId, async (tx) => {
    const cash = await ensureAccount(tx, net.tenantId, { kind: 'network_cash', currency });
    const prepaid = await ensureAccount(tx, net.tenantId, { kind: 'merchant_prepaid', ownerId: net.merchantId, currency });
    await createTransfer(tx, net.tenantId, {
      kind: 'single_phase',
      debitAccountId: cash.id,
      creditAccountId: prepaid.id,
      amount,
      currency,
      idempotencyKey: `top_up:${newId('topUp')}`,
      code: 'top_up',
    });
  });
}

export interface CommissionRow {
  id: string;
  conversion_id: string;
  affiliate_id: string | null;
  source_affiliate_id: string;
  kind: string;
  line_key: string;
  bonus_key: string | null;
  amount: string;
  status: string;
  rate_bps: number | null;
  tier_step: number | null;
  basis: string;
  plan_version_id: string;
  pending_transfer_id: string | null;
  hold_until: Date;
  reason: string | null;
}

/** The network's commissions as the owner sees them, amounts as strings, in creation order. */
export async function commissionRows(owner: pg.Pool, tenantId: string, where = 'true', params: unknown[] = []): Promise<CommissionRow[]> {
  const { rows } = await owner.query<CommissionRow>(
    `SELECT id, conversion_id, affiliate_id, source_affiliate_id, kind, line_key, bonus_key, amount::text, status, rate_bps, tier_step,
            basis::text, plan_version_id, pending_transfer_id, hold_until, reason
       FROM commissions WHERE tenant_id = $1 AND (${where}) ORDER BY created_at, conversion_id, id`,
    [tenantId, ...params],
  );
  return rows;
}

/** The prepaid account's sums (posted credits, pending and posted debits) and available balance, as strings. */
export async function prepaidOf(owner: pg.Pool, net: ProgramNetwork): Promise<{ available: string; reserved: string; posted: string } | undefined> {
  const { rows } = await owner.query(
    `SELECT (credits_posted - debits_posted - debits_pending)::text AS available, debits_pending::text AS reserved,
            (credits_posted - debits_posted)::text AS posted
       FROM ledger_accounts WHERE tenant_id = $1 AND kind = 'merchant_prepaid' AND owner_id = $2`,
    [net.tenantId, net.merchantId],
  );
  return rows[0];
}
