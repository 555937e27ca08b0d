import { createPrisma, type PrismaClient } from '@app/db/client';
import { newId } from '@app/db/ids';
import { createTestDatabase, type TestDatabase } from '@app/db/testing/test-database';
import { pgErrorCode, type Tx, withTenant } from '@app/db/with-tenant';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTransfer } from './create-transfer';
import { ensureAccount } from './ensure-account';
import { type SeededNetwork, seedNetwork } from './ledger-fixtures';

/**
 * What Postgres itself guarantees about the ledger, whatever the application code does:
 * transfers cannot change or disappear, a pending transfer is resolved once and within
 * its amount, both accounts share the transfer's network and currency, and a capped
 * account cannot be overdrawn.
 */

let db: TestDatabase;
let owner: pg.Pool;
let app: pg.Pool;
let prisma: PrismaClient;
let a: SeededNetwork;
let b: SeededNetwork;
const ids = { cash: '', prepaid: '', earnings: '', usdEarnings: '', foreignEarnings: '', topUp: '', pending: '' };

beforeAll(async () => {
  db = await createTestDatabase('ledger_guards');
  owner = new pg.Pool({ connectionString: db.ownerUrl, max: 2 });
  owner.on('error', () => {});
  app = new pg.Pool({ connectionString: db.appUrl, max: 2 });
  app.on('error', () => {});
  prisma = createPrisma({ url: db.appUrl, poolSize: 2 });
  a = await seedNetwork(owner, 'alpha', { merchants: 1, affiliates: 1 });
  b = await seedNetwork(owner, 'beta', { merchants: 1, affiliates: 1 });
  await withTenant(prisma, a.tenantId, async (tx) => {
    ids.cash = (await ensureAccount(tx, a.tenantId, { kind: 'network_cash', currency: 'EUR' })).id;
    ids.prepaid = (await ensureAccount(tx, a.tenantId, { kind: 'merchant_prepaid', ownerId: a.merchantIds[0]!, currency: 'EUR' })).id;
    ids.earnings = (await ensureAccount(tx, a.tenantId, { kind: 'affiliate_earnings', ownerId: a.affiliateIds[0]!, currency: 'EUR' })).id;
    ids.usdEarnings = (await ensureAccount(tx, a.tenantId, { kind: 'affiliate_earnings', ownerId: a.affiliateIds[0]!, currency: 'USD' })).id;
    const common = { currency: 'EUR', code: 'test' };
    ids.topUp = (
      await createTransfer(tx, a.tenantId, {
        ...common,
        kind: 'single_phase',
        idempotencyKey: 'top-up',
        debitAccountId: ids.cash,
        creditAccountId: ids.prepaid,
        amount: 1_000n,
      })
    ).transfer.id;
    ids.pending = (
      await createTransfer(tx, a.tenantId, {
        ...common,
        kind: 'pending',
        idempotencyKey: 'accrual',
        debitAccountId: ids.prepaid,
        creditAccountId: ids.earnings,
        amount: 400n,
      })
    ).transfer.id;
  });
  ids.foreignEarnings = await withTenant(
    prisma,
    b.tenantId,
    async (tx) => (await ensureAccount(tx, b.tenantId, { kind: 'affiliate_earnings', ownerId: b.affiliateIds[0]!, currency: 'EUR' })).id,
  );
}, 60_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await app?.end();
  await owner?.end();
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

/** Runs statements as the application role inside network A, rolled back whatever happens. */
async function asAppInA(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = await app.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT set_config('app.tenant_id', $1, true)`, [a.tenantId]);
    return await client.query(sql, params);
  } finally {
    await client.query('ROLLBACK').catch(() => {});
    client.release();
  }
}

const snapshot = async () => (await owner.query('SELECT * FROM ledger_transfers WHERE tenant_id = $1 ORDER BY id', [a.tenantId])).rows;

const insertTransfer = (values: Record<string, unknown>) => {
  const row = { id: newId('transfer'), tenant_id: a.tenantId, idempotency_key: newId('transfer'), currency: 'EUR', code: 'test', ...values };
  const keys = Object.keys(row);
  return asAppInA(`INSERT INTO ledger_transfers (${keys.join(', ')}) VALUES (${keys.map((_, i) => `$${i + 1}`).join(', ')})`, Object.values(row));
};

describe('immutability of transfers', () => {
  it('refuses UPDATE and DELETE of a transfer through the application role, with Prisma and with SQL', async () => {
    const before = await snapshot();
    const viaPrisma: ((tx: Tx) => Promise<unknown>)[] = [
      (tx) => tx.ledgerTransfer.update({ where: { id: ids.topUp }, data: { amount: 1n } }),
      (tx) => tx.ledgerTransfer.updateMany({ data: { reason: 'edited' } }),
      (tx) => tx.ledgerTransfer.delete({ where: { id: ids.pending } }),
      (tx) => tx.ledgerTransfer.deleteMany({}),
    ];
    for (const attempt of viaPrisma) expect(pgErrorCode(await rejection(withTenant(prisma, a.tenantId, attempt)))).toBe('42501');
    expect(await rejection(asAppInA('UPDATE ledger_transfers SET amount = 1 WHERE id = $1', [ids.topUp]))).toMatchObject({ code: '42501' });
    expect(await rejection(asAppInA('DELETE FROM ledger_transfers WHERE id = $1', [ids.pending]))).toMatchObject({ code: '42501' });
    expect(await rejection(asAppInA('TRUNCATE ledger_transfers'))).toMatchObject({ code: '42501' });
    expect(await snapshot()).toEqual(before);
  });

  it('refuses them to the tables’ owner too: a trigger, not only missing rights', async () => {
    const before = await snapshot();
    for (const sql of ['UPDATE ledger_transfers SET amount = 1 WHERE id = $1', 'DELETE FROM ledger_transfers WHERE id = $1']) {
      expect(await rejection(owner.query(sql, [ids.topUp]))).toMatchObject({ code: '42501', message: 'ledger_transfers is append-only' });
    }
    expect(await rejection(owner.query('TRUNCATE ledger_transfers CASCADE'))).toMatchObject({ message: 'ledger_transfers is append-only' });
    expect(await snapshot()).toEqual(before);
  });
});

describe('constraints on new transfers', () => {
  const pendingSides = () => ({ debit_account_id: ids.prepaid, credit_account_id: ids.earnings });

  it('resolves a pending transfer at most once (unique pending_id)', async () => {
    const client = await app.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SELECT set_config('app.tenant_id', $1, true)`, [a.tenantId]);
      const insert = `INSERT INTO ledger_transfers (id, tenant_id, idempotency_key, kind, debit_account_id, credit_account_id, amount, currency, pending_id, code)
                      VALUES ($1, $2, $1, $3, $4, $5, $6, 'EUR', $7, 'test')`;
      await client.query(insert, [newId('transfer'), a.tenantId, 'post_pending', ids.prepaid, ids.earnings, 100, ids.pending]);
      const second = await rejection(client.query(insert, [newId('transfer'), a.tenantId, 'void_pending', ids.prepaid, ids.earnings, 400, ids.pending]));
      expect(second).toMatchObject({ code: '23505', constraint: 'ledger_transfers_pending_id_key' });
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('refuses a resolution that does not match its pending transfer', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ kind: 'post_pending', ...pendingSides(), amount: 401, pending_id: ids.pending }, /resolves 401 of pending/],
      [{ kind: 'void_pending', ...pendingSides(), amount: 399, pending_id: ids.pending }, /resolves 399 of pending/],
      [{ kind: 'post_pending', debit_account_id: ids.cash, credit_account_id: ids.earnings, amount: 10, pending_id: ids.pending }, /must name the accounts/],
      [{ kind: 'post_pending', debit_account_id: ids.cash, credit_account_id: ids.prepaid, amount: 10, pending_id: ids.topUp }, /is not a pending transfer/],
    ];
    for (const [values, message] of cases) {
      expect(await rejection(insertTransfer(values)), JSON.stringify(values)).toMatchObject({ code: '23514', message: expect.stringMatching(message) });
    }
    // A pending_id on a pending transfer, or none on a resolution.
    expect(await rejection(insertTransfer({ kind: 'pending', ...pendingSides(), amount: 1, pending_id: ids.pending }))).toMatchObject({ code: '23514' });
    expect(await rejection(insertTransfer({ kind: 'void_pending', ...pendingSides(), amount: 400 }))).toMatchObject({ code: '23514' });
  });

  it('refuses amounts that are not positive, one account on both sides, and unknown kinds', async () => {
    for (const values of [
      { kind: 'single_phase', debit_account_id: ids.cash, credit_account_id: ids.prepaid, amount: 0 },
      { kind: 'single_phase', debit_account_id: ids.cash, credit_account_id: ids.prepaid, amount: -1 },
      { kind: 'single_phase', debit_account_id: ids.cash, credit_account_id: ids.cash, amount: 1 },
      { kind: 'refund', debit_account_id: ids.cash, credit_account_id: ids.prepaid, amount: 1 },
      { kind: 'single_phase', debit_account_id: ids.cash, credit_account_id: ids.prepaid, amount: 1, code: 'Not A Code' },
    ]) {
      expect(await rejection(insertTransfer(values)), JSON.stringify(values)).toMatchObject({ code: '23514' });
    }
  });

  it('refuses accounts of another currency or another network (composite foreign keys)', async () => {
    const cases = [
      { kind: 'single_phase', debit_account_id: ids.prepaid, credit_account_id: ids.usdEarnings, amount: 1 },
      { kind: 'single_phase', debit_account_id: ids.prepaid, credit_account_id: ids.earnings, amount: 1, currency: 'USD' },
      { kind: 'single_phase', debit_account_id: ids.prepaid, credit_account_id: ids.foreignEarnings, amount: 1 },
    ];
    for (const values of cases) expect(await rejection(insertTransfer(values)), JSON.stringify(values)).toMatchObject({ code: '23503' });
  });
});

describe('constraints on accounts', () => {
  it('never lets a capped account’s debits pass its posted credits plus its overdraft limit', async () => {
    // Posted credits 1,000, pending debits 400: 600 more debits are the most it can take.
    await expect(asAppInA('UPDATE ledger_accounts SET debits_posted = debits_posted + 600 WHERE id = $1', [ids.prepaid])).resolves.toMatchObject({
      rowCount: 1,
    });
    const over = await rejection(asAppInA('UPDATE ledger_accounts SET debits_posted = debits_posted + 601 WHERE id = $1', [ids.prepaid]));
    expect(over).toMatchObject({ code: '23514', constraint: 'ledger_accounts_balance_check' });
    await expect(
      asAppInA('UPDATE ledger_accounts SET debits_posted = debits_posted + 700, overdraft_limit = 100 WHERE id = $1', [ids.prepaid]),
    ).resolves.toMatchObject({ rowCount: 1 });
    // An affiliate's earnings have no cap.
    await expect(asAppInA('UPDATE ledger_accounts SET debits_posted = debits_posted + 10000 WHERE id = $1', [ids.earnings])).resolves.toMatchObject({
      rowCount: 1,
    });
  });

  it('ties each kind to its owner type and its flag, and a network’s accounts to the network', async () => {
    const insert = (values: Record<string, unknown>) => {
      const row = { id: newId('ledgerAccount'), tenant_id: a.tenantId, currency: 'SEK', ...values };
      const keys = Object.keys(row);
      return asAppInA(`INSERT INTO ledger_accounts (${keys.join(', ')}) VALUES (${keys.map((_, i) => `$${i + 1}`).join(', ')})`, Object.values(row));
    };
    const cases = [
      { owner_type: 'affiliate', owner_id: a.merchantIds[0], kind: 'merchant_prepaid', debits_must_not_exceed_credits: true },
      { owner_type: 'merchant', owner_id: a.merchantIds[0], kind: 'merchant_prepaid', debits_must_not_exceed_credits: false },
      { owner_type: 'network', owner_id: b.tenantId, kind: 'network_cash' },
      { owner_type: 'network', owner_id: a.tenantId, kind: 'payouts_in_transit' },
      { owner_type: 'network', owner_id: a.tenantId, kind: 'network_wallet' },
    ];
    for (const values of cases) expect(await rejection(insert(values)), JSON.stringify(values)).toMatchObject({ code: '23514' });
    await expect(
      insert({ owner_type: 'network', owner_id: a.tenantId, kind: 'payouts_in_transit', debits_must_not_exceed_credits: true }),
    ).resolves.toMatchObject({
      rowCount: 1,
    });
  });
});
