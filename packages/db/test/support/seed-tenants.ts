import pg from 'pg';
import { newId } from '../../src/ids';

/** The ids written for one tenant by `seedTenant`, by table. */
export interface SeededTenant {
  id: string;
  slug: string;
  name: string;
  rows: Record<string, string[]>;
  apiKeyHash: string;
}

/**
 * Writes a tenant with rows in every tenant-owned table, as the database owner (a
 * superuser, which row-level security does not apply to), so that isolation tests
 * read data they did not write through the path under test.
 */
export async function seedTenant(ownerUrl: string, slug: string): Promise<SeededTenant> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  const id = newId('tenant');
  const rows: Record<string, string[]> = {};
  const insert = async (table: string, values: Record<string, unknown>) => {
    const keys = Object.keys(values);
    await client.query(
      `INSERT INTO ${pg.escapeIdentifier(table)} (${keys.map((k) => pg.escapeIdentifier(k)).join(', ')})
       VALUES (${keys.map((_, i) => `$${i + 1}`).join(', ')})`,
      Object.values(values),
    );
    // Rows with a compound key: a distinctive part of it stands in for an id.
    const tag = values.id ?? values.day ?? values.event_id ?? values.signature ?? values.key ?? values.conversion_id;
    if (table !== 'tenants') rows[table] = [...(rows[table] ?? []), String(tag)];
  };
  try {
    await client.query('BEGIN');
    const name = `Network ${slug}`;
    await insert('tenants', { id, slug, name, default_currency: 'EUR' });
    const users = [newId('user'), newId('user')];
    for (const [i, userId] of users.entries()) {
      await insert('users', { id: userId, tenant_id: id, email: `user${i}@${slug}.test`, name: `User ${i}`, password_hash: 'x' });
    }
    const merchants = [newId('merchant'), newId('merchant')];
    for (const [i, merchantId] of merchants.entries()) {
      await insert('merchants', { id: merchantId, tenant_id: id, name: `Merchant ${i} of ${slug}`, default_currency: 'EUR' });
    }
    await insert('affiliates', { id: newId('affiliate'), tenant_id: id, name: `Affiliate of ${slug}`, email: `aff@${slug}.test` });
    await insert('memberships', { id: newId('membership'), tenant_id: id, user_id: users[0], scope: 'network', role: 'owner' });
    const apiKeyHash = `hash-${id}`;
    await insert('api_keys', {
      id: newId('apiKey'),
      tenant_id: id,
      merchant_id: merchants[0],
      type: 'secret',
      name: 'server',
      prefix: 'sk_test',
      key_hash: apiKeyHash,
    });
    await insert('auth_sessions', {
      id: newId('session'),
      tenant_id: id,
      user_id: users[0],
      family_id: newId('session'),
      token_hash: `token-${id}`,
      expires_at: new Date(Date.now() + 3_600_000),
    });
    await insert('audit_log', { id: newId('audit'), tenant_id: id, actor_type: 'user', action: 'merchant.created', subject_type: 'merchant' });
    await insert('outbox', { id: newId('outbox'), tenant_id: id, topic: 'merchant.created', payload: '{}' });
    await insert('domain_events', {
      id: newId('event'),
      tenant_id: id,
      type: 'merchant.created',
      subject_type: 'merchant',
      subject_id: merchants[0],
    });
    const programId = newId('program');
    await insert('programs', {
      id: programId,
      tenant_id: id,
      merchant_id: merchants[0],
      name: `Program of ${slug}`,
      landing_url: 'https://shop.example/',
      currency: 'EUR',
    });
    await insert('program_plan_versions', {
      id: newId('planVersion'),
      tenant_id: id,
      program_id: programId,
      version: 1,
      plan: '{"sale":{"percentBps":1000}}',
      effective_from: new Date(),
    });
    await insert('program_groups', { id: newId('group'), tenant_id: id, program_id: programId, name: 'Gold' });
    const affiliateId = rows.affiliates![0]!;
    const enrollmentId = newId('enrollment');
    await insert('enrollments', { id: enrollmentId, tenant_id: id, program_id: programId, affiliate_id: affiliateId, status: 'approved' });
    const linkId = newId('link');
    await insert('links', {
      id: linkId,
      tenant_id: id,
      program_id: programId,
      affiliate_id: affiliateId,
      enrollment_id: enrollmentId,
      code: `code${id.slice(-10)}`,
      destination_url: 'https://shop.example/',
    });
    await insert('coupons', {
      id: newId('coupon'),
      tenant_id: id,
      program_id: programId,
      affiliate_id: affiliateId,
      code: 'Save10',
      code_normalized: 'SAVE10',
    });
    await insert('creatives', { id: newId('creative'), tenant_id: id, program_id: programId, type: 'text_link', name: 'Shop now' });
    await insert('tracking_domains', { id: newId('trackingDomain'), tenant_id: id, host: `go.${slug}.example` });
    const clickedAt = new Date();
    await client.query(`SELECT ensure_click_partitions($1::date, 1)`, [clickedAt]);
    await insert('clicks', {
      id: newId('click'),
      tenant_id: id,
      clicked_at: clickedAt,
      program_id: programId,
      affiliate_id: affiliateId,
      link_id: linkId,
      device: 'desktop',
      landing_url: 'https://shop.example/',
      is_unique: true,
      billable: true,
    });
    await insert('click_daily_stats', { tenant_id: id, day: '2026-11-01', program_id: programId, affiliate_id: affiliateId, link_id: linkId, clicks: 1 });
    await insert('conversion_daily_stats', {
      tenant_id: id,
      day: '2026-11-01',
      program_id: programId,
      affiliate_id: affiliateId,
      link_id: linkId,
      currency: 'EUR',
      sales: 1,
      revenue: 1_000,
      commissions: 100,
    });
    const fxRateId = newId('fxRate');
    await insert('fx_rates', { id: fxRateId, tenant_id: id, from_currency: 'USD', to_currency: 'EUR', rate_nano: 920_000_000, effective_from: new Date() });
    const customerId = newId('customer');
    await insert('customers', { id: customerId, tenant_id: id, merchant_id: merchants[0], external_id: 'cus-1', email_hash: `h-${id}` });
    const conversionId = newId('conversion');
    await insert('conversions', {
      id: conversionId,
      tenant_id: id,
      merchant_id: merchants[0],
      program_id: programId,
      type: 'sale',
      external_id: 'order-1',
      source: 'api',
      amount: 1_000,
      currency: 'EUR',
      customer_id: customerId,
      occurred_at: new Date(),
    });
    await insert('customer_bindings', {
      id: newId('binding'),
      tenant_id: id,
      customer_id: customerId,
      program_id: programId,
      affiliate_id: affiliateId,
      conversion_id: conversionId,
      bound_at: new Date(),
    });
    await insert('conversion_refunds', {
      id: newId('refund'),
      tenant_id: id,
      merchant_id: merchants[0],
      conversion_id: conversionId,
      source: 'api',
      status: 'applied',
    });
    await insert('idempotency_keys', { tenant_id: id, scope: 'key', key: 'k1', request_hash: 'h' });
    await insert('stripe_events', {
      tenant_id: id,
      merchant_id: merchants[0],
      event_id: `evt_${id}`,
      type: 'invoice.paid',
      event_created: new Date(),
      outcome: 'sale',
    });
    await insert('postback_receipts', { tenant_id: id, program_id: programId, signature: `sig-${id}` });
    // A top-up: network cash → the merchant's prepaid balance, with the accounts' sums.
    const cashId = newId('ledgerAccount');
    const prepaidId = newId('ledgerAccount');
    await insert('ledger_accounts', {
      id: cashId,
      tenant_id: id,
      owner_type: 'network',
      owner_id: id,
      kind: 'network_cash',
      currency: 'EUR',
      debits_posted: 5_000,
    });
    await insert('ledger_accounts', {
      id: prepaidId,
      tenant_id: id,
      owner_type: 'merchant',
      owner_id: merchants[0],
      kind: 'merchant_prepaid',
      currency: 'EUR',
      credits_posted: 5_000,
      debits_must_not_exceed_credits: true,
    });
    await insert('ledger_transfers', {
      id: newId('transfer'),
      tenant_id: id,
      idempotency_key: 'top-up-1',
      kind: 'single_phase',
      debit_account_id: cashId,
      credit_account_id: prepaidId,
      amount: 5_000,
      currency: 'EUR',
      code: 'top_up',
    });
    await insert('network_stripe_accounts', { tenant_id: id, secret_key: 'sk_test_Seeded0123456789', webhook_secret: 'whsec_c2VlZGVkLXdlYmhvb2stc2VjcmV0' });
    const topUpId = newId('topUp');
    await insert('top_ups', {
      id: topUpId,
      tenant_id: id,
      merchant_id: merchants[0],
      method: 'manual',
      amount: 5_000,
      currency: 'EUR',
      status: 'paid',
      reason: 'bank transfer',
      created_by_type: 'user',
      created_by_id: users[0],
      transfer_id: rows.ledger_transfers![0],
      paid_at: new Date(),
    });
    await insert('network_stripe_events', {
      tenant_id: id,
      event_id: `evt_net_${id}`,
      type: 'checkout.session.completed',
      event_created: new Date(),
      outcome: 'ignored',
    });
    await insert('low_balance_thresholds', { tenant_id: id, merchant_id: merchants[0], currency: 'EUR', amount: 1_000 });
    // The conversion's accrual: a commission waiting for the merchant's funds.
    await insert('conversion_accruals', {
      conversion_id: conversionId,
      tenant_id: id,
      merchant_id: merchants[0],
      program_id: programId,
      affiliate_id: affiliateId,
      outcome: 'accrued',
      plan_version_id: rows.program_plan_versions![0],
      occurred_at: new Date(),
      merchant_total: 100,
    });
    await insert('commissions', {
      id: newId('commission'),
      tenant_id: id,
      merchant_id: merchants[0],
      program_id: programId,
      conversion_id: conversionId,
      affiliate_id: affiliateId,
      source_affiliate_id: affiliateId,
      kind: 'primary',
      line_key: 'primary',
      amount: 100,
      currency: 'EUR',
      status: 'awaiting_funds',
      rate_bps: 1000,
      basis: 1_000,
      plan_version_id: rows.program_plan_versions![0],
      hold_until: new Date(Date.now() + 30 * 86_400_000),
    });
    await insert('emails', {
      id: newId('email'),
      tenant_id: id,
      dedupe_key: 'welcome',
      to_address: `user0@${slug}.test`,
      subject: 'Welcome',
      text_body: 'Hello',
      template: 'welcome',
      status: 'stored',
      transport: 'store',
    });
    await client.query('COMMIT');
    return { id, slug, name, rows, apiKeyHash };
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    await client.end();
  }
}
