import { createPrisma, type PrismaClient } from '@app/db/client';
import { createTestDatabase, type TestDatabase } from '@app/db/testing/test-database';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertConversion, seedProgramNetwork, topUp } from '../commissions/accrual-fixtures';
import { accrueConversion } from '../commissions/accrue-conversion';

/** The accrual keeps conversion_daily_stats: one upsert per accrued conversion, in its transaction. */

let db: TestDatabase;
let owner: pg.Pool;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await createTestDatabase('conversion_rollup');
  owner = new pg.Pool({ connectionString: db.ownerUrl, max: 4 });
  owner.on('error', () => {});
  prisma = createPrisma({ url: db.appUrl, poolSize: 10 });
}, 60_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await owner?.end();
  await db?.drop();
});

async function rollups(tenantId: string) {
  const { rows } = await owner.query(
    `SELECT to_char(day, 'YYYY-MM-DD') AS day, affiliate_id, link_id, sub1, currency, leads::int, sales::int, revenue::text, commissions::text,
            network_fees::text FROM conversion_daily_stats WHERE tenant_id = $1 ORDER BY day, affiliate_id`,
    [tenantId],
  );
  return rows;
}

describe('the conversion rollup', () => {
  it('adds leads, sales, revenue, affiliate commissions and fees by the UTC day of occurredAt, once per conversion', async () => {
    const net = await seedProgramNetwork(owner, 'rollup1', {
      plans: { sale: { percentBps: 1000 }, lead: { flat: 150 }, networkFee: { percentBps: 2000, of: 'commission' } },
      affiliates: 2,
    });
    await topUp(prisma, net, 1_000_000n);
    const [a, b] = net.affiliateIds as [string, string];
    const ids = [
      await insertConversion(owner, net, { affiliateId: a, amount: 10_000n, occurredAt: new Date('2026-03-10T23:59:59Z') }),
      await insertConversion(owner, net, { affiliateId: a, amount: 5_000n, refundedAmount: 1_000n, occurredAt: new Date('2026-03-10T00:00:00Z') }),
      await insertConversion(owner, net, { affiliateId: a, type: 'lead', occurredAt: new Date('2026-03-10T08:00:00Z') }),
      await insertConversion(owner, net, { affiliateId: b, amount: 2_000n, occurredAt: new Date('2026-03-11T00:00:00Z') }),
      // Not accrued: refunded and unattributed conversions are skipped.
      await insertConversion(owner, net, { affiliateId: b, status: 'refunded', occurredAt: new Date('2026-03-11T00:00:00Z') }),
      await insertConversion(owner, net, { attribution: 'unattributed', occurredAt: new Date('2026-03-11T00:00:00Z') }),
    ];
    for (const id of ids) await accrueConversion(prisma, net.tenantId, id);
    // Repeats change nothing.
    for (const id of ids) expect((await accrueConversion(prisma, net.tenantId, id)).changed).toBe(false);
    // 10 % of 10,000 + 10 % of 5,000 + 150 = 1,650 (the refund before the accrual is the reversal job's), fee 20 % of each.
    expect(await rollups(net.tenantId)).toEqual([
      {
        day: '2026-03-10',
        affiliate_id: a,
        link_id: '',
        sub1: '',
        currency: 'EUR',
        leads: 1,
        sales: 2,
        revenue: '15000',
        commissions: '1650',
        network_fees: '330',
      },
      {
        day: '2026-03-11',
        affiliate_id: b,
        link_id: '',
        sub1: '',
        currency: 'EUR',
        leads: 0,
        sales: 1,
        revenue: '2000',
        commissions: '200',
        network_fees: '40',
      },
    ]);
  });

  it('counts conversions whose lines wait for funds, and a lead that earns nothing', async () => {
    const net = await seedProgramNetwork(owner, 'rollup2', { plans: { sale: { percentBps: 1000 } }, affiliates: 1 });
    const sale = await insertConversion(owner, net, { amount: 3_000n });
    const lead = await insertConversion(owner, net, { type: 'lead' });
    expect((await accrueConversion(prisma, net.tenantId, sale)).status).toBe('awaiting_funds');
    await accrueConversion(prisma, net.tenantId, lead);
    expect(await rollups(net.tenantId)).toEqual([
      {
        day: '2026-03-10',
        affiliate_id: net.affiliateIds[0],
        link_id: '',
        sub1: '',
        currency: 'EUR',
        leads: 1,
        sales: 1,
        revenue: '3000',
        commissions: '300',
        network_fees: '0',
      },
    ]);
  });
});
