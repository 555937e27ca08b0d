import { createPrisma, type PrismaClient } from '@app/db/client';
import { newId } from '@app/db/ids';
import { createTestDatabase, type TestDatabase } from '@app/db/testing/test-database';
import { withTenant } from '@app/db/with-tenant';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transferCount } from '../ledger/ledger-fixtures';
import { recomputeAccounts } from '../ledger/recompute-account';
import { trialBalance } from '../ledger/trial-balance';
import { commissionRows, insertConversion, type ProgramNetwork, prepaidOf, seedProgramNetwork, topUp } from './accrual-fixtures';
import { accrueConversion } from './accrue-conversion';
import { resumeAwaitingFunds } from './resume-awaiting-funds';

/**
 * Accruals racing for one merchant's prepaid balance and one affiliate's counts, each in
 * its own transaction as the worker runs them; commissions waiting for funds, the
 * program's hold, and the resume after a top-up.
 */

let db: TestDatabase;
let owner: pg.Pool;
let prisma: PrismaClient;
let slugSeq = 0;

beforeAll(async () => {
  db = await createTestDatabase('accrual_funds');
  owner = new pg.Pool({ connectionString: db.ownerUrl, max: 4 });
  owner.on('error', () => {});
  prisma = createPrisma({ url: db.appUrl, poolSize: 20 });
}, 60_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await owner?.end();
  await db?.drop();
});

async function network(plans: unknown, funds?: bigint, affiliates = 3): Promise<ProgramNetwork> {
  const net = await seedProgramNetwork(owner, `fund${++slugSeq}`, { plans, affiliates });
  if (funds !== undefined) await topUp(prisma, net, funds);
  return net;
}

async function expectLedgerConsistent(net: ProgramNetwork): Promise<void> {
  expect((await withTenant(prisma, net.tenantId, (tx) => recomputeAccounts(tx, net.tenantId))).filter((c) => !c.matches)).toEqual([]);
  expect((await withTenant(prisma, net.tenantId, (tx) => trialBalance(tx, net.tenantId))).every((t) => t.balanced)).toBe(true);
}

async function holdOf(net: ProgramNetwork): Promise<Date | null> {
  return (await owner.query('SELECT funds_hold_at FROM programs WHERE id = $1', [net.programId])).rows[0].funds_hold_at;
}

async function eventsOf(net: ProgramNetwork, type: string) {
  return (await owner.query('SELECT subject_id, payload FROM domain_events WHERE tenant_id = $1 AND type = $2 ORDER BY id', [net.tenantId, type])).rows;
}

const statusByConversion = async (net: ProgramNetwork, ids: string[]) => {
  const rows = await commissionRows(owner, net.tenantId);
  return ids.map((id) => rows.filter((r) => r.conversion_id === id).map((r) => r.status));
};

describe('100 parallel accruals against a balance that covers 60', () => {
  it('reserves exactly 60, stores 40 awaiting_funds, holds the program once, and the balance never goes below zero', async () => {
    const net = await network({ sale: { percentBps: 1000 } }, 60n * 250n, 5);
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) ids.push(await insertConversion(owner, net, { affiliateId: net.affiliateIds[i % 5]!, amount: 2_500n }));

    let racing = true;
    const seen: bigint[] = [];
    const watcher = (async () => {
      const client = await owner.connect();
      try {
        while (racing) {
          const { rows } = await client.query<{ available: string }>(
            `SELECT (credits_posted - debits_posted - debits_pending)::text AS available FROM ledger_accounts
              WHERE tenant_id = $1 AND kind = 'merchant_prepaid'`,
            [net.tenantId],
          );
          seen.push(BigInt(rows[0]!.available));
        }
      } finally {
        client.release();
      }
    })();
    const outcomes = await Promise.all(ids.map((id) => accrueConversion(prisma, net.tenantId, id)));
    racing = false;
    await watcher;

    expect(outcomes.filter((o) => o.status === 'accrued')).toHaveLength(60);
    expect(outcomes.filter((o) => o.status === 'awaiting_funds')).toHaveLength(40);
    const rows = await commissionRows(owner, net.tenantId);
    expect(rows).toHaveLength(100);
    expect(rows.filter((r) => r.status === 'pending' && r.pending_transfer_id !== null)).toHaveLength(60);
    expect(rows.filter((r) => r.status === 'awaiting_funds' && r.pending_transfer_id === null)).toHaveLength(40);
    // First come, first served: everything after the first refusal waits (the rows' order is the order they were decided in).
    const firstWaiting = rows.findIndex((r) => r.status === 'awaiting_funds');
    expect(firstWaiting).toBe(60);
    expect(rows.slice(firstWaiting).every((r) => r.status === 'awaiting_funds')).toBe(true);
    expect(rows[60]!.reason).toBe('insufficient_funds');
    expect(rows.slice(61).every((r) => r.reason === 'waiting_behind_funds_hold')).toBe(true);

    expect(await prepaidOf(owner, net)).toEqual({ available: '0', reserved: '15000', posted: '15000' });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((a) => a >= 0n)).toBe(true);
    expect(await transferCount(owner, [net.tenantId])).toBe(1 + 60);
    expect(await holdOf(net)).toBeInstanceOf(Date);
    const low = await eventsOf(net, 'balance.low');
    expect(low).toEqual([
      {
        subject_id: net.merchantId,
        payload: expect.objectContaining({ merchantId: net.merchantId, currency: 'EUR', programId: net.programId, needed: 250, available: 0, shortfall: 250 }),
      },
    ]);
    await expectLedgerConsistent(net);
  }, 60_000);
});

describe('two conversions crossing a bonus threshold at once', () => {
  it('pay one bonus, to whichever was counted first', async () => {
    const net = await network({ sale: { percentBps: 1000 }, bonuses: [{ metric: 'sales', period: 'month', threshold: 2, amount: 5_000 }] }, 1_000_000n);
    const at = new Date('2026-04-10T10:00:00Z');
    await accrueConversion(prisma, net.tenantId, await insertConversion(owner, net, { occurredAt: at }));
    const a = await insertConversion(owner, net, { occurredAt: at });
    const b = await insertConversion(owner, net, { occurredAt: at });
    const [oa, ob] = await Promise.all([accrueConversion(prisma, net.tenantId, a), accrueConversion(prisma, net.tenantId, b)]);
    const bonuses = [...oa.commissions, ...ob.commissions].filter((c) => c.kind === 'bonus');
    expect(bonuses).toHaveLength(1);
    expect(bonuses[0]!.lineKey).toBe('bonus:sales:month:2:2026-04');
    expect(await commissionRows(owner, net.tenantId, `kind = 'bonus'`)).toHaveLength(1);
  });

  it('ten at once across a threshold of five: one bonus, on the fifth sale counted', async () => {
    const net = await network(
      { sale: { percentBps: 1000 }, bonuses: [{ metric: 'revenue', period: 'quarter', threshold: 50_000, amount: 7_000 }] },
      1_000_000n,
    );
    const ids = [];
    for (let i = 0; i < 10; i++) ids.push(await insertConversion(owner, net, { amount: 10_000n, occurredAt: new Date('2026-05-01T10:00:00Z') }));
    const outcomes = await Promise.all(ids.map((id) => accrueConversion(prisma, net.tenantId, id)));
    expect(outcomes.every((o) => o.status === 'accrued')).toBe(true);
    const bonuses = await commissionRows(owner, net.tenantId, `kind = 'bonus'`);
    expect(bonuses.map((b) => [b.line_key, b.amount])).toEqual([['bonus:revenue:quarter:50000:2026-Q2', '7000']]);
    const explain = (await owner.query('SELECT explain FROM conversion_accruals WHERE conversion_id = $1', [bonuses[0]!.conversion_id])).rows[0].explain;
    expect(explain.bonuses).toEqual([expect.objectContaining({ before: '40000', after: '50000', crossed: true })]);
  });
});

describe('waiting for funds and resuming after a top-up', () => {
  it('keeps the order: later conversions wait behind the first refused, a top-up resumes them oldest first until funds run out, then lifts the hold', async () => {
    const net = await network({ sale: { percentBps: 1000 }, networkFee: { percentBps: 1000, of: 'commission' } }, 3_000n);
    // Merchant totals: 1,100 / 1,100 / 2,200 / 110 / 550.
    const amounts = [10_000n, 10_000n, 20_000n, 1_000n, 5_000n];
    const ids = [];
    for (const amount of amounts) {
      const id = await insertConversion(owner, net, { amount });
      ids.push(id);
      await accrueConversion(prisma, net.tenantId, id);
    }
    // The third needs 2,200 with 800 left: it waits, and so do the fourth and fifth, though 110 would fit.
    expect(await statusByConversion(net, ids)).toEqual([
      ['pending', 'pending'],
      ['pending', 'pending'],
      ['awaiting_funds', 'awaiting_funds'],
      ['awaiting_funds', 'awaiting_funds'],
      ['awaiting_funds', 'awaiting_funds'],
    ]);
    expect(await prepaidOf(owner, net)).toMatchObject({ available: '800' });
    expect(await holdOf(net)).toBeInstanceOf(Date);
    expect(await eventsOf(net, 'balance.low')).toHaveLength(1);

    // A top-up of 1,500: 2,300 available covers the third (2,200) only; the fourth (110) stays behind.
    await topUp(prisma, net, 1_500n);
    const late = await insertConversion(owner, net, { amount: 1_000n });
    // An accrual between the top-up and its resume still queues behind the waiting ones.
    expect((await accrueConversion(prisma, net.tenantId, late)).status).toBe('awaiting_funds');
    ids.push(late);
    const first = await resumeAwaitingFunds(prisma, net.tenantId, net.merchantId, 'EUR');
    expect(first).toEqual({ merchantId: net.merchantId, currency: 'EUR', reserved: 2, closed: 0, waiting: 6, releasedPrograms: [] });
    expect((await statusByConversion(net, ids)).map((s) => s[0])).toEqual([
      'pending',
      'pending',
      'pending',
      'awaiting_funds',
      'awaiting_funds',
      'awaiting_funds',
    ]);
    expect(await prepaidOf(owner, net)).toMatchObject({ available: '100' });
    expect(await holdOf(net)).toBeInstanceOf(Date);
    // Still the same hold: no second balance.low.
    expect(await eventsOf(net, 'balance.low')).toHaveLength(1);

    await topUp(prisma, net, 10_000n);
    const second = await resumeAwaitingFunds(prisma, net.tenantId, net.merchantId, 'EUR', { batchSize: 3 });
    expect(second).toMatchObject({ reserved: 6, waiting: 0, releasedPrograms: [net.programId] });
    const rows = await commissionRows(owner, net.tenantId);
    expect(rows.every((r) => r.status === 'pending' && r.pending_transfer_id !== null && r.reason === null)).toBe(true);
    expect(await holdOf(net)).toBeNull();
    expect(await eventsOf(net, 'balance.restored')).toEqual([
      { subject_id: net.merchantId, payload: { merchantId: net.merchantId, currency: 'EUR', programIds: [net.programId], resumedCommissions: 6 } },
    ]);
    // Without a hold, a new accrual is reserved at once; a repeated resume changes nothing.
    expect((await accrueConversion(prisma, net.tenantId, await insertConversion(owner, net, { amount: 1_000n }))).status).toBe('accrued');
    expect(await resumeAwaitingFunds(prisma, net.tenantId, net.merchantId, 'EUR')).toMatchObject({ reserved: 0, waiting: 0, releasedPrograms: [] });
    expect(await eventsOf(net, 'balance.restored')).toHaveLength(1);
    await expectLedgerConsistent(net);
  });

  it('a merchant without any top-up: the first commission waits, the resume after a top-up reserves it', async () => {
    const net = await network({ lead: { flat: 400 } });
    const id = await insertConversion(owner, net, { type: 'lead', amount: null });
    const outcome = await accrueConversion(prisma, net.tenantId, id);
    expect(outcome).toMatchObject({ status: 'awaiting_funds', changed: true });
    expect(await eventsOf(net, 'balance.low')).toEqual([{ subject_id: net.merchantId, payload: expect.objectContaining({ needed: 400, available: 0 }) }]);
    // The job again: same answer, nothing more.
    expect(await accrueConversion(prisma, net.tenantId, id)).toMatchObject({ status: 'awaiting_funds', changed: false });
    await topUp(prisma, net, 400n);
    expect(await resumeAwaitingFunds(prisma, net.tenantId, net.merchantId, 'EUR')).toMatchObject({
      reserved: 1,
      waiting: 0,
      releasedPrograms: [net.programId],
    });
    expect(await prepaidOf(owner, net)).toEqual({ available: '0', reserved: '400', posted: '400' });
    await expectLedgerConsistent(net);
  });

  it('closes the waiting commissions of a conversion refunded or rejected meanwhile instead of reserving them', async () => {
    const net = await network({ sale: { percentBps: 1000 } }, 1n);
    const refunded = await insertConversion(owner, net);
    const rejected = await insertConversion(owner, net);
    const kept = await insertConversion(owner, net);
    for (const id of [refunded, rejected, kept]) await accrueConversion(prisma, net.tenantId, id);
    await owner.query(`UPDATE conversions SET status = 'refunded', refunded_amount = amount WHERE id = $1`, [refunded]);
    await owner.query(`UPDATE conversions SET status = 'rejected' WHERE id = $1`, [rejected]);
    await topUp(prisma, net, 5_000n);
    expect(await resumeAwaitingFunds(prisma, net.tenantId, net.merchantId, 'EUR')).toMatchObject({ reserved: 1, closed: 2, waiting: 0 });
    const rows = await commissionRows(owner, net.tenantId);
    expect(rows.map((r) => [r.conversion_id, r.status, r.reason])).toEqual([
      [refunded, 'reversed', 'conversion_refunded'],
      [rejected, 'rejected', 'conversion_rejected'],
      [kept, 'pending', null],
    ]);
    expect(await prepaidOf(owner, net)).toMatchObject({ reserved: '1000' });
    expect(await holdOf(net)).toBeNull();
  });

  it('holds each program of the merchant whose commissions wait, and lifts them together', async () => {
    const net = await network({ sale: { percentBps: 1000 } }, 500n);
    const second = await seedSecondProgram(net);
    const a = await insertConversion(owner, net);
    const b = await insertConversion(owner, { ...net, programId: second });
    await accrueConversion(prisma, net.tenantId, a);
    await accrueConversion(prisma, net.tenantId, b);
    const held = await owner.query('SELECT id FROM programs WHERE merchant_id = $1 AND funds_hold_at IS NOT NULL ORDER BY id', [net.merchantId]);
    expect(held.rows.map((r) => r.id)).toEqual([net.programId, second].sort());
    expect(await eventsOf(net, 'balance.low')).toHaveLength(1);
    await topUp(prisma, net, 2_000n);
    expect((await resumeAwaitingFunds(prisma, net.tenantId, net.merchantId, 'EUR')).releasedPrograms).toEqual([net.programId, second].sort());
  });
});

async function seedSecondProgram(net: ProgramNetwork): Promise<string> {
  const programId = newId('program');
  await owner.query(
    `INSERT INTO programs (id, tenant_id, merchant_id, name, landing_url, currency, status) VALUES ($1, $2, $3, 'Bags', 'https://bags.example/', 'EUR', 'active')`,
    [programId, net.tenantId, net.merchantId],
  );
  await owner.query(
    `INSERT INTO program_plan_versions (id, tenant_id, program_id, version, plan, effective_from) VALUES ($1, $2, $3, 1, '{"sale":{"percentBps":1000}}', '2020-01-01')`,
    [newId('planVersion'), net.tenantId, programId],
  );
  return programId;
}
