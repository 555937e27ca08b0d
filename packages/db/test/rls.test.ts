import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrisma, type PrismaClient } from '../src/client';
import { newId } from '../src/ids';
import { createTestDatabase, type TestDatabase } from '../src/testing/test-database';
import { pgErrorCode, withTenant } from '../src/with-tenant';
import { type SeededTenant, seedTenant } from './support/seed-tenants';

/** Tenant isolation enforced by Postgres itself, for the role the platform connects as. */

let db: TestDatabase;
let prisma: PrismaClient;
let tenantA: SeededTenant;
let tenantB: SeededTenant;
let tenantTables: string[];
const clients: pg.Client[] = [];

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  clients.push(client);
  return client;
}

let owner: pg.Client;
let app: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase('rls');
  tenantA = await seedTenant(db.ownerUrl, 'alpha');
  tenantB = await seedTenant(db.ownerUrl, 'beta');
  owner = await connect(db.ownerUrl);
  app = await connect(db.appUrl);
  prisma = createPrisma({ url: db.appUrl, poolSize: 2 });
  tenantTables = (
    await owner.query<{ table_name: string }>(
      `SELECT c.table_name FROM information_schema.columns c
         JOIN information_schema.tables t USING (table_schema, table_name)
         JOIN pg_class k ON k.oid = format('public.%I', c.table_name)::regclass
        WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id' AND t.table_type = 'BASE TABLE'
          AND NOT k.relispartition
        ORDER BY 1`,
    )
  ).rows.map((r) => r.table_name);
});

afterAll(async () => {
  for (const client of clients) await client.end();
  await prisma?.$disconnect();
  await db?.drop();
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the statement to be refused, it succeeded');
    },
    (error: unknown) => error,
  );
}

const countAs = async (client: pg.Client, table: string) =>
  (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${pg.escapeIdentifier(table)}`)).rows[0]!.n;

describe('row-level security configuration', () => {
  it('is enabled and forced on every table with a tenant_id, and on tenants', async () => {
    expect(tenantTables).toEqual(
      expect.arrayContaining([
        'users',
        'memberships',
        'merchants',
        'affiliates',
        'api_keys',
        'auth_sessions',
        'audit_log',
        'outbox',
        'domain_events',
        'emails',
      ]),
    );
    const { rows } = await owner.query<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean }>(
      `SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class
        WHERE relnamespace = 'public'::regnamespace AND relname = ANY ($1) ORDER BY relname`,
      [[...tenantTables, 'tenants']],
    );
    expect(rows).toHaveLength(tenantTables.length + 1);
    for (const row of rows) expect(row, row.relname).toMatchObject({ relrowsecurity: true, relforcerowsecurity: true });
  });

  it('has a tenant_isolation policy reading app_tenant_id() on each of them', async () => {
    const { rows } = await owner.query<{ tablename: string; qual: string; with_check: string | null }>(
      `SELECT tablename, qual, with_check FROM pg_policies WHERE schemaname = 'public' AND policyname = 'tenant_isolation'`,
    );
    expect(rows.map((r) => r.tablename).sort()).toEqual([...tenantTables, 'tenants'].sort());
    for (const row of rows) expect(row.qual, row.tablename).toContain('app_tenant_id()');
  });

  it('connects the application as a role that cannot bypass it', async () => {
    const { rows } = await owner.query(
      `SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb,
              pg_has_role('affnet_app', 'affnet_system', 'MEMBER') AS can_become_system
         FROM pg_roles WHERE rolname = 'affnet_app'`,
    );
    expect(rows).toEqual([{ rolsuper: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false, can_become_system: false }]);
    expect((await app.query('SELECT current_user AS who')).rows[0].who).toBe('affnet_app');
  });

  it('grants the application role data rights on every table but the migration history', async () => {
    const { rows } = await owner.query<{ table: string; sel: boolean; ins: boolean; upd: boolean; del: boolean; trunc: boolean }>(
      `SELECT c.relname AS table,
              has_table_privilege('affnet_app', c.oid, 'SELECT') AS sel, has_table_privilege('affnet_app', c.oid, 'INSERT') AS ins,
              has_table_privilege('affnet_app', c.oid, 'UPDATE') AS upd, has_table_privilege('affnet_app', c.oid, 'DELETE') AS del,
              has_table_privilege('affnet_app', c.oid, 'TRUNCATE') AS trunc
         FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1`,
    );
    const appendOnly = new Set([
      'audit_log',
      'domain_events',
      'program_plan_versions',
      'clicks',
      'fx_rates',
      'stripe_events',
      'ledger_transfers',
      'network_stripe_events',
      'conversion_accruals',
    ]);
    // Rollups only grow or are corrected; domains are added and removed, never edited.
    const special: Record<string, Partial<(typeof rows)[number]>> = {
      click_daily_stats: { sel: true, ins: true, upd: true, del: false },
      conversion_daily_stats: { sel: true, ins: true, upd: true, del: false },
      tracking_domains: { sel: true, ins: true, upd: false, del: true },
      // Money and attribution records are corrected, never deleted; old postback
      // signatures are pruned.
      customers: { sel: true, ins: true, upd: true, del: false },
      customer_bindings: { sel: true, ins: true, upd: true, del: false },
      conversions: { sel: true, ins: true, upd: true, del: false },
      conversion_refunds: { sel: true, ins: true, upd: true, del: false },
      idempotency_keys: { sel: true, ins: true, upd: true, del: false },
      postback_receipts: { sel: true, ins: true, upd: false, del: true },
      // Ledger accounts: UPDATE of the running sums and the overdraft limit only (column
      // grants, checked below), never DELETE.
      ledger_accounts: { sel: true, ins: true, upd: false, del: false },
      // Top-ups change status and thresholds their level, neither is ever deleted.
      top_ups: { sel: true, ins: true, upd: true, del: false },
      low_balance_thresholds: { sel: true, ins: true, upd: true, del: false },
      // Commissions change status (approval, rejection, reversal, payout), never vanish.
      commissions: { sel: true, ins: true, upd: true, del: false },
    };
    for (const row of rows) {
      const { table, ...rights } = row;
      if (table === '_prisma_migrations') expect(rights, table).toEqual({ sel: false, ins: false, upd: false, del: false, trunc: false });
      else if (appendOnly.has(table)) expect(rights, table).toEqual({ sel: true, ins: true, upd: false, del: false, trunc: false });
      else if (special[table]) expect(rights, table).toEqual({ ...special[table], trunc: false });
      else expect(rights, table).toEqual({ sel: true, ins: true, upd: true, del: true, trunc: false });
    }
    expect(rows.length).toBe(tenantTables.length + 2);
  });

  it('lets the application update only the running sums and the overdraft limit of ledger accounts', async () => {
    const { rows } = await owner.query<{ column: string; upd: boolean }>(
      `SELECT attname AS column, has_column_privilege('affnet_app', 'ledger_accounts', attname, 'UPDATE') AS upd
         FROM pg_attribute WHERE attrelid = 'ledger_accounts'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    );
    expect(rows.filter((r) => r.upd).map((r) => r.column)).toEqual(['debits_pending', 'debits_posted', 'credits_pending', 'credits_posted', 'overdraft_limit']);
    const id = tenantA.rows.ledger_accounts![1]!;
    const moved = await rejection(
      withTenant(prisma, tenantA.id, (tx) => tx.ledgerAccount.update({ where: { id }, data: { currency: 'USD', debitsMustNotExceedCredits: false } })),
    );
    expect(pgErrorCode(moved)).toBe('42501');
    const deleted = await rejection(withTenant(prisma, tenantA.id, (tx) => tx.ledgerAccount.delete({ where: { id } })));
    expect(pgErrorCode(deleted)).toBe('42501');
    expect((await owner.query('SELECT currency, debits_must_not_exceed_credits AS flag FROM ledger_accounts WHERE id = $1', [id])).rows).toEqual([
      { currency: 'EUR', flag: true },
    ]);
  });

  it('reaches click partitions only through clicks, whose policies apply', async () => {
    const { rows: parts } = await owner.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'public.clicks'::regclass`,
    );
    expect(parts.length).toBeGreaterThan(0);
    for (const { name } of parts) {
      const error = await rejection(app.query(`SELECT count(*) FROM ${pg.escapeIdentifier(name)}`));
      expect(error, name).toMatchObject({ code: '42501' });
    }
  });

  it('leaves the application role owning nothing: no table, view, sequence, schema or function', async () => {
    const owned = await owner.query(
      `SELECT relname AS name FROM pg_class WHERE relowner = 'affnet_app'::regrole
       UNION ALL SELECT nspname FROM pg_namespace WHERE nspowner = 'affnet_app'::regrole
       UNION ALL SELECT proname FROM pg_proc WHERE proowner = 'affnet_app'::regrole`,
    );
    expect(owned.rows).toEqual([]);
  });
});

describe('a session without a tenant setting', () => {
  it('sees no row of any tenant table', async () => {
    for (const table of [...tenantTables, 'tenants']) {
      expect(await countAs(owner, table), `${table} seeded for both tenants`).toBeGreaterThanOrEqual(2);
      expect(await countAs(app, table), table).toBe(0);
    }
  });

  it('sees nothing either when the setting is an empty string', async () => {
    await app.query('BEGIN');
    try {
      await app.query(`SELECT set_config('app.tenant_id', '', true)`);
      expect(await countAs(app, 'merchants')).toBe(0);
    } finally {
      await app.query('ROLLBACK');
    }
  });

  it('cannot insert', async () => {
    const merchant = rejection(
      app.query(`INSERT INTO merchants (id, tenant_id, name, default_currency) VALUES ($1, $2, 'Intruder', 'EUR')`, [newId('merchant'), tenantA.id]),
    );
    expect(await merchant).toMatchObject({ code: '42501', message: expect.stringContaining('row-level security') });
    const tenant = rejection(app.query(`INSERT INTO tenants (id, slug, name, default_currency) VALUES ($1, 'intruder', 'Intruder', 'EUR')`, [newId('tenant')]));
    expect(await tenant).toMatchObject({ code: '42501', message: expect.stringContaining('row-level security') });
    expect(await countAs(owner, 'tenants')).toBe(2);
  });
});

describe('withTenant', () => {
  it('shows only the tenant’s own users, merchants, affiliates and API keys', async () => {
    const seen = await withTenant(prisma, tenantA.id, async (tx) => ({
      users: await tx.user.findMany({ select: { id: true, tenantId: true } }),
      merchants: await tx.merchant.findMany({ select: { id: true, tenantId: true } }),
      affiliates: await tx.affiliate.findMany({ select: { id: true, tenantId: true } }),
      api_keys: await tx.apiKey.findMany({ select: { id: true, tenantId: true } }),
      tenants: await tx.tenant.findMany({ select: { id: true } }),
      foreignMerchant: await tx.merchant.findUnique({ where: { id: tenantB.rows.merchants![0]! } }),
    }));
    for (const table of ['users', 'merchants', 'affiliates', 'api_keys'] as const) {
      expect(seen[table].map((r) => r.id).sort(), table).toEqual([...tenantA.rows[table]!].sort());
      expect(seen[table].every((r) => r.tenantId === tenantA.id)).toBe(true);
    }
    expect(seen.tenants).toEqual([{ id: tenantA.id }]);
    expect(seen.foreignMerchant).toBeNull();
  });

  it('shows exactly the tenant’s rows in every tenant table', async () => {
    const counts = await withTenant(prisma, tenantB.id, async (tx) => {
      const out: Record<string, number> = {};
      for (const table of tenantTables) {
        const [row] = await tx.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${pg.escapeIdentifier(table)}`);
        out[table] = row!.n;
      }
      return out;
    });
    expect(counts).toEqual(Object.fromEntries(tenantTables.map((t) => [t, tenantB.rows[t]?.length ?? 0])));
  });

  it('refuses to insert a row for another tenant', async () => {
    const error = await rejection(
      withTenant(prisma, tenantA.id, (tx) =>
        tx.merchant.create({ data: { id: newId('merchant'), tenantId: tenantB.id, name: 'Smuggled', defaultCurrency: 'EUR' } }),
      ),
    );
    expect(pgErrorCode(error)).toBe('42501');
    expect(await countAs(owner, 'merchants')).toBe(4);
  });

  it('refuses to move one of its rows to another tenant', async () => {
    const id = tenantA.rows.merchants![0]!;
    const error = await rejection(withTenant(prisma, tenantA.id, (tx) => tx.merchant.update({ where: { id }, data: { tenantId: tenantB.id } })));
    expect(pgErrorCode(error)).toBe('42501');
    expect((await owner.query('SELECT tenant_id FROM merchants WHERE id = $1', [id])).rows).toEqual([{ tenant_id: tenantA.id }]);
  });

  it('updates and deletes none of another tenant’s rows', async () => {
    const foreign = tenantB.rows.merchants!;
    const result = await withTenant(prisma, tenantA.id, async (tx) => ({
      updated: await tx.merchant.updateMany({ where: { id: { in: foreign } }, data: { name: 'Hijacked' } }),
      deleted: await tx.user.deleteMany({ where: { tenantId: tenantB.id } }),
      everything: await tx.affiliate.updateMany({ data: { website: 'https://a.example' } }),
    }));
    expect(result.updated.count).toBe(0);
    expect(result.deleted.count).toBe(0);
    // An unfiltered update reaches only the tenant's own rows.
    expect(result.everything.count).toBe(tenantA.rows.affiliates!.length);
    const b = await owner.query(
      `SELECT name, website FROM merchants WHERE id = ANY ($1) UNION ALL
                                 SELECT name, website FROM affiliates WHERE tenant_id = $2`,
      [foreign, tenantB.id],
    );
    expect(b.rows.every((r) => r.name !== 'Hijacked' && r.website === null)).toBe(true);
    expect(await countAs(owner, 'users')).toBe(4);
  });
});

describe('a pooled connection after withTenant', () => {
  const settingAndPid = async (client: PrismaClient) =>
    (
      await client.$queryRaw<{ setting: string | null; pid: number }[]>`
      SELECT current_setting('app.tenant_id', true) AS setting, pg_backend_pid() AS pid`
    )[0]!;

  it('keeps no tenant setting after a rolled-back or a committed transaction', async () => {
    const single = createPrisma({ url: db.appUrl, poolSize: 1 });
    try {
      let insidePid = 0;
      const error = await rejection(
        withTenant(single, tenantA.id, async (tx) => {
          const [row] = await tx.$queryRaw<{ pid: number; setting: string; n: number }[]>`
            SELECT pg_backend_pid() AS pid, current_setting('app.tenant_id', true) AS setting,
                   (SELECT count(*)::int FROM merchants) AS n`;
          insidePid = row!.pid;
          expect(row).toMatchObject({ setting: tenantA.id, n: 2 });
          throw new Error('use case failed');
        }),
      );
      expect((error as Error).message).toBe('use case failed');
      const afterRollback = await settingAndPid(single);
      expect(afterRollback.pid).toBe(insidePid); // the very connection that held the setting
      expect(afterRollback.setting ?? '').toBe('');
      expect(await single.merchant.count()).toBe(0);

      const n = await withTenant(single, tenantA.id, (tx) => tx.merchant.count());
      expect(n).toBe(2);
      const afterCommit = await settingAndPid(single);
      expect(afterCommit.pid).toBe(insidePid);
      expect(afterCommit.setting ?? '').toBe('');
      expect(await single.merchant.count()).toBe(0);
    } finally {
      await single.$disconnect();
    }
  });

  it('is what a transaction-local setting gives on a pg pool of one, where a session setting would leak', async () => {
    const pool = new pg.Pool({ connectionString: db.appUrl, max: 1 });
    try {
      const probe = async () =>
        (
          await pool.query<{ setting: string | null; n: number }>(
            `SELECT current_setting('app.tenant_id', true) AS setting, (SELECT count(*)::int FROM users) AS n`,
          )
        ).rows[0]!;
      const tx = await pool.connect();
      await tx.query('BEGIN');
      await tx.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantA.id]);
      expect((await tx.query('SELECT count(*)::int AS n FROM users')).rows[0].n).toBe(2);
      await tx.query('ROLLBACK');
      tx.release();
      const after = await probe();
      expect(after.setting ?? '').toBe('');
      expect(after.n).toBe(0);

      // The check above can fail: a session-level setting survives into the next checkout.
      await pool.query(`SELECT set_config('app.tenant_id', $1, false)`, [tenantA.id]);
      expect(await probe()).toEqual({ setting: tenantA.id, n: 2 });
    } finally {
      await pool.end();
    }
  });
});

describe('cross-tenant look-ups', () => {
  it('finds a tenant by slug through auth_tenant_by_slug without a tenant setting, but not by reading tenants', async () => {
    const found = await app.query('SELECT * FROM auth_tenant_by_slug($1)', ['BETA']);
    expect(found.rows).toEqual([{ id: tenantB.id, slug: 'beta', name: tenantB.name }]);
    expect((await app.query('SELECT * FROM auth_tenant_by_slug($1)', ['gamma'])).rows).toEqual([]);
    expect((await app.query('SELECT * FROM tenants WHERE slug = $1', ['beta'])).rows).toEqual([]);
  });

  it('runs those functions as affnet_system, never as the caller', async () => {
    const { rows } = await owner.query(
      `SELECT proname, prosecdef, pg_get_userbyid(proowner) AS owner FROM pg_proc
        WHERE pronamespace = 'public'::regnamespace AND prosecdef ORDER BY proname`,
    );
    expect(rows.map((r) => r.proname)).toContain('auth_tenant_by_slug');
    for (const row of rows) expect(row.owner, row.proname).toBe('affnet_system');
  });

  it('cannot be fooled by a temporary table the caller creates in place of tenants or api_keys', async () => {
    const attacker = await connect(db.appUrl);
    await attacker.query(`CREATE TEMP TABLE tenants (id text, slug text, name text);
      INSERT INTO tenants VALUES ('ten_forged', 'forged', 'Forged'), ('ten_forged', 'alpha', 'Forged');
      GRANT SELECT ON tenants TO affnet_system;
      CREATE TEMP TABLE api_keys (id text, tenant_id text, merchant_id text, type text, revoked_at timestamptz, key_hash text);
      INSERT INTO api_keys VALUES ('key_forged', $$${tenantB.id}$$, 'mer_forged', 'secret', NULL, 'forged-hash');
      GRANT SELECT ON api_keys TO affnet_system;`);
    expect((await attacker.query('SELECT * FROM auth_tenant_by_slug($1)', ['forged'])).rows).toEqual([]);
    expect((await attacker.query('SELECT id FROM auth_tenant_by_slug($1)', ['alpha'])).rows).toEqual([{ id: tenantA.id }]);
    expect((await attacker.query('SELECT * FROM auth_api_key_lookup($1)', ['forged-hash'])).rows).toEqual([]);
    const { rows } = await owner.query(
      `SELECT proname, array_to_string(proconfig, ',') AS config FROM pg_proc
        WHERE pronamespace = 'public'::regnamespace AND prosecdef`,
    );
    for (const row of rows) expect(row.config, row.proname).toMatch(/^search_path=.*pg_temp$/);
  });

  it('resolves an API key hash to its tenant without a tenant setting', async () => {
    const { rows } = await app.query('SELECT tenant_id FROM auth_api_key_lookup($1)', [tenantA.apiKeyHash]);
    expect(rows).toEqual([{ tenant_id: tenantA.id }]);
  });
});

describe('audit_log and domain_events', () => {
  const cases = [
    { table: 'audit_log', update: 'auditLog', idOf: (t: SeededTenant) => t.rows.audit_log![0]! },
    { table: 'domain_events', update: 'domainEvent', idOf: (t: SeededTenant) => t.rows.domain_events![0]! },
  ] as const;

  it.each(cases)('refuse UPDATE and DELETE of $table even inside withTenant for the row’s tenant', async ({ table, update, idOf }) => {
    const id = idOf(tenantA);
    const before = (await owner.query(`SELECT * FROM ${table} WHERE id = $1`, [id])).rows;
    const delegate = (tx: Parameters<Parameters<typeof withTenant>[2]>[0]) =>
      tx[update] as unknown as {
        updateMany(a: object): Promise<unknown>;
        deleteMany(a: object): Promise<unknown>;
      };
    const updated = await rejection(withTenant(prisma, tenantA.id, (tx) => delegate(tx).updateMany({ where: { id }, data: { subjectType: 'tampered' } })));
    const deleted = await rejection(withTenant(prisma, tenantA.id, (tx) => delegate(tx).deleteMany({ where: { id } })));
    expect(pgErrorCode(updated)).toBe('42501');
    expect(pgErrorCode(deleted)).toBe('42501');
    expect((await owner.query(`SELECT * FROM ${table} WHERE id = $1`, [id])).rows).toEqual(before);
  });

  it.each(cases)('refuse UPDATE and DELETE of $table even to the owner (a trigger, not only a grant)', async ({ table, idOf }) => {
    const id = idOf(tenantB);
    const updated = await rejection(owner.query(`UPDATE ${table} SET subject_type = 'tampered' WHERE id = $1`, [id]));
    const deleted = await rejection(owner.query(`DELETE FROM ${table} WHERE id = $1`, [id]));
    expect(updated).toMatchObject({ message: `${table} is append-only` });
    expect(deleted).toMatchObject({ message: `${table} is append-only` });
    expect(await countAs(owner, table)).toBe(2);
  });

  it('accept new rows inside withTenant', async () => {
    await withTenant(prisma, tenantA.id, (tx) =>
      tx.auditLog.create({
        data: { id: newId('audit'), tenantId: tenantA.id, actorType: 'user', action: 'merchant.updated', subjectType: 'merchant' },
      }),
    );
    expect((await owner.query('SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = $1', [tenantA.id])).rows[0].n).toBe(2);
  });
});
