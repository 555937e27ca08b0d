import { createPrisma, type PrismaClient } from '@app/db/client';
import { createTestDatabase, type TestDatabase } from '@app/db/testing/test-database';
import { withTenant } from '@app/db/with-tenant';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyRefund } from '../conversions/apply-refund';
import { createTransfer } from '../ledger/create-transfer';
import { ensureAccount } from '../ledger/ensure-account';
import { recomputeAccounts } from '../ledger/recompute-account';
import { trialBalance } from '../ledger/trial-balance';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { commissionRows, insertConversion, type ProgramNetwork, prepaidOf, seedProgramNetwork, topUp } from './accrual-fixtures';
import { accrueConversion } from './accrue-conversion';
import { approveCommissions } from './approve-commissions';
import { parseDecisionCsv } from './decision-csv';
import { rejectCommissions } from './reject-commissions';
import { reverseCommissions } from './reverse-commissions';
import { sweepDueCommissions } from './sweep-due-commissions';

/** Approval, rejection, the sweep and reversals against real rows and the real ledger. */

let db: TestDatabase;
let owner: pg.Pool;
let prisma: PrismaClient;
let deps: Deps;
let slugSeq = 0;

beforeAll(async () => {
  db = await createTestDatabase('commission_decisions');
  owner = new pg.Pool({ connectionString: db.ownerUrl, max: 4 });
  owner.on('error', () => {});
  prisma = createPrisma({ url: db.appUrl, poolSize: 20 });
  deps = { prisma } as Deps;
}, 60_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await owner?.end();
  await db?.drop();
});

const PLAN = { sale: { percentBps: 1000 }, networkFee: { percentBps: 2000, of: 'commission' } };

async function network(extra: { funds?: bigint; holdDays?: number; approval?: 'auto' | 'manual' } = {}): Promise<ProgramNetwork> {
  const net = await seedProgramNetwork(owner, `dec${++slugSeq}`, { plans: PLAN, holdDays: extra.holdDays ?? 30 });
  if (extra.approval) await owner.query('UPDATE programs SET approval_mode = $1 WHERE id = $2', [extra.approval, net.programId]);
  await topUp(prisma, net, extra.funds ?? 1_000_000n);
  return net;
}

/** An accrued sale of `amount` (commission 10 %, fee 20 % of it); returns [conversionId, primaryId, feeId]. */
async function accruedSale(net: ProgramNetwork, amount = 10_000n, occurredAt?: Date): Promise<[string, string, string]> {
  const conversionId = await insertConversion(owner, net, { amount, occurredAt });
  const outcome = await accrueConversion(prisma, net.tenantId, conversionId);
  const primary = outcome.commissions.find((c) => c.kind === 'primary')!;
  const fee = outcome.commissions.find((c) => c.kind === 'network_fee')!;
  return [conversionId, primary.id, fee.id];
}

const ownerOf = (net: ProgramNetwork): Actor => ({
  type: 'user',
  tenantId: net.tenantId,
  userId: 'usr_owner',
  memberships: [{ scope: 'network', role: 'owner' }],
});

async function statusOf(id: string): Promise<{ status: string; reason: string | null; reversed: string; approved_at: Date | null }> {
  const { rows } = await owner.query('SELECT status, reason, reversed_amount::text AS reversed, approved_at FROM commissions WHERE id = $1', [id]);
  return rows[0];
}

async function earningsOf(net: ProgramNetwork, affiliateId: string): Promise<{ posted: string; incoming: string }> {
  const { rows } = await owner.query(
    `SELECT (credits_posted - debits_posted)::text AS posted, credits_pending::text AS incoming FROM ledger_accounts
      WHERE tenant_id = $1 AND kind = 'affiliate_earnings' AND owner_id = $2`,
    [net.tenantId, affiliateId],
  );
  return rows[0];
}

async function expectLedgerConsistent(net: ProgramNetwork): Promise<void> {
  expect((await withTenant(prisma, net.tenantId, (tx) => recomputeAccounts(tx, net.tenantId))).filter((c) => !c.matches)).toEqual([]);
  expect((await withTenant(prisma, net.tenantId, (tx) => trialBalance(tx, net.tenantId))).every((t) => t.balanced)).toBe(true);
}

async function refund(net: ProgramNetwork, conversionId: string, amount: bigint | null): Promise<string> {
  const { refund } = await withTenant(prisma, net.tenantId, (tx) => applyRefund(tx, conversionId, { amount, source: 'api', strict: true }));
  return refund.id;
}

describe('approve', () => {
  it('posts the reservations of the commission and its fee by id; a repeat answers already_approved', async () => {
    const net = await network();
    const [, primary, fee] = await accruedSale(net);
    const res = await approveCommissions(deps, ownerOf(net), { ids: [primary] });
    expect(res.data).toEqual([{ id: primary, conversionId: expect.any(String), externalId: null, result: 'approved', status: 'approved' }]);
    expect((await statusOf(primary)).status).toBe('approved');
    expect((await statusOf(primary)).approved_at).toBeInstanceOf(Date);
    expect((await statusOf(fee)).status).toBe('approved');
    expect(await earningsOf(net, net.affiliateIds[0]!)).toEqual({ posted: '1000', incoming: '0' });
    expect(await prepaidOf(owner, net)).toMatchObject({ reserved: '0', posted: String(1_000_000 - 1200) });
    const again = await approveCommissions(deps, ownerOf(net), { ids: [primary] });
    expect(again.data[0]).toMatchObject({ result: 'already_approved', status: 'approved' });
    const { rows } = await owner.query(`SELECT count(*)::int AS n FROM ledger_transfers WHERE tenant_id = $1 AND code = 'approval'`, [net.tenantId]);
    expect(rows[0].n).toBe(2);
    const events = await owner.query(`SELECT subject_id FROM domain_events WHERE tenant_id = $1 AND type = 'commission.approved'`, [net.tenantId]);
    expect(events.rows.map((r) => r.subject_id)).toEqual([primary]);
    await expectLedgerConsistent(net);
  });

  it('by conversion externalIds, and not_found for unknown ids, externalIds and another network’s commission', async () => {
    const net = await network();
    const other = await network();
    const [conversionId, primary] = await accruedSale(net);
    const [, foreign] = await accruedSale(other);
    const { rows } = await owner.query('SELECT external_id FROM conversions WHERE id = $1', [conversionId]);
    const res = await approveCommissions(deps, ownerOf(net), { programId: net.programId, externalIds: [rows[0].external_id, 'nope'] });
    expect(res.data).toEqual([
      { id: primary, conversionId, externalId: rows[0].external_id, result: 'approved', status: 'approved' },
      { id: null, conversionId: null, externalId: 'nope', result: 'not_found', status: null },
    ]);
    const cross = await approveCommissions(deps, ownerOf(net), { ids: [foreign, 'com_missing'] });
    expect(cross.data.map((d) => d.result)).toEqual(['not_found', 'not_found']);
    expect((await statusOf(foreign)).status).toBe('pending');
    // Another network's program: nothing found.
    const otherProgram = await approveCommissions(deps, ownerOf(net), { programId: other.programId, externalIds: [rows[0].external_id] });
    expect(otherProgram.data[0]!.result).toBe('not_found');
  });

  it('refuses commissions awaiting funds, empty and oversized selections, and actors without the role', async () => {
    const net = await network({ funds: 500n });
    const [, primary] = await accruedSale(net);
    expect((await statusOf(primary)).status).toBe('awaiting_funds');
    const res = await approveCommissions(deps, ownerOf(net), { ids: [primary] });
    expect(res.data[0]).toMatchObject({ result: 'awaiting_funds', status: 'awaiting_funds' });
    await expect(approveCommissions(deps, ownerOf(net), { ids: [] })).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(approveCommissions(deps, ownerOf(net), { ids: Array.from({ length: 1001 }, (_, i) => `com_${i}`) })).rejects.toMatchObject({
      code: 'validation_failed',
    });
    const analyst: Actor = { type: 'user', tenantId: net.tenantId, userId: 'usr_a', memberships: [{ scope: 'network', role: 'analyst' }] };
    await expect(approveCommissions(deps, analyst, { ids: [primary] })).rejects.toMatchObject({ code: 'forbidden' });
    const pk: Actor = { type: 'api_key', tenantId: net.tenantId, keyId: 'key_1', merchantId: net.merchantId, keyType: 'publishable' };
    await expect(approveCommissions(deps, pk, { ids: [primary] })).rejects.toMatchObject({ code: 'forbidden' });
    // Another merchant's secret key sees nothing.
    const sk: Actor = { type: 'api_key', tenantId: net.tenantId, keyId: 'key_2', merchantId: 'mer_other', keyType: 'secret' };
    expect((await approveCommissions(deps, sk, { ids: [primary] })).data[0]!.result).toBe('not_found');
  });
});

describe('reject', () => {
  it('voids the reservation, keeps the reason for the affiliate; a rejected one cannot be approved', async () => {
    const net = await network();
    const [, primary, fee] = await accruedSale(net);
    await expect(rejectCommissions(deps, ownerOf(net), { ids: [primary] })).rejects.toMatchObject({ code: 'validation_failed' });
    const res = await rejectCommissions(deps, ownerOf(net), { ids: [primary], reason: 'order cancelled' });
    expect(res.data[0]).toMatchObject({ result: 'rejected', status: 'rejected' });
    expect(await statusOf(primary)).toMatchObject({ status: 'rejected', reason: 'order cancelled' });
    expect((await statusOf(fee)).status).toBe('rejected');
    expect(await earningsOf(net, net.affiliateIds[0]!)).toEqual({ posted: '0', incoming: '0' });
    expect(await prepaidOf(owner, net)).toMatchObject({ reserved: '0', available: '1000000' });
    expect((await approveCommissions(deps, ownerOf(net), { ids: [primary] })).data[0]).toMatchObject({ result: 'not_pending', status: 'rejected' });
    await expectLedgerConsistent(net);
  });

  it('closes a commission awaiting funds without the ledger and schedules the merchant’s resume', async () => {
    const net = await network({ funds: 500n });
    const [, primary] = await accruedSale(net);
    await rejectCommissions(deps, ownerOf(net), { ids: [primary], reason: 'fraud' });
    expect((await statusOf(primary)).status).toBe('rejected');
    const { rows } = await owner.query(`SELECT payload FROM outbox WHERE tenant_id = $1 AND topic = 'commissions.resume'`, [net.tenantId]);
    expect(rows.map((r) => r.payload)).toEqual([{ merchantId: net.merchantId, currency: 'EUR' }]);
  });

  it('approve and reject of the same commission in parallel: exactly one wins, 20 times', async () => {
    const net = await network();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await accruedSale(net))[1]);
    const results = await Promise.all(
      ids.flatMap((id) => [
        approveCommissions(deps, ownerOf(net), { ids: [id] }).then((r) => r.data[0]!),
        rejectCommissions(deps, ownerOf(net), { ids: [id], reason: 'race' }).then((r) => r.data[0]!),
      ]),
    );
    for (let i = 0; i < 20; i++) {
      const [a, r] = [results[2 * i]!, results[2 * i + 1]!];
      const wins = [a.result === 'approved', r.result === 'rejected'].filter(Boolean).length;
      expect(wins).toBe(1);
      const loser = a.result === 'approved' ? r : a;
      expect(loser.result).toBe('not_pending');
      expect((await statusOf(ids[i]!)).status).toBe(a.result === 'approved' ? 'approved' : 'rejected');
    }
    const { rows } = await owner.query(`SELECT count(*)::int AS n FROM ledger_transfers WHERE tenant_id = $1 AND kind IN ('post_pending', 'void_pending')`, [
      net.tenantId,
    ]);
    expect(rows[0].n).toBe(40); // each commission and its fee resolved once
    await expectLedgerConsistent(net);
  });
});

describe('the sweep', () => {
  it('approves due commissions of auto-approval programs only', async () => {
    const auto = await network({ holdDays: 1 });
    const manual = await network({ holdDays: 1, approval: 'manual' });
    const [, due, dueFee] = await accruedSale(auto, 10_000n, new Date(Date.now() - 3 * 86_400_000));
    const [, notYet] = await accruedSale(auto, 10_000n, new Date());
    const [, manualDue] = await accruedSale(manual, 10_000n, new Date(Date.now() - 3 * 86_400_000));
    const outcome = await sweepDueCommissions(prisma, { batchSize: 1 });
    expect(outcome.approved).toBeGreaterThanOrEqual(2);
    expect((await statusOf(due)).status).toBe('approved');
    expect((await statusOf(dueFee)).status).toBe('approved');
    expect((await statusOf(notYet)).status).toBe('pending');
    expect((await statusOf(manualDue)).status).toBe('pending');
    const { rows } = await owner.query('SELECT decided_by FROM commissions WHERE id = $1', [due]);
    expect(rows[0].decided_by).toBe('system');
    expect((await sweepDueCommissions(prisma)).approved).toBe(0);
    await expectLedgerConsistent(auto);
  });
});

describe('reversal', () => {
  it('a partial refund before approval: the line stays pending and approval posts only the remainder', async () => {
    const net = await network();
    const [conversionId, primary, fee] = await accruedSale(net);
    const refundId = await refund(net, conversionId, 2_500n);
    const first = await reverseCommissions(prisma, net.tenantId, refundId);
    expect(first.changed.map((c) => c.reversed).sort()).toEqual([250, 50]);
    expect(await statusOf(primary)).toMatchObject({ status: 'pending', reversed: '250' });
    // Twice: nothing more.
    expect((await reverseCommissions(prisma, net.tenantId, refundId)).changed).toEqual([]);
    await approveCommissions(deps, ownerOf(net), { ids: [primary] });
    expect(await earningsOf(net, net.affiliateIds[0]!)).toEqual({ posted: '750', incoming: '0' });
    expect((await statusOf(fee)).status).toBe('approved');
    expect(await prepaidOf(owner, net)).toMatchObject({ reserved: '0', posted: String(1_000_000 - 750 - 150) });
    await expectLedgerConsistent(net);
  });

  it('a full refund before approval voids the reservations', async () => {
    const net = await network();
    const [conversionId, primary, fee] = await accruedSale(net);
    const refundId = await refund(net, conversionId, null);
    await reverseCommissions(prisma, net.tenantId, refundId);
    expect(await statusOf(primary)).toMatchObject({ status: 'reversed', reversed: '1000', reason: 'conversion_refunded' });
    expect((await statusOf(fee)).status).toBe('reversed');
    expect(await prepaidOf(owner, net)).toMatchObject({ reserved: '0', available: '1000000' });
    expect((await approveCommissions(deps, ownerOf(net), { ids: [primary] })).data[0]!.result).toBe('not_pending');
    await expectLedgerConsistent(net);
  });

  it('after approval: clawbacks, cumulative over refunds, the affiliate may go negative; repeats change nothing', async () => {
    const net = await network();
    const [conversionId, primary, fee] = await accruedSale(net, 10_001n); // commission 1000, fee 200
    await approveCommissions(deps, ownerOf(net), { ids: [primary] });
    // The affiliate was paid out meanwhile: its earnings are empty.
    await owner.query(`UPDATE commissions SET status = 'paid' WHERE id = $1`, [primary]);
    await withTenant(prisma, net.tenantId, async (tx) => {
      const earnings = await ensureAccount(tx, net.tenantId, { kind: 'affiliate_earnings', ownerId: net.affiliateIds[0]!, currency: 'EUR' });
      const transit = await ensureAccount(tx, net.tenantId, { kind: 'payouts_in_transit', currency: 'EUR' });
      await createTransfer(tx, net.tenantId, {
        kind: 'single_phase',
        debitAccountId: earnings.id,
        creditAccountId: transit.id,
        amount: 1_000n,
        currency: 'EUR',
        idempotencyKey: 'payout:test',
        code: 'payout',
      });
    });
    const r1 = await refund(net, conversionId, 3_333n);
    const r2 = await refund(net, conversionId, null);
    // Jobs out of order, and repeated.
    await reverseCommissions(prisma, net.tenantId, r2);
    await reverseCommissions(prisma, net.tenantId, r1);
    await reverseCommissions(prisma, net.tenantId, r2);
    expect(await statusOf(primary)).toMatchObject({ status: 'reversed', reversed: '1000' });
    expect(await statusOf(fee)).toMatchObject({ status: 'reversed', reversed: '200' });
    const { rows } = await owner.query(`SELECT sum(amount)::text AS s, count(*)::int AS n FROM ledger_transfers WHERE tenant_id = $1 AND code = 'clawback'`, [
      net.tenantId,
    ]);
    expect(rows[0]).toEqual({ s: '1200', n: 2 });
    expect(await prepaidOf(owner, net)).toMatchObject({ posted: '1000000', reserved: '0' });
    expect(await earningsOf(net, net.affiliateIds[0]!)).toEqual({ posted: '-1000', incoming: '0' });
    await expectLedgerConsistent(net);
  });

  it('a refund before the accrual: the accrual schedules the reversal again and it takes the share', async () => {
    const net = await network();
    const conversionId = await insertConversion(owner, net, { amount: 10_000n });
    const refundId = await refund(net, conversionId, 5_000n);
    expect((await reverseCommissions(prisma, net.tenantId, refundId)).changed).toEqual([]);
    const accrued = await accrueConversion(prisma, net.tenantId, conversionId);
    const primary = accrued.commissions.find((c) => c.kind === 'primary')!;
    const { rows } = await owner.query(`SELECT payload FROM outbox WHERE tenant_id = $1 AND topic = 'commissions.reverse'`, [net.tenantId]);
    expect(rows.filter((r) => r.payload.refundId === refundId).length).toBe(2);
    await reverseCommissions(prisma, net.tenantId, refundId);
    expect(await statusOf(primary.id)).toMatchObject({ status: 'pending', reversed: '500' });
  });
});

describe('CSV uploads', () => {
  it('reads the header by name, quoting and a BOM; rows take the request’s defaults', () => {
    const rows = parseDecisionCsv('\uFEFFreason,ExternalId,other\r\n"late, returned",order-1,x\r\n,order-2,y\r\n', { programId: 'prg_1', reason: 'default' });
    expect(rows).toEqual([
      { programId: 'prg_1', externalId: 'order-1', reason: 'late, returned' },
      { programId: 'prg_1', externalId: 'order-2', reason: 'default' },
    ]);
  });

  it('refuses a file without externalId, without rows, without a program, or with too many rows', () => {
    expect(() => parseDecisionCsv('id\n1\n', { programId: 'prg_1' })).toThrow(/externalId/);
    expect(() => parseDecisionCsv('externalId\n', { programId: 'prg_1' })).toThrow(/no rows/);
    expect(() => parseDecisionCsv('externalId\no-1\n', {})).toThrow(/programId/);
    expect(() => parseDecisionCsv(`externalId\n${'o\n'.repeat(1001)}`, { programId: 'prg_1' })).toThrow(/at most 1000/);
    expect(() => parseDecisionCsv('externalId\n"unterminated\n', { programId: 'prg_1' })).toThrow(/not a CSV/);
  });

  it('approves the conversions a CSV names', async () => {
    const net = await network();
    const [conversionId, primary] = await accruedSale(net);
    const { rows } = await owner.query('SELECT external_id FROM conversions WHERE id = $1', [conversionId]);
    const parsed = parseDecisionCsv(`programId,externalId\n${net.programId},${rows[0].external_id}\n${net.programId},missing\n`, {});
    const res = await approveCommissions(deps, ownerOf(net), { rows: parsed });
    expect(res.data.map((d) => [d.id, d.result])).toEqual([
      [primary, 'approved'],
      [null, 'not_found'],
    ]);
    expect((await commissionRows(owner, net.tenantId)).map((c) => c.status)).toEqual(['approved', 'approved']);
  });
});
