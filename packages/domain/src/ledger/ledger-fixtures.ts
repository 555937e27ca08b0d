import { newId } from '@app/db/ids';
import type pg from 'pg';

/** Test support for the ledger's tests: networks with merchants and affiliates, written as the database owner. */

export interface SeededNetwork {
  tenantId: string;
  merchantIds: string[];
  affiliateIds: string[];
}

export async function seedNetwork(owner: pg.Pool, slug: string, counts: { merchants: number; affiliates: number }): Promise<SeededNetwork> {
  const tenantId = newId('tenant');
  await owner.query(`INSERT INTO tenants (id, slug, name, default_currency) VALUES ($1, $2, $2, 'EUR')`, [tenantId, slug]);
  const merchantIds = Array.from({ length: counts.merchants }, () => newId('merchant'));
  const affiliateIds = Array.from({ length: counts.affiliates }, () => newId('affiliate'));
  for (const [i, id] of merchantIds.entries()) {
    await owner.query(`INSERT INTO merchants (id, tenant_id, name, default_currency) VALUES ($1, $2, $3, 'EUR')`, [id, tenantId, `Merchant ${i}`]);
  }
  for (const [i, id] of affiliateIds.entries()) {
    await owner.query(`INSERT INTO affiliates (id, tenant_id, name, email) VALUES ($1, $2, $3, $4)`, [id, tenantId, `Affiliate ${i}`, `a${i}@${slug}.test`]);
  }
  return { tenantId, merchantIds, affiliateIds };
}

export interface AccountRow {
  id: string;
  tenant_id: string;
  kind: string;
  currency: string;
  debits_pending: string;
  debits_posted: string;
  credits_pending: string;
  credits_posted: string;
  overdraft_limit: string;
}

/** Every account of the given tenants as the owner sees it (bypassing row-level security), sums as strings. */
export async function accountRows(owner: pg.Pool, tenantIds: string[]): Promise<AccountRow[]> {
  const { rows } = await owner.query<AccountRow>(
    `SELECT id, tenant_id, kind, currency, debits_pending::text, debits_posted::text, credits_pending::text, credits_posted::text, overdraft_limit::text
       FROM ledger_accounts WHERE tenant_id = ANY ($1) ORDER BY id`,
    [tenantIds],
  );
  return rows;
}

export async function transferCount(owner: pg.Pool, tenantIds: string[]): Promise<number> {
  return (await owner.query<{ n: number }>('SELECT count(*)::int AS n FROM ledger_transfers WHERE tenant_id = ANY ($1)', [tenantIds])).rows[0]!.n;
}
