import { createPrisma, type PrismaClient } from '@app/db/client';
import { newId } from '@app/db/ids';
import { createTestDatabase, type TestDatabase } from '@app/db/testing/test-database';
import { withTenant } from '@app/db/with-tenant';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountRows, transferCount } from '../ledger/ledger-fixtures';
import { recomputeAccounts } from '../ledger/recompute-account';
import { trialBalance } from '../ledger/trial-balance';
import { bindCustomer, commissionRows, insertConversion, type ProgramNetwork, prepaidOf, seedProgramNetwork, topUp } from './accrual-fixtures';
import { type AccrualOutcome, accrueConversion } from './accrue-conversion';

/** The accrual job against real rows: commission lines, their pending transfers, skips and repeats. */

let db: TestDatabase;
let owner: pg.Pool;
let prisma: PrismaClient;
let slugSeq = 0;

beforeAll(async () => {
  db = await createTestDatabase('accrue_conversion');
  owner = new pg.Pool({ connectionString: db.ownerUrl, max: 4 });
  owner.on('error', () => {});
  prisma = createPrisma({ url: db.appUrl, poolSize: 10 });
}, 60_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await owner?.end();
  await db?.drop();
});

async function network(plans: unknown, extra: { holdDays?: number; funds?: bigint } = {}): Promise<ProgramNetwork> {
  const net = await seedProgramNetwork(owner, `acc${++slugSeq}`, { plans, holdDays: extra.holdDays });
  if (extra.funds !== undefined) await topUp(prisma, net, extra.funds);
  return net;
}

async function transfersOf(net: ProgramNetwork) {
  const { rows } = await owner.query(
    `SELECT t.id, t.kind, t.amount::text, t.code, t.idempotency_key, d.kind AS debit, c.kind AS credit, c.owner_id AS credit_owner, t.user_data
       FROM ledger_transfers t JOIN ledger_accounts d ON d.id = t.debit_account_id JOIN ledger_accounts c ON c.id = t.credit_account_id
      WHERE t.tenant_id = $1 AND t.code = 'accrual' ORDER BY t.id`,
    [net.tenantId],
  );
  return rows;
}

async function events(net: ProgramNetwork, type: string) {
  return (await owner.query('SELECT subject_id, payload FROM domain_events WHERE tenant_id = $1 AND type = $2 ORDER BY id', [net.tenantId, type])).rows;
}

async function expectLedgerConsistent(net: ProgramNetwork): Promise<void> {
  expect((await withTenant(prisma, net.tenantId, (tx) => recomputeAccounts(tx, net.tenantId))).filter((c) => !c.matches)).toEqual([]);
  expect((await withTenant(prisma, net.tenantId, (tx) => trialBalance(tx, net.tenantId))).every((t) => t.balanced)).toBe(true);
}

describe('a CPS sale', () => {
  it('makes the primary commission and the network fee, each reserved by a pending transfer from the merchant’s prepaid account', async () => {
    const net = await network({ sale: { percentBps: 1000 }, networkFee: { percentBps: 2000, of: 'commission' } }, { holdDays: 14, funds: 100_000n });
    const occurredAt = new Date('2026-03-10T12:00:00Z');
    const id = await insertConversion(owner, net, { amount: 12_000n, occurredAt });

    const outcome = await accrueConversion(prisma, net.tenantId, id);
    expect(outcome).toMatchObject({ conversionId: id, status: 'accrued', reason: null, changed: true });
    expect(outcome.commissions.map((c) => [c.kind, c.amount, c.status])).toEqual([
      ['primary', 1_200n, 'pending'],
      ['network_fee', 240n, 'pending'],
    ]);

    const rows = await commissionRows(owner, net.tenantId);
    const holdUntil = new Date(occurredAt.getTime() + 14 * 86_400_000);
    expect(rows).toEqual([
      expect.objectContaining({
        conversion_id: id,
        kind: 'primary',
        line_key: 'primary',
        affiliate_id: net.affiliateIds[0],
        source_affiliate_id: net.affiliateIds[0],
        amount: '1200',
        status: 'pending',
        rate_bps: 1000,
        basis: '12000',
        tier_step: null,
        plan_version_id: net.versions[0],
        hold_until: holdUntil,
        reason: null,
      }),
      expect.objectContaining({ kind: 'network_fee', line_key: 'network_fee', affiliate_id: null, amount: '240', rate_bps: 2000, basis: '1200' }),
    ]);
    const transfers = await transfersOf(net);
    expect(transfers).toHaveLength(2);
    const byCommission = new Map(transfers.map((t) => [t.user_data.commissionId, t]));
    for (const row of rows) {
      const t = byCommission.get(row.id);
      expect(t, row.kind).toMatchObject({ id: row.pending_transfer_id, kind: 'pending', amount: row.amount, idempotency_key: `accrual:${row.id}` });
      expect(t.debit).toBe('merchant_prepaid');
      expect(t.credit).toBe(row.kind === 'network_fee' ? 'network_fee_revenue' : 'affiliate_earnings');
      expect(t.user_data).toEqual({ commissionId: row.id, conversionId: id, kind: row.kind });
    }
    expect(await prepaidOf(owner, net)).toEqual({ available: String(100_000 - 1_440), reserved: '1440', posted: '100000' });
    const earnings = (await accountRows(owner, [net.tenantId])).find((a) => a.kind === 'affiliate_earnings')!;
    expect(earnings.credits_pending).toBe('1200');

    // The affiliate's line is announced; the network's fee is not an affiliate's commission.
    const created = await events(net, 'commission.created');
    expect(created).toEqual([
      {
        subject_id: rows[0]!.id,
        payload: expect.objectContaining({ kind: 'primary', amount: 1200, affiliateId: net.affiliateIds[0], status: 'pending', conversionId: id }),
      },
    ]);
    const accrual = (
      await owner.query('SELECT outcome, reason, merchant_total::text, plan_version_id, explain FROM conversion_accruals WHERE conversion_id = $1', [id])
    ).rows[0];
    expect(accrual).toMatchObject({ outcome: 'accrued', reason: null, merchant_total: '1440', plan_version_id: net.versions[0] });
    expect(accrual.explain).toMatchObject({
      type: 'sale',
      rate: 'sale',
      lines: [
        { key: 'primary', amount: '1200' },
        { key: 'network_fee', amount: '240' },
      ],
    });
    await expectLedgerConsistent(net);
  });

  it('pays order lines at their item rates and the rest at the sale rate', async () => {
    const net = await network({ sale: { percentBps: 1000 }, items: [{ match: { category: 'boots' }, percentBps: 500 }] }, { funds: 10_000n });
    const id = await insertConversion(owner, net, { amount: 10_000n, items: [{ sku: 'B-1', category: 'boots', amount: 3_000, quantity: 2 }] });
    const outcome = await accrueConversion(prisma, net.tenantId, id);
    // 5 % of 6,000 + 10 % of the 4,000 rest.
    expect(outcome.commissions.map((c) => [c.kind, c.amount])).toEqual([['primary', 700n]]);
  });
});

describe('a lead', () => {
  it('pays the lead’s flat amount', async () => {
    const net = await network({ lead: { flat: 500 }, sale: { percentBps: 1000 } }, { funds: 10_000n });
    const id = await insertConversion(owner, net, { type: 'lead', amount: null });
    const outcome = await accrueConversion(prisma, net.tenantId, id);
    expect(outcome.status).toBe('accrued');
    expect(await commissionRows(owner, net.tenantId)).toEqual([
      expect.objectContaining({ kind: 'primary', amount: '500', basis: '0', rate_bps: null, status: 'pending' }),
    ]);
    expect(await prepaidOf(owner, net)).toMatchObject({ reserved: '500' });
  });

  it('under a plan that pays no leads: decided, with no commission and no transfer', async () => {
    const net = await network({ sale: { percentBps: 1000 } }, { funds: 10_000n });
    const id = await insertConversion(owner, net, { type: 'lead', amount: null });
    expect(await accrueConversion(prisma, net.tenantId, id)).toMatchObject({ status: 'accrued', changed: true, commissions: [] });
    expect(await transfersOf(net)).toEqual([]);
    const accrual = (await owner.query('SELECT outcome, merchant_total::text FROM conversion_accruals WHERE conversion_id = $1', [id])).rows;
    expect(accrual).toEqual([{ outcome: 'accrued', merchant_total: '0' }]);
    // Again: nothing new.
    expect(await accrueConversion(prisma, net.tenantId, id)).toMatchObject({ status: 'accrued', changed: false, commissions: [] });
  });
});

describe('a recurring sale', () => {
  it('pays the recurring rate inside the binding’s months and nothing after them', async () => {
    const net = await network({ sale: { percentBps: 2000 }, recurring: { percentBps: 1000, months: 12 } }, { funds: 100_000n });
    const affiliateId = net.affiliateIds[1]!;
    const bindingId = await bindCustomer(owner, net, affiliateId, new Date('2026-01-10T09:00:00Z'));
    const renewal = await insertConversion(owner, net, {
      affiliateId,
      recurring: true,
      bindingId,
      amount: 5_000n,
      occurredAt: new Date('2026-03-10T09:00:00Z'),
    });
    const late = await insertConversion(owner, net, { affiliateId, recurring: true, bindingId, amount: 5_000n, occurredAt: new Date('2027-01-10T09:00:00Z') });

    expect((await accrueConversion(prisma, net.tenantId, renewal)).commissions.map((c) => [c.kind, c.amount, c.rateBps])).toEqual([['primary', 500n, 1000]]);
    const expired = await accrueConversion(prisma, net.tenantId, late);
    expect(expired).toMatchObject({ status: 'accrued', commissions: [] });
    const explain = (await owner.query('SELECT explain FROM conversion_accruals WHERE conversion_id = $1', [late])).rows[0].explain;
    expect(explain).toMatchObject({ recurring: 'expired', rate: 'none' });
  });
});

describe('tiers and bonuses', () => {
  it('counts the affiliate’s accrued sales of the period before each sale: the tier step and a bonus crossed once', async () => {
    const net = await network(
      {
        sale: { percentBps: 1000 },
        tiers: {
          metric: 'sales',
          period: 'month',
          steps: [
            { from: 0, percentBps: 1000 },
            { from: 2, percentBps: 1500 },
          ],
        },
        bonuses: [{ metric: 'sales', period: 'month', threshold: 3, amount: 5_000 }],
        secondTierBps: 1000,
        networkFee: { percentBps: 1000, of: 'commission' },
      },
      { funds: 1_000_000n },
    );
    const [child, other] = net.affiliateIds as [string, string];
    const march = (day: number) => new Date(Date.UTC(2026, 2, day, 12));
    // Another affiliate's sale, a lead, a refunded sale and a sale of another month do not count for the child.
    await accrueConversion(prisma, net.tenantId, await insertConversion(owner, net, { affiliateId: other, occurredAt: march(1) }));
    await accrueConversion(prisma, net.tenantId, await insertConversion(owner, net, { affiliateId: child, type: 'lead', amount: null, occurredAt: march(1) }));
    const refunded = await insertConversion(owner, net, { affiliateId: child, occurredAt: march(1) });
    await accrueConversion(prisma, net.tenantId, refunded);
    await owner.query(`UPDATE conversions SET status = 'refunded', refunded_amount = amount WHERE id = $1`, [refunded]);
    await accrueConversion(prisma, net.tenantId, await insertConversion(owner, net, { affiliateId: child, occurredAt: new Date(Date.UTC(2026, 1, 27)) }));

    const sales: { id: string; outcome: AccrualOutcome }[] = [];
    for (const day of [2, 3, 4, 5]) {
      const id = await insertConversion(owner, net, { affiliateId: child, amount: 10_000n, occurredAt: march(day) });
      sales.push({ id, outcome: await accrueConversion(prisma, net.tenantId, id) });
    }
    const linesOf = (i: number) => sales[i]!.outcome.commissions.map((c) => `${c.lineKey}=${c.amount}${c.tierStep !== null ? `@${c.tierStep}` : ''}`);
    expect(linesOf(0)).toEqual(['primary=1000@0', 'second_tier=100', 'network_fee=110']);
    expect(linesOf(1)).toEqual(['primary=1000@0', 'second_tier=100', 'network_fee=110']);
    // The third sale of March: step 1 (two before it), and it takes the count to the threshold.
    expect(linesOf(2)).toEqual([
      'primary=1500@1',
      'second_tier=150',
      'network_fee=165',
      'bonus:sales:month:3:2026-03=5000',
      'second_tier:bonus:sales:month:3:2026-03=500',
      'network_fee:bonus:sales:month:3:2026-03=550',
    ]);
    expect(linesOf(3)).toEqual(['primary=1500@1', 'second_tier=150', 'network_fee=165']);

    const bonus = sales[2]!.outcome.commissions.filter((c) => c.bonusKey !== null);
    expect(bonus.map((c) => [c.kind, c.affiliateId, c.sourceAffiliateId, c.bonusKey])).toEqual([
      ['bonus', child, child, 'bonus:sales:month:3:2026-03'],
      ['second_tier', net.parentId, child, 'bonus:sales:month:3:2026-03'],
      ['network_fee', null, child, 'bonus:sales:month:3:2026-03'],
    ]);
    // Every line reserved: prepaid → the child's, the parent's earnings and the fee revenue.
    const transfers = await transfersOf(net);
    const owners = new Set(transfers.map((t) => t.credit_owner));
    expect(owners).toEqual(new Set([child, other, net.parentId, net.tenantId]));
    expect(transfers.every((t) => t.kind === 'pending' && t.debit === 'merchant_prepaid')).toBe(true);
    await expectLedgerConsistent(net);
  });

  it('pays no second bonus for a period after a refund took the count below the threshold and a sale took it back', async () => {
    const net = await network(
      { sale: { percentBps: 1000 }, bonuses: [{ metric: 'sales', period: 'year', threshold: 2, amount: 3_000 }] },
      { funds: 1_000_000n },
    );
    const ids = [];
    for (const day of [1, 2]) ids.push(await insertConversion(owner, net, { occurredAt: new Date(Date.UTC(2026, 4, day)) }));
    for (const id of ids) await accrueConversion(prisma, net.tenantId, id);
    expect((await commissionRows(owner, net.tenantId, `kind = 'bonus'`)).map((r) => r.conversion_id)).toEqual([ids[1]]);
    await owner.query(`UPDATE conversions SET status = 'refunded', refunded_amount = amount WHERE id = $1`, [ids[0]]);
    const again = await insertConversion(owner, net, { occurredAt: new Date(Date.UTC(2026, 4, 3)) });
    const outcome = await accrueConversion(prisma, net.tenantId, again);
    expect(outcome.commissions.map((c) => c.kind)).toEqual(['primary']);
    const explain = (await owner.query('SELECT explain FROM conversion_accruals WHERE conversion_id = $1', [again])).rows[0].explain;
    expect(explain.heldBonusLines).toEqual(['bonus:sales:year:2:2026']);
    expect(await commissionRows(owner, net.tenantId, `kind = 'bonus'`)).toHaveLength(1);
  });
});

describe('plan versions and overrides', () => {
  it('pays under the version in force when the conversion occurred, the first one for a conversion before it', async () => {
    const net = await network([
      [new Date('2026-01-01T00:00:00Z'), { sale: { percentBps: 1000 } }],
      [new Date('2026-06-01T00:00:00Z'), { sale: { percentBps: 2000 } }],
    ]);
    await topUp(prisma, net, 100_000n);
    const cases: [string, bigint, string][] = [
      ['2025-12-31T23:59:59Z', 1_000n, net.versions[0]!],
      ['2026-05-31T23:59:59Z', 1_000n, net.versions[0]!],
      ['2026-06-01T00:00:00Z', 2_000n, net.versions[1]!],
    ];
    for (const [at, amount, version] of cases) {
      const id = await insertConversion(owner, net, { occurredAt: new Date(at) });
      const [primary] = (await accrueConversion(prisma, net.tenantId, id)).commissions;
      expect([at, primary!.amount, primary!.planVersionId]).toEqual([at, amount, version]);
    }
  });

  it('applies the group’s override, then the enrollment’s', async () => {
    const net = await network({ sale: { percentBps: 1000 }, networkFee: { percentBps: 1000, of: 'sale' } }, { funds: 100_000n });
    const [a, b] = net.affiliateIds as [string, string];
    await owner.query(`UPDATE program_groups SET plan_override = $1 WHERE id = $2`, [JSON.stringify({ sale: { flat: 700 } }), net.groupId]);
    await owner.query(`UPDATE enrollments SET group_id = $1 WHERE affiliate_id = ANY ($2)`, [net.groupId, [a, b]]);
    await owner.query(`UPDATE enrollments SET plan_override = $1 WHERE affiliate_id = $2`, [JSON.stringify({ networkFee: null }), b]);
    const lines = async (affiliateId: string) =>
      (await accrueConversion(prisma, net.tenantId, await insertConversion(owner, net, { affiliateId }))).commissions.map((c) => `${c.kind}=${c.amount}`);
    expect(await lines(a)).toEqual(['primary=700', 'network_fee=1000']);
    expect(await lines(b)).toEqual(['primary=700']);
    expect(await lines(net.affiliateIds[2]!)).toEqual(['primary=1000', 'network_fee=1000']);
  });

  it('pays no parent who is not active', async () => {
    const net = await network({ sale: { percentBps: 1000 }, secondTierBps: 1000 }, { funds: 100_000n });
    await owner.query(`UPDATE affiliates SET status = 'suspended' WHERE id = $1`, [net.parentId]);
    const outcome = await accrueConversion(prisma, net.tenantId, await insertConversion(owner, net));
    expect(outcome.commissions.map((c) => c.kind)).toEqual(['primary']);
  });
});

describe('conversions that earn nothing', () => {
  it('records refunded, rejected and unattributed conversions as skipped, with no commission and no transfer', async () => {
    const net = await network({ sale: { percentBps: 1000 } }, { funds: 100_000n });
    const refunded = await insertConversion(owner, net, { status: 'refunded', refundedAmount: 10_000n });
    const rejected = await insertConversion(owner, net, { status: 'rejected' });
    const unattributed = await insertConversion(owner, net, { attribution: 'unattributed' });
    for (const [id, reason] of [
      [refunded, 'refunded'],
      [rejected, 'rejected'],
      [unattributed, 'unattributed'],
    ] as const) {
      expect(await accrueConversion(prisma, net.tenantId, id)).toEqual({ conversionId: id, status: 'skipped', reason, changed: true, commissions: [] });
      expect(await accrueConversion(prisma, net.tenantId, id)).toEqual({ conversionId: id, status: 'skipped', reason, changed: false, commissions: [] });
    }
    const { rows } = await owner.query('SELECT conversion_id, outcome, reason FROM conversion_accruals WHERE tenant_id = $1 ORDER BY reason', [net.tenantId]);
    expect(rows).toEqual([
      { conversion_id: refunded, outcome: 'skipped', reason: 'refunded' },
      { conversion_id: rejected, outcome: 'skipped', reason: 'rejected' },
      { conversion_id: unattributed, outcome: 'skipped', reason: 'unattributed' },
    ]);
    expect(await commissionRows(owner, net.tenantId)).toEqual([]);
    expect(await transfersOf(net)).toEqual([]);
  });

  it('leaves a conversion still being attributed undecided, so that the accrual after its attribution pays it', async () => {
    const net = await network({ sale: { percentBps: 1000 } }, { funds: 100_000n });
    const id = await insertConversion(owner, net, { attribution: 'pending' });
    expect(await accrueConversion(prisma, net.tenantId, id)).toMatchObject({ status: 'skipped', reason: 'not_attributed', changed: false });
    expect((await owner.query('SELECT count(*)::int AS n FROM conversion_accruals WHERE conversion_id = $1', [id])).rows[0].n).toBe(0);
    await owner.query(`UPDATE conversions SET attribution = 'attributed', status = 'attributed', affiliate_id = $2 WHERE id = $1`, [id, net.affiliateIds[0]]);
    expect(await accrueConversion(prisma, net.tenantId, id)).toMatchObject({ status: 'accrued', changed: true });
  });

  it('skips a program without any plan version', async () => {
    const net = await network({ sale: { percentBps: 1000 } }, { funds: 100_000n });
    const id = await insertConversion(owner, net);
    // A program whose versions table is empty (the owner bypasses the append-only trigger by a fresh program).
    const bare = newId('program');
    await owner.query(
      `INSERT INTO programs (id, tenant_id, merchant_id, name, landing_url, currency, status) VALUES ($1, $2, $3, 'Bare', 'https://b.example/', 'EUR', 'active')`,
      [bare, net.tenantId, net.merchantId],
    );
    await owner.query(`UPDATE conversions SET program_id = $2 WHERE id = $1`, [id, bare]);
    expect(await accrueConversion(prisma, net.tenantId, id)).toMatchObject({ status: 'skipped', reason: 'no_plan', changed: true });
  });

  it('answers not_found for another network’s conversion and an unknown id, writing nothing', async () => {
    const net = await network({ sale: { percentBps: 1000 } }, { funds: 100_000n });
    const other = await network({ sale: { percentBps: 1000 } }, { funds: 100_000n });
    const foreign = await insertConversion(owner, other);
    await expect(accrueConversion(prisma, net.tenantId, foreign)).rejects.toMatchObject({ code: 'not_found' });
    await expect(accrueConversion(prisma, net.tenantId, newId('conversion'))).rejects.toMatchObject({ code: 'not_found' });
    expect(
      (await owner.query('SELECT count(*)::int AS n FROM conversion_accruals WHERE tenant_id = ANY ($1)', [[net.tenantId, other.tenantId]])).rows[0].n,
    ).toBe(0);
    expect(await transferCount(owner, [net.tenantId, other.tenantId])).toBe(2); // the two top-ups
  });

  it('schedules the reversal of a refund applied before the accrual', async () => {
    const net = await network({ sale: { percentBps: 1000 } }, { funds: 100_000n });
    const id = await insertConversion(owner, net, { refundedAmount: 4_000n });
    const refundId = newId('refund');
    await owner.query(
      `INSERT INTO conversion_refunds (id, tenant_id, merchant_id, conversion_id, amount, applied_amount, source, status, applied_at)
       VALUES ($1, $2, $3, $4, 4000, 4000, 'api', 'applied', now())`,
      [refundId, net.tenantId, net.merchantId, id],
    );
    const outcome = await accrueConversion(prisma, net.tenantId, id);
    // The commission is what the sale earned; the reversal takes back the refunded part.
    expect(outcome.commissions.map((c) => c.amount)).toEqual([1_000n]);
    const jobs = await owner.query(`SELECT payload FROM outbox WHERE tenant_id = $1 AND topic = 'commissions.reverse'`, [net.tenantId]);
    expect(jobs.rows).toEqual([{ payload: { refundId } }]);
  });
});

describe('idempotency', () => {
  it('running the accrual again, or five times at once, keeps one commission per line and leaves the ledger unchanged', async () => {
    const net = await network({ sale: { percentBps: 1000 }, secondTierBps: 500, networkFee: { percentBps: 1000, of: 'commission' } }, { funds: 100_000n });
    const id = await insertConversion(owner, net);
    const first = await accrueConversion(prisma, net.tenantId, id);
    expect(first.commissions).toHaveLength(3);
    const ledger = await accountRows(owner, [net.tenantId]);
    const transfers = await transferCount(owner, [net.tenantId]);

    const again = await accrueConversion(prisma, net.tenantId, id);
    expect(again).toMatchObject({ status: 'accrued', changed: false });
    expect(again.commissions.map((c) => c.id).sort()).toEqual(first.commissions.map((c) => c.id).sort());

    const second = await insertConversion(owner, net);
    const racing = await Promise.all(Array.from({ length: 5 }, () => accrueConversion(prisma, net.tenantId, second)));
    expect(racing.filter((o) => o.changed)).toHaveLength(1);
    expect(new Set(racing.map((o) => o.commissions.map((c) => c.id).join()))).toHaveProperty('size', 1);

    expect(await commissionRows(owner, net.tenantId, 'conversion_id = $2', [id])).toHaveLength(3);
    expect(await commissionRows(owner, net.tenantId, 'conversion_id = $2', [second])).toHaveLength(3);
    expect(await transferCount(owner, [net.tenantId])).toBe(transfers + 3);
    const after = await accountRows(owner, [net.tenantId]);
    expect(after.find((a) => a.kind === 'merchant_prepaid')!.debits_pending).toBe(
      String(2n * BigInt(ledger.find((a) => a.kind === 'merchant_prepaid')!.debits_pending)),
    );
    expect((await events(net, 'commission.created')).length).toBe(4);
    await expectLedgerConsistent(net);
  });
});
