import { createPrisma, type PrismaClient } from '@app/db/client';
import { createTestDatabase, type TestDatabase } from '@app/db/testing/test-database';
import { withTenant } from '@app/db/with-tenant';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recomputeAccounts } from '../ledger/recompute-account';
import { trialBalance } from '../ledger/trial-balance';
import { commissionRows, insertConversion, type ProgramNetwork, prepaidOf, seedProgramNetwork, topUp } from './accrual-fixtures';
import { accrueConversionBatch } from './accrue-batch';
import { accrueConversion } from './accrue-conversion';

/** The batched accrual: one transaction accrues the job's conversion and the merchant's other conversions waiting for theirs. */

let db: TestDatabase;
let owner: pg.Pool;
let prisma: PrismaClient;
let slugSeq = 0;

beforeAll(async () => {
  db = await createTestDatabase('accrual_batch');
  owner = new pg.Pool({ connectionString: db.ownerUrl, max: 4 });
  owner.on('error', () => {});
  prisma = createPrisma({ url: db.appUrl, poolSize: 4 });
}, 60_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await owner?.end();
  await db?.drop();
});

async function expectLedgerConsistent(net: ProgramNetwork): Promise<void> {
  expect((await withTenant(prisma, net.tenantId, (tx) => recomputeAccounts(tx, net.tenantId))).filter((c) => !c.matches)).toEqual([]);
  expect((await withTenant(prisma, net.tenantId, (tx) => trialBalance(tx, net.tenantId))).every((t) => t.balanced)).toBe(true);
}

const april = (day: number) => new Date(`2026-04-${String(day).padStart(2, '0')}T10:00:00Z`);
const sorted = (ids: string[]) => [...ids].sort();

describe('accrueConversionBatch', () => {
  it('accrues the merchant’s waiting conversions in one transaction; a bonus threshold crossed within the batch pays one bonus per affiliate', async () => {
    const plan = { sale: { percentBps: 1000 }, bonuses: [{ metric: 'sales', period: 'month', threshold: 3, amount: 5_000 }] };
    const net = await seedProgramNetwork(owner, `batch${++slugSeq}`, { plans: plan, affiliates: 3 });
    await topUp(prisma, net, 1_000_000n);
    const [a0, a1, a2] = net.affiliateIds as [string, string, string];
    // a1 already has one sale accrued this month: the batch reads it from the database.
    const before = await insertConversion(owner, net, { affiliateId: a1, occurredAt: april(1) });
    await accrueConversion(prisma, net.tenantId, before);
    const ids = { a0: [] as string[], a1: [] as string[], a2: [] as string[] };
    for (let i = 0; i < 3; i++) ids.a0.push(await insertConversion(owner, net, { affiliateId: a0, occurredAt: april(2 + i) }));
    for (let i = 0; i < 2; i++) ids.a1.push(await insertConversion(owner, net, { affiliateId: a1, occurredAt: april(5 + i) }));
    for (let i = 0; i < 2; i++) ids.a2.push(await insertConversion(owner, net, { affiliateId: a2, occurredAt: april(7 + i) }));
    // Not for this batch: a refunded sale (its own job skips it) and another merchant's sale.
    const refunded = await insertConversion(owner, net, { affiliateId: a0, status: 'refunded', occurredAt: april(9) });
    const other = await seedProgramNetwork(owner, `batch${++slugSeq}`, { plans: plan, affiliates: 1 });
    await topUp(prisma, other, 1_000_000n);
    const elsewhere = await insertConversion(owner, other, { occurredAt: april(9) });

    const all = [...ids.a0, ...ids.a1, ...ids.a2];
    const outcome = await accrueConversionBatch(prisma, net.tenantId, ids.a2[1]!);
    expect(outcome).toMatchObject({ conversionId: ids.a2[1], status: 'accrued', changed: true, batched: 7 });

    const rows = await commissionRows(owner, net.tenantId, 'conversion_id <> $2', [before]);
    expect(
      rows
        .filter((r) => r.kind === 'primary')
        .map((r) => r.conversion_id)
        .sort(),
    ).toEqual(sorted(all));
    const bonuses = rows.filter((r) => r.kind === 'bonus');
    // The third sale of a0 in the batch's order, the second of a1 in the batch (its third of the month); none for a2.
    expect(bonuses.map((b) => [b.source_affiliate_id, b.conversion_id, b.amount, b.line_key]).sort()).toEqual(
      [
        [a0, sorted(ids.a0)[2], '5000', 'bonus:sales:month:3:2026-04'],
        [a1, sorted(ids.a1)[1], '5000', 'bonus:sales:month:3:2026-04'],
      ].sort(),
    );
    expect(rows.every((r) => r.status === 'pending' && r.pending_transfer_id !== null)).toBe(true);
    const accruals = await owner.query(`SELECT conversion_id FROM conversion_accruals WHERE tenant_id = $1 OR tenant_id = $2`, [net.tenantId, other.tenantId]);
    expect(accruals.rows.map((r) => r.conversion_id).sort()).toEqual(sorted([before, ...all]));
    const events = await owner.query(`SELECT count(*)::int AS n FROM domain_events WHERE tenant_id = $1 AND type = 'commission.created'`, [net.tenantId]);
    expect(events.rows[0].n).toBe(1 + all.length + 2);
    const rollup = await owner.query(`SELECT sum(sales)::int AS sales, sum(commissions)::int AS commissions FROM conversion_daily_stats WHERE tenant_id = $1`, [
      net.tenantId,
    ]);
    expect(rollup.rows[0]).toEqual({ sales: 1 + all.length, commissions: 1_000 * (1 + all.length) + 10_000 });

    // Every other job of the batch finds its conversion decided; the ledger does not move.
    const reserved = await prepaidOf(owner, net);
    for (const id of all.filter((x) => x !== ids.a2[1])) {
      expect(await accrueConversionBatch(prisma, net.tenantId, id)).toMatchObject({ conversionId: id, status: 'accrued', changed: false, batched: 0 });
    }
    expect(await prepaidOf(owner, net)).toEqual(reserved);
    expect(reserved).toMatchObject({ reserved: String(1_000 * (1 + all.length) + 10_000) });
    // The conversions left out are their own jobs' to decide.
    expect(await accrueConversionBatch(prisma, net.tenantId, refunded)).toMatchObject({ status: 'skipped', reason: 'refunded', changed: true });
    expect(await accrueConversionBatch(prisma, other.tenantId, elsewhere)).toMatchObject({ status: 'accrued', changed: true, batched: 1 });
    await expectLedgerConsistent(net);
  });

  it('a batch that runs out of funds midway: the conversions it covers are reserved, the rest wait in order behind one hold', async () => {
    const net = await seedProgramNetwork(owner, `batch${++slugSeq}`, { plans: { sale: { percentBps: 1000 } }, affiliates: 3 });
    await topUp(prisma, net, 2_500n);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(await insertConversion(owner, net, { affiliateId: net.affiliateIds[i % 3]!, amount: 10_000n, occurredAt: april(1 + i) }));
    const outcome = await accrueConversionBatch(prisma, net.tenantId, ids[0]!);
    expect(outcome).toMatchObject({ changed: true, batched: 5 });

    const rows = await commissionRows(owner, net.tenantId);
    const byConversion = sorted(ids).map((id) => rows.filter((r) => r.conversion_id === id).map((r) => [r.status, r.reason]));
    expect(byConversion).toEqual([
      [['pending', null]],
      [['pending', null]],
      [['awaiting_funds', 'insufficient_funds']],
      [['awaiting_funds', 'waiting_behind_funds_hold']],
      [['awaiting_funds', 'waiting_behind_funds_hold']],
    ]);
    expect(await prepaidOf(owner, net)).toEqual({ available: '500', reserved: '2000', posted: '2500' });
    const hold = await owner.query('SELECT funds_hold_at FROM programs WHERE id = $1', [net.programId]);
    expect(hold.rows[0].funds_hold_at).not.toBeNull();
    const low = await owner.query(`SELECT payload FROM domain_events WHERE tenant_id = $1 AND type = 'balance.low'`, [net.tenantId]);
    expect(low.rows).toHaveLength(1);
    expect(low.rows[0].payload).toMatchObject({ conversionId: sorted(ids)[2], needed: 1_000, available: 500, shortfall: 500 });

    // A later conversion, even one the balance covers, waits behind the hold.
    const later = await insertConversion(owner, net, { affiliateId: net.affiliateIds[0]!, amount: 1_000n, occurredAt: april(9) });
    expect(await accrueConversionBatch(prisma, net.tenantId, later)).toMatchObject({ status: 'awaiting_funds', changed: true });
    expect((await commissionRows(owner, net.tenantId, 'conversion_id = $2', [later]))[0]).toMatchObject({ reason: 'waiting_behind_funds_hold' });
    expect((await owner.query(`SELECT count(*)::int AS n FROM domain_events WHERE tenant_id = $1 AND type = 'balance.low'`, [net.tenantId])).rows[0].n).toBe(1);
    await expectLedgerConsistent(net);
  });
});
