import { createPrisma } from '../../packages/db/src/client';
import { newId } from '../../packages/db/src/ids';
import { withTenant } from '../../packages/db/src/with-tenant';
import { createTransfer } from '../../packages/domain/src/ledger/create-transfer';
import { ensureAccount } from '../../packages/domain/src/ledger/ensure-account';
import { pg } from '../lib/deps';
import { insertMany } from '../lib/postgres';

/**
 * What the accrual bench needs, written straight into a migrated database with the owner
 * connection: one network; a hot merchant with one EUR program and `affiliates` approved
 * affiliates; `manyMerchants` other merchants, each with its own program and affiliates;
 * every merchant's prepaid account topped up through the ledger (network cash → prepaid,
 * a single-phase transfer, as a top-up does) with far more than its commissions need;
 * every affiliate's earnings account created (a busy merchant's affiliates have been paid
 * before); and attributed sales, stored as `conversions.attribute` leaves them (status and
 * attribution `attributed`, affiliate set) — without their `commissions.accrue` outbox rows,
 * which the bench writes when it starts each run.
 *
 * The plan pays 10 % of the sale with a monthly sales ladder (so the accrual reads the
 * affiliate's period counts under the (program, affiliate) lock) and no network fee: one
 * commission, one pending transfer per conversion.
 */
export const PLAN = {
  sale: { percentBps: 1000 },
  tiers: {
    metric: 'sales',
    period: 'month',
    steps: [
      { from: 0, percentBps: 1000 },
      { from: 1000, percentBps: 1200 },
    ],
  },
};

export interface BenchMerchant {
  merchantId: string;
  programId: string;
  prepaidId: string;
  affiliateIds: string[];
  earningsIds: string[];
  conversionIds: string[];
}

export interface AccrualSeed {
  tenantId: string;
  hot: BenchMerchant;
  many: BenchMerchant[];
}

const DAY = 86_400_000;

export async function seedAccrual(
  ownerUrl: string,
  appUrl: string,
  o: { conversions: number; affiliates: number; manyMerchants: number; manyConversions: number; manyAffiliates: number },
): Promise<AccrualSeed> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  const tenantId = newId('tenant');
  let hot: BenchMerchant;
  const many: BenchMerchant[] = [];
  try {
    await client.query('BEGIN');
    await client.query("INSERT INTO tenants (id, slug, name, default_currency) VALUES ($1, 'bench-accrual', 'Bench network', 'EUR')", [tenantId]);
    hot = await merchant(client, tenantId, 'hot', o.affiliates, o.conversions);
    const perMerchant = Math.ceil(o.manyConversions / Math.max(o.manyMerchants, 1));
    for (let m = 0; m < o.manyMerchants; m++) many.push(await merchant(client, tenantId, `m${m}`, o.manyAffiliates, perMerchant));
    await client.query('COMMIT');
    await client.query('ANALYZE');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    await client.end();
  }
  await fundAccounts(appUrl, tenantId, [hot, ...many]);
  return { tenantId, hot, many };
}

async function merchant(
  client: InstanceType<typeof pg.Client>,
  tenantId: string,
  name: string,
  affiliates: number,
  conversions: number,
): Promise<BenchMerchant> {
  const merchantId = newId('merchant');
  const programId = newId('program');
  await client.query("INSERT INTO merchants (id, tenant_id, name, default_currency) VALUES ($1, $2, $3, 'EUR')", [merchantId, tenantId, `Bench ${name}`]);
  await client.query(
    `INSERT INTO programs (id, tenant_id, merchant_id, name, landing_url, allowed_domains, currency, status, visibility, enrollment_mode)
     VALUES ($1, $2, $3, 'Shoes', 'https://shoes.example/', '{shoes.example}', 'EUR', 'active', 'public', 'auto')`,
    [programId, tenantId, merchantId],
  );
  await client.query('INSERT INTO program_plan_versions (id, tenant_id, program_id, version, plan, effective_from) VALUES ($1, $2, $3, 1, $4, $5)', [
    newId('planVersion'),
    tenantId,
    programId,
    JSON.stringify(PLAN),
    new Date(Date.now() - 365 * DAY),
  ]);
  const affiliateIds = Array.from({ length: affiliates }, () => newId('affiliate'));
  await insertMany(
    client,
    'affiliates',
    ['id', 'tenant_id', 'name', 'email'],
    affiliateIds.map((id, a) => [id, tenantId, `Partner ${name}-${a}`, `p${a}@${name}.bench.example`]),
  );
  await insertMany(
    client,
    'enrollments',
    ['id', 'tenant_id', 'program_id', 'affiliate_id'],
    affiliateIds.map((id) => [newId('enrollment'), tenantId, programId, id]),
    { status: 'approved' },
  );
  // Sales of the last hours (one month: the ladder's counts), attributed round robin.
  const now = Date.now();
  const conversionIds: string[] = [];
  const rows: unknown[][] = [];
  for (let i = 0; i < conversions; i++) {
    const id = newId('conversion');
    conversionIds.push(id);
    const at = new Date(now - 60_000 - ((i * 7_919) % 3_600_000));
    rows.push([id, tenantId, merchantId, programId, `bench-${name}-${i}`, 5_000 + (i % 50) * 100, at, affiliateIds[i % affiliates], at]);
  }
  await insertMany(
    client,
    'conversions',
    ['id', 'tenant_id', 'merchant_id', 'program_id', 'external_id', 'amount', 'occurred_at', 'affiliate_id', 'attributed_at'],
    rows,
    { type: 'sale', source: 'api', currency: 'EUR', status: 'attributed', attribution: 'attributed', attribution_reason: 'click' },
  );
  return { merchantId, programId, prepaidId: '', affiliateIds, earningsIds: [], conversionIds };
}

/** Top-ups through the ledger, and the affiliates' earnings accounts. */
async function fundAccounts(appUrl: string, tenantId: string, merchants: BenchMerchant[]): Promise<void> {
  const prisma = createPrisma({ url: appUrl, poolSize: 1 });
  try {
    await withTenant(
      prisma,
      tenantId,
      async (tx) => {
        const cash = await ensureAccount(tx, tenantId, { kind: 'network_cash', currency: 'EUR' });
        for (const m of merchants) {
          const prepaid = await ensureAccount(tx, tenantId, { kind: 'merchant_prepaid', ownerId: m.merchantId, currency: 'EUR' });
          m.prepaidId = prepaid.id;
          await createTransfer(tx, tenantId, {
            kind: 'single_phase',
            debitAccountId: cash.id,
            creditAccountId: prepaid.id,
            amount: 100_000_000_000n,
            currency: 'EUR',
            idempotencyKey: `top_up:${newId('topUp')}`,
            code: 'top_up',
          });
          for (const affiliateId of m.affiliateIds) {
            m.earningsIds.push((await ensureAccount(tx, tenantId, { kind: 'affiliate_earnings', ownerId: affiliateId, currency: 'EUR' })).id);
          }
        }
      },
      { timeoutMs: 300_000 },
    );
  } finally {
    await prisma.$disconnect();
  }
}
