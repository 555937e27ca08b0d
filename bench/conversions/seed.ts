import { randomBytes } from 'node:crypto';
import { createPrisma } from '../../packages/db/src/client';
import { clickIdAt, newId } from '../../packages/db/src/ids';
import { withTenant } from '../../packages/db/src/with-tenant';
import { hashToken } from '../../packages/domain/src/auth/refresh-tokens';
import { createTransfer } from '../../packages/domain/src/ledger/create-transfer';
import { ensureAccount } from '../../packages/domain/src/ledger/ensure-account';
import { pg } from '../lib/deps';
import { insertMany } from '../lib/postgres';

/**
 * What a merchant's conversions need, written straight into a migrated database with the
 * owner connection (as bench/clicks/seed.ts does): one network, one merchant with a secret
 * API key, one active EUR program with a commission plan, affiliates approved in it (each
 * with a link, a user who has logged in, and some with a coupon), clicks stored as the
 * click consumer stores them, a USD→EUR rate, returning customers already bound to an
 * affiliate by an earlier attributed conversion, and a prepaid balance large enough that
 * every commission is reserved (the accrual job's usual path, not awaiting funds).
 */
export interface ConversionSeedOptions {
  affiliates: number;
  couponAffiliates: number;
  clicks: number;
  returningCustomers: number;
}

export interface ConversionSeed {
  tenantId: string;
  merchantId: string;
  programId: string;
  /** The merchant's secret API key (sk_…). */
  secretKey: string;
  /** Stored clicks (ids), within the program's 30-day window. */
  clickIds: string[];
  /** Click ids of the right shape, older than the attribution's storage grace, never stored. */
  unknownClickIds: string[];
  couponCodes: string[];
  /** External ids of customers bound to an affiliate by an earlier conversion. */
  returningCustomers: string[];
}

const DAY = 86_400_000;

export async function seedConversions(ownerUrl: string, appUrl: string, o: ConversionSeedOptions): Promise<ConversionSeed> {
  const seeded = await writeRows(ownerUrl, o);
  await topUp(appUrl, seeded.tenantId, seeded.merchantId, 100_000_000_000n);
  return seeded;
}

/** Credits the merchant's prepaid account from network cash, as a top-up does. */
async function topUp(appUrl: string, tenantId: string, merchantId: string, amount: bigint): Promise<void> {
  const prisma = createPrisma({ url: appUrl, poolSize: 1 });
  try {
    await withTenant(prisma, tenantId, async (tx) => {
      const cash = await ensureAccount(tx, tenantId, { kind: 'network_cash', currency: 'EUR' });
      const prepaid = await ensureAccount(tx, tenantId, { kind: 'merchant_prepaid', ownerId: merchantId, currency: 'EUR' });
      await createTransfer(tx, tenantId, {
        kind: 'single_phase',
        debitAccountId: cash.id,
        creditAccountId: prepaid.id,
        amount,
        currency: 'EUR',
        idempotencyKey: `top_up:${newId('topUp')}`,
        code: 'top_up',
      });
    });
  } finally {
    await prisma.$disconnect();
  }
}

async function writeRows(ownerUrl: string, o: ConversionSeedOptions): Promise<ConversionSeed> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    const tenantId = newId('tenant');
    await client.query("INSERT INTO tenants (id, slug, name, default_currency) VALUES ($1, 'bench-conversions', 'Bench network', 'EUR')", [tenantId]);
    const merchantId = newId('merchant');
    await client.query("INSERT INTO merchants (id, tenant_id, name, default_currency) VALUES ($1, $2, 'Bench shoes', 'EUR')", [merchantId, tenantId]);
    const secretKey = `sk_${randomBytes(24).toString('base64url')}`;
    await client.query("INSERT INTO api_keys (id, tenant_id, merchant_id, type, name, prefix, key_hash) VALUES ($1, $2, $3, 'secret', 'bench', $4, $5)", [
      newId('apiKey'),
      tenantId,
      merchantId,
      secretKey.slice(0, 10),
      hashToken(secretKey),
    ]);
    const programId = newId('program');
    await client.query(
      `INSERT INTO programs (id, tenant_id, merchant_id, name, landing_url, allowed_domains, currency, status, visibility, enrollment_mode)
       VALUES ($1, $2, $3, 'Shoes', 'https://shoes.example/', '{shoes.example}', 'EUR', 'active', 'public', 'auto')`,
      [programId, tenantId, merchantId],
    );
    await client.query('INSERT INTO program_plan_versions (id, tenant_id, program_id, version, plan, effective_from) VALUES ($1, $2, $3, 1, $4, $5)', [
      newId('planVersion'),
      tenantId,
      programId,
      JSON.stringify({ lead: { flat: 200 }, sale: { percentBps: 1000 }, recurring: { percentBps: 500, months: 12 } }),
      new Date(Date.now() - 365 * DAY),
    ]);
    await client.query(
      "INSERT INTO fx_rates (id, tenant_id, from_currency, to_currency, rate_nano, effective_from) VALUES ($1, $2, 'USD', 'EUR', 920000000, $3)",
      [newId('fxRate'), tenantId, new Date(Date.now() - 365 * DAY)],
    );

    const affiliates: { id: string; linkId: string }[] = [];
    const affRows: unknown[][] = [];
    const enrRows: unknown[][] = [];
    const linkRows: unknown[][] = [];
    const userRows: unknown[][] = [];
    const memberRows: unknown[][] = [];
    const sessionRows: unknown[][] = [];
    for (let a = 0; a < o.affiliates; a++) {
      const id = newId('affiliate');
      const enrollmentId = newId('enrollment');
      const linkId = newId('link');
      const userId = newId('user');
      affiliates.push({ id, linkId });
      affRows.push([id, tenantId, `Partner ${a}`, `partner${a}@pub.example`]);
      enrRows.push([enrollmentId, tenantId, programId, id]);
      linkRows.push([linkId, tenantId, programId, id, enrollmentId, `bc${a}${randomBytes(4).toString('hex')}`, 'https://shoes.example/', true]);
      userRows.push([userId, tenantId, `partner${a}@pub.example`, `Partner ${a}`, 'x']);
      memberRows.push([newId('membership'), tenantId, userId, id]);
      sessionRows.push([newId('session'), tenantId, userId, newId('session'), randomBytes(16).toString('hex'), new Date(Date.now() + 30 * DAY), ip(a)]);
    }
    await insertMany(client, 'affiliates', ['id', 'tenant_id', 'name', 'email'], affRows);
    await insertMany(client, 'enrollments', ['id', 'tenant_id', 'program_id', 'affiliate_id'], enrRows, { status: 'approved' });
    await insertMany(client, 'links', ['id', 'tenant_id', 'program_id', 'affiliate_id', 'enrollment_id', 'code', 'destination_url', 'is_default'], linkRows);
    await insertMany(client, 'users', ['id', 'tenant_id', 'email', 'name', 'password_hash'], userRows);
    await insertMany(client, 'memberships', ['id', 'tenant_id', 'user_id', 'affiliate_id'], memberRows, { scope: 'affiliate', role: 'owner' });
    await insertMany(client, 'auth_sessions', ['id', 'tenant_id', 'user_id', 'family_id', 'token_hash', 'expires_at', 'ip'], sessionRows);

    const couponCodes: string[] = [];
    const couponRows: unknown[][] = [];
    for (let c = 0; c < o.couponAffiliates; c++) {
      const code = `BENCH${c}`;
      couponCodes.push(code);
      couponRows.push([newId('coupon'), tenantId, programId, affiliates[c % affiliates.length]!.id, code, code]);
    }
    await insertMany(client, 'coupons', ['id', 'tenant_id', 'program_id', 'affiliate_id', 'code', 'code_normalized'], couponRows);

    // Clicks of the last 20 days, as the consumer stores them (partitions first).
    const now = Date.now();
    await client.query('SELECT ensure_click_partitions($1::date, 3)', [new Date(now - 25 * DAY)]);
    const clickIds: string[] = [];
    const clickRows: unknown[][] = [];
    for (let i = 0; i < o.clicks; i++) {
      const at = now - 60_000 - Math.floor(Math.random() * 20 * DAY);
      const id = clickIdAt(at);
      const aff = affiliates[i % affiliates.length]!;
      clickIds.push(id);
      clickRows.push([
        id,
        tenantId,
        new Date(at),
        programId,
        aff.id,
        aff.linkId,
        `v${i}`,
        randomBytes(16).toString('hex'),
        'desktop',
        'https://shoes.example/',
        true,
        i % 50 !== 0,
        i % 10 === 0 ? 'newsletter' : null,
      ]);
    }
    await insertMany(
      client,
      'clicks',
      [
        'id',
        'tenant_id',
        'clicked_at',
        'program_id',
        'affiliate_id',
        'link_id',
        'visitor_id',
        'ip_hash',
        'device',
        'landing_url',
        'is_unique',
        'billable',
        'sub1',
      ],
      clickRows,
    );
    const unknownClickIds = Array.from({ length: 1_000 }, () => clickIdAt(now - 2 * DAY - Math.floor(Math.random() * DAY)));

    // Returning customers: each bound to an affiliate by an earlier attributed sale.
    const returningCustomers: string[] = [];
    const customerRows: unknown[][] = [];
    const historyRows: unknown[][] = [];
    const bindingRows: unknown[][] = [];
    for (let c = 0; c < o.returningCustomers; c++) {
      const customerId = newId('customer');
      const conversionId = newId('conversion');
      const externalId = `cust-returning-${c}`;
      const aff = affiliates[c % affiliates.length]!;
      const boundAt = new Date(now - (1 + (c % 60)) * DAY);
      returningCustomers.push(externalId);
      customerRows.push([customerId, tenantId, merchantId, externalId]);
      historyRows.push([conversionId, tenantId, merchantId, programId, `history-${c}`, 4999, customerId, externalId, boundAt, aff.id, aff.linkId, boundAt]);
      bindingRows.push([newId('binding'), tenantId, customerId, programId, aff.id, aff.linkId, conversionId, boundAt, new Date(boundAt.getTime() + 365 * DAY)]);
    }
    await insertMany(client, 'customers', ['id', 'tenant_id', 'merchant_id', 'external_id'], customerRows);
    await insertMany(
      client,
      'conversions',
      [
        'id',
        'tenant_id',
        'merchant_id',
        'program_id',
        'external_id',
        'amount',
        'customer_id',
        'customer_external_id',
        'occurred_at',
        'affiliate_id',
        'link_id',
        'attributed_at',
      ],
      historyRows,
      { type: 'sale', source: 'api', currency: 'EUR', status: 'attributed', attribution: 'attributed', attribution_reason: 'click' },
    );
    await insertMany(
      client,
      'customer_bindings',
      ['id', 'tenant_id', 'customer_id', 'program_id', 'affiliate_id', 'link_id', 'conversion_id', 'bound_at', 'expires_at'],
      bindingRows,
    );
    await client.query('COMMIT');
    await client.query('ANALYZE');
    return { tenantId, merchantId, programId, secretKey, clickIds, unknownClickIds, couponCodes, returningCustomers };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    await client.end();
  }
}

function ip(n: number): string {
  return `203.0.${(n >> 8) & 255}.${n & 255}`;
}
