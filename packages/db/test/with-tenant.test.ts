import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrisma, type PrismaClient } from '../src/client';
import { Prisma } from '../src/generated/prisma/client';
import { newId } from '../src/ids';
import { createTestDatabase, type TestDatabase } from '../src/testing/test-database';
import { isUniqueViolation, pgErrorCode, withTenant } from '../src/with-tenant';
import { type SeededTenant, seedTenant } from './support/seed-tenants';

let db: TestDatabase;
let prisma: PrismaClient;
let tenant: SeededTenant;

beforeAll(async () => {
  db = await createTestDatabase('with_tenant');
  tenant = await seedTenant(db.ownerUrl, 'gamma');
  prisma = createPrisma({ url: db.appUrl, poolSize: 2 });
});

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );
}

describe('withTenant', () => {
  it('runs at the isolation level asked for, Read Committed otherwise', async () => {
    const level = (isolationLevel?: Prisma.TransactionIsolationLevel) =>
      withTenant(
        prisma,
        tenant.id,
        async (tx) => (await tx.$queryRaw<{ level: string }[]>`SELECT current_setting('transaction_isolation') AS level`)[0]!.level,
        isolationLevel ? { isolationLevel } : {},
      );
    expect(await level()).toBe('read committed');
    expect(await level(Prisma.TransactionIsolationLevel.Serializable)).toBe('serializable');
  });

  it('commits the work of fn as one transaction and undoes all of it when fn throws', async () => {
    const kept = newId('merchant');
    const undone = newId('merchant');
    await withTenant(prisma, tenant.id, (tx) => tx.merchant.create({ data: { id: kept, tenantId: tenant.id, name: 'Kept', defaultCurrency: 'EUR' } }));
    await failure(
      withTenant(prisma, tenant.id, async (tx) => {
        await tx.merchant.create({ data: { id: undone, tenantId: tenant.id, name: 'Undone', defaultCurrency: 'EUR' } });
        throw new Error('later step failed');
      }),
    );
    const found = await withTenant(prisma, tenant.id, (tx) => tx.merchant.findMany({ where: { id: { in: [kept, undone] } }, select: { id: true } }));
    expect(found).toEqual([{ id: kept }]);
  });
});

describe('pgErrorCode and isUniqueViolation', () => {
  const merchant = () => ({ id: newId('merchant'), tenantId: tenant.id, name: 'M', defaultCurrency: 'EUR' });

  it('give the SQLSTATE of a model query refused by row-level security, not Prisma’s code', async () => {
    const error = await failure(withTenant(prisma, tenant.id, (tx) => tx.merchant.create({ data: { ...merchant(), tenantId: newId('tenant') } })));
    expect(error).toBeInstanceOf(Prisma.PrismaClientKnownRequestError);
    expect(pgErrorCode(error)).toBe('42501');
    expect(isUniqueViolation(error)).toBe(false);
  });

  it('give the SQLSTATE of a failed raw query', async () => {
    const error = await failure(withTenant(prisma, tenant.id, (tx) => tx.$queryRaw`SELECT 1 / 0`));
    expect(pgErrorCode(error)).toBe('22012');
  });

  it('recognise a unique violation from a model query and from a raw query', async () => {
    const existing = tenant.rows.merchants![0]!;
    const model = await failure(withTenant(prisma, tenant.id, (tx) => tx.merchant.create({ data: { ...merchant(), id: existing } })));
    const raw = await failure(
      withTenant(
        prisma,
        tenant.id,
        (tx) => tx.$executeRaw`INSERT INTO merchants (id, tenant_id, name, default_currency) VALUES (${existing}, ${tenant.id}, 'M', 'EUR')`,
      ),
    );
    expect(isUniqueViolation(model)).toBe(true);
    expect(pgErrorCode(model)).toBe('23505');
    expect(isUniqueViolation(raw)).toBe(true);
    expect(pgErrorCode(raw)).toBe('23505');
  });

  it('read a pg error directly, keep PL/pgSQL codes, and find nothing in an ordinary error', async () => {
    const client = new pg.Client({ connectionString: db.ownerUrl });
    await client.connect();
    try {
      expect(pgErrorCode(await failure(client.query(`DO $$ BEGIN RAISE EXCEPTION 'boom'; END $$`)))).toBe('P0001');
      expect(pgErrorCode(await failure(client.query('SELECT * FROM no_such_table')))).toBe('42P01');
    } finally {
      await client.end();
    }
    expect(pgErrorCode(new Error('plain'))).toBeUndefined();
    expect(pgErrorCode(Object.assign(new Error('prisma-shaped'), { code: 'P2025' }))).toBeUndefined();
    expect(isUniqueViolation(new Error('plain'))).toBe(false);
  });
});
