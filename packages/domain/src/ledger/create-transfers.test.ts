import { createPrisma, type PrismaClient } from '@app/db/client';
import { newId } from '@app/db/ids';
import { createTestDatabase, type TestDatabase } from '@app/db/testing/test-database';
import { type Tx, withTenant } from '@app/db/with-tenant';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../shared/errors';
import { MAX_AMOUNT } from '../shared/money';
import { createTransfer } from './create-transfer';
import { createTransfers } from './create-transfers';
import { ensureAccount } from './ensure-account';
import { getAccountBalance, listBalances } from './get-balances';
import { InsufficientFunds, PendingTransferResolved } from './ledger-errors';
import { accountRows, type SeededNetwork, seedNetwork, transferCount } from './ledger-fixtures';
import { postPending } from './post-pending';
import { recomputeAccount, recomputeAccounts } from './recompute-account';
import { setOverdraftLimit } from './set-overdraft-limit';
import type { DirectTransferInput, TransferInput } from './transfer-input';
import { trialBalance } from './trial-balance';
import { voidPending } from './void-pending';

let db: TestDatabase;
let owner: pg.Pool;
let prisma: PrismaClient;
let a: SeededNetwork;
let b: SeededNetwork;

beforeAll(async () => {
  db = await createTestDatabase('ledger_transfers');
  owner = new pg.Pool({ connectionString: db.ownerUrl, max: 2 });
  owner.on('error', () => {});
  prisma = createPrisma({ url: db.appUrl, poolSize: 6 });
  a = await seedNetwork(owner, 'alpha', { merchants: 3, affiliates: 2 });
  b = await seedNetwork(owner, 'beta', { merchants: 1, affiliates: 1 });
}, 60_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await owner?.end();
  await db?.drop();
});

const inA = <T>(fn: (tx: Tx) => Promise<T>) => withTenant(prisma, a.tenantId, fn);
const inB = <T>(fn: (tx: Tx) => Promise<T>) => withTenant(prisma, b.tenantId, fn);
let keySeq = 0;
const key = (label: string) => `${label}-${++keySeq}`;

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a refusal, it succeeded');
    },
    (error: unknown) => error,
  );
}

/** The network's cash, the fee revenue, a merchant's prepaid account and an affiliate's earnings, in one currency. */
async function accountsOf(network: SeededNetwork, merchant: number, affiliate: number, currency = 'EUR') {
  return withTenant(prisma, network.tenantId, async (tx) => ({
    cash: (await ensureAccount(tx, network.tenantId, { kind: 'network_cash', currency })).id,
    fees: (await ensureAccount(tx, network.tenantId, { kind: 'network_fee_revenue', currency })).id,
    prepaid: (await ensureAccount(tx, network.tenantId, { kind: 'merchant_prepaid', ownerId: network.merchantIds[merchant]!, currency })).id,
    earnings: (await ensureAccount(tx, network.tenantId, { kind: 'affiliate_earnings', ownerId: network.affiliateIds[affiliate]!, currency })).id,
  }));
}

const topUp = (cash: string, prepaid: string, amount: bigint, currency = 'EUR'): DirectTransferInput => ({
  kind: 'single_phase',
  idempotencyKey: key('top-up'),
  debitAccountId: cash,
  creditAccountId: prepaid,
  amount,
  currency,
  code: 'top_up',
});

const accrual = (prepaid: string, to: string, amount: bigint, currency = 'EUR'): DirectTransferInput => ({
  kind: 'pending',
  idempotencyKey: key('accrual'),
  debitAccountId: prepaid,
  creditAccountId: to,
  amount,
  currency,
  code: 'accrual',
});

describe('ensureAccount', () => {
  it('creates an account once per owner, kind and currency, with the owner type and the funds flag of its kind', async () => {
    const merchantId = a.merchantIds[2]!;
    const first = await inA((tx) => ensureAccount(tx, a.tenantId, { kind: 'merchant_prepaid', ownerId: merchantId, currency: 'SEK' }));
    // Concurrent callers in separate transactions all get the same row.
    const again = await Promise.all(
      Array.from({ length: 5 }, () => inA((tx) => ensureAccount(tx, a.tenantId, { kind: 'merchant_prepaid', ownerId: merchantId, currency: 'SEK' }))),
    );
    expect(new Set(again.map((x) => x.id))).toEqual(new Set([first.id]));
    expect(first).toMatchObject({
      ownerType: 'merchant',
      ownerId: merchantId,
      kind: 'merchant_prepaid',
      currency: 'SEK',
      debitsMustNotExceedCredits: true,
      overdraftLimit: 0n,
    });
    const cash = await inA((tx) => ensureAccount(tx, a.tenantId, { kind: 'network_cash', currency: 'SEK' }));
    expect(cash).toMatchObject({ ownerType: 'network', ownerId: a.tenantId, debitsMustNotExceedCredits: false });
    const earnings = await inA((tx) => ensureAccount(tx, a.tenantId, { kind: 'affiliate_earnings', ownerId: a.affiliateIds[0]!, currency: 'SEK' }));
    expect(earnings).toMatchObject({ ownerType: 'affiliate', debitsMustNotExceedCredits: false });
    const { rows } = await owner.query(`SELECT count(*)::int AS n FROM ledger_accounts WHERE owner_id = $1 AND currency = 'SEK'`, [merchantId]);
    expect(rows[0].n).toBe(1);
  });

  it('refuses another network’s merchant or affiliate, an unknown kind or currency, and an overdraft on an uncapped account', async () => {
    const before = (await owner.query('SELECT count(*)::int AS n FROM ledger_accounts')).rows[0].n;
    const foreignMerchant = await rejection(
      inA((tx) => ensureAccount(tx, a.tenantId, { kind: 'merchant_prepaid', ownerId: b.merchantIds[0]!, currency: 'EUR' })),
    );
    expect(foreignMerchant).toMatchObject({ code: 'not_found' });
    const foreignAffiliate = await rejection(
      inA((tx) => ensureAccount(tx, a.tenantId, { kind: 'affiliate_earnings', ownerId: b.affiliateIds[0]!, currency: 'EUR' })),
    );
    expect(foreignAffiliate).toMatchObject({ code: 'not_found' });
    const foreignNetwork = await rejection(inA((tx) => ensureAccount(tx, a.tenantId, { kind: 'network_cash', ownerId: b.tenantId, currency: 'EUR' })));
    expect(foreignNetwork).toMatchObject({ code: 'not_found' });
    // A merchant id passed as an affiliate's is not an affiliate.
    expect(
      await rejection(inA((tx) => ensureAccount(tx, a.tenantId, { kind: 'affiliate_earnings', ownerId: a.merchantIds[0]!, currency: 'EUR' }))),
    ).toMatchObject({
      code: 'not_found',
    });
    for (const bad of [
      { kind: 'merchant_wallet', ownerId: a.merchantIds[0]!, currency: 'EUR' },
      { kind: 'merchant_prepaid', ownerId: a.merchantIds[0]!, currency: 'eur' },
      { kind: 'merchant_prepaid', ownerId: a.merchantIds[0]!, currency: 'XYZ1' },
      { kind: 'merchant_prepaid', currency: 'EUR' },
    ]) {
      const error = await rejection(inA((tx) => ensureAccount(tx, a.tenantId, bad as never)));
      expect(error, JSON.stringify(bad)).toMatchObject({ code: 'validation_failed' });
    }
    const overdraft = await rejection(
      inA((tx) => ensureAccount(tx, a.tenantId, { kind: 'affiliate_earnings', ownerId: a.affiliateIds[0]!, currency: 'EUR' }, { overdraftLimit: 10n })),
    );
    expect(overdraft).toMatchObject({ code: 'validation_failed' });
    expect((await owner.query('SELECT count(*)::int AS n FROM ledger_accounts')).rows[0].n).toBe(before);
  });
});

describe('the money loop', () => {
  it('tops up, reserves, posts, voids and claws back with balances on each account’s normal side', async () => {
    const acc = await accountsOf(a, 0, 0);
    // Top-up: debit network cash, credit merchant prepaid.
    await inA((tx) => createTransfer(tx, a.tenantId, topUp(acc.cash, acc.prepaid, 10_000n)));
    // Two accruals: commission and fee, each pending from the merchant's prepaid balance.
    const [commission, fee] = await inA((tx) =>
      createTransfers(tx, a.tenantId, [accrual(acc.prepaid, acc.earnings, 1_000n), accrual(acc.prepaid, acc.fees, 200n)]),
    );
    expect(commission!.status).toBe('created');
    expect(fee!.status).toBe('created');
    const rejected = await inA((tx) => createTransfer(tx, a.tenantId, accrual(acc.prepaid, acc.earnings, 300n)));
    const balances = async () => Object.fromEntries((await inA((tx) => listBalances(tx, a.tenantId, { currency: 'EUR' }))).map((x) => [x.accountId, x]));

    let now = await balances();
    expect(now[acc.prepaid]).toMatchObject({ normal: 'credit', posted: 10_000n, reserved: 1_500n, available: 8_500n });
    expect(now[acc.earnings]).toMatchObject({ posted: 0n, incoming: 1_300n, available: 0n });
    expect(now[acc.cash]).toMatchObject({ normal: 'debit', posted: 10_000n, available: 10_000n });

    // Approval posts the commission and the fee; the rejection voids the other accrual.
    await inA(async (tx) => {
      if (commission!.status !== 'created' || fee!.status !== 'created') throw new Error('unreachable');
      await postPending(tx, a.tenantId, commission!.transfer.id, { code: 'approval' });
      await postPending(tx, a.tenantId, fee!.transfer.id, { code: 'approval' });
      await voidPending(tx, a.tenantId, rejected.transfer.id, { code: 'rejection' });
    });
    now = await balances();
    expect(now[acc.prepaid]).toMatchObject({ posted: 8_800n, reserved: 0n, available: 8_800n });
    expect(now[acc.earnings]).toMatchObject({ posted: 1_000n, incoming: 0n, available: 1_000n });
    expect(now[acc.fees]).toMatchObject({ posted: 200n, available: 200n });

    // A refund of half the sale after approval: claw back half the commission and the fee.
    await inA((tx) =>
      createTransfers(tx, a.tenantId, [
        {
          kind: 'single_phase',
          idempotencyKey: key('clawback'),
          debitAccountId: acc.earnings,
          creditAccountId: acc.prepaid,
          amount: 500n,
          currency: 'EUR',
          code: 'clawback',
        },
        {
          kind: 'single_phase',
          idempotencyKey: key('clawback'),
          debitAccountId: acc.fees,
          creditAccountId: acc.prepaid,
          amount: 100n,
          currency: 'EUR',
          code: 'clawback',
        },
      ]),
    );
    now = await balances();
    expect(now[acc.prepaid]).toMatchObject({ posted: 9_400n, available: 9_400n });
    expect(now[acc.earnings]).toMatchObject({ posted: 500n });
    expect(now[acc.fees]).toMatchObject({ posted: 100n });

    const checks = await inA((tx) => recomputeAccounts(tx, a.tenantId));
    expect(checks.filter((c) => !c.matches)).toEqual([]);
    expect(checks.map((c) => c.accountId)).toEqual(expect.arrayContaining(Object.values(acc)));
    const trial = await inA((tx) => trialBalance(tx, a.tenantId));
    expect(trial.find((t) => t.currency === 'EUR')).toMatchObject({ balanced: true, debitsPending: 0n, creditsPending: 0n });
  });

  it('posts part of a pending transfer and returns the rest to the available balance', async () => {
    const acc = await accountsOf(a, 1, 1);
    await inA((tx) => createTransfer(tx, a.tenantId, topUp(acc.cash, acc.prepaid, 1_000n)));
    const { transfer: pending } = await inA((tx) => createTransfer(tx, a.tenantId, accrual(acc.prepaid, acc.earnings, 1_000n)));
    expect((await inA((tx) => getAccountBalance(tx, a.tenantId, acc.prepaid))).available).toBe(0n);

    const tooMuch = await rejection(inA((tx) => postPending(tx, a.tenantId, pending.id, { amount: 1_001n })));
    expect(tooMuch).toMatchObject({ code: 'validation_failed' });
    const { transfer: post } = await inA((tx) => postPending(tx, a.tenantId, pending.id, { amount: 600n }));
    expect(post).toMatchObject({
      kind: 'post_pending',
      pendingId: pending.id,
      amount: 600n,
      debitAccountId: acc.prepaid,
      creditAccountId: acc.earnings,
      code: 'accrual',
    });

    expect(await inA((tx) => getAccountBalance(tx, a.tenantId, acc.prepaid))).toMatchObject({ posted: 400n, reserved: 0n, available: 400n });
    expect(await inA((tx) => getAccountBalance(tx, a.tenantId, acc.earnings))).toMatchObject({ posted: 600n, incoming: 0n });
    const rows = await accountRows(owner, [a.tenantId]);
    expect(rows.find((r) => r.id === acc.prepaid)).toMatchObject({ debits_pending: '0', debits_posted: '600', credits_posted: '1000' });
    expect((await inA((tx) => recomputeAccount(tx, a.tenantId, acc.prepaid))).matches).toBe(true);

    // Resolved once: neither a second post nor a void gets through.
    const again = await rejection(inA((tx) => postPending(tx, a.tenantId, pending.id, { amount: 400n, idempotencyKey: key('second-post') })));
    expect(again).toBeInstanceOf(PendingTransferResolved);
    expect(again).toMatchObject({ code: 'invalid_state', pendingId: pending.id, resolution: 'posted', resolvedBy: post.id });
    expect(await rejection(inA((tx) => voidPending(tx, a.tenantId, pending.id)))).toBeInstanceOf(PendingTransferResolved);
    expect((await owner.query('SELECT count(*)::int AS n FROM ledger_transfers WHERE pending_id = $1', [pending.id])).rows[0].n).toBe(1);
  });
});

describe('idempotency', () => {
  it('creates a transfer once per key: a repeat answers the stored transfer and leaves the ledger as it was', async () => {
    const acc = await accountsOf(a, 0, 1);
    const input = topUp(acc.cash, acc.prepaid, 2_500n);
    const first = await inA((tx) => createTransfer(tx, a.tenantId, input));
    expect(first.replayed).toBe(false);
    const accounts = await accountRows(owner, [a.tenantId]);
    const transfers = await transferCount(owner, [a.tenantId]);

    const repeat = await inA((tx) => createTransfer(tx, a.tenantId, { ...input, reason: 'retried by the job', userData: { attempt: 2 } }));
    expect(repeat.replayed).toBe(true);
    expect(repeat.transfer).toEqual(first.transfer);
    // In one batch too: the transfer once, the repeat answers it.
    const batch = await inA((tx) => createTransfers(tx, a.tenantId, [input, input]));
    expect(batch.map((o) => o.status)).toEqual(['existing', 'existing']);
    expect(await accountRows(owner, [a.tenantId])).toEqual(accounts);
    expect(await transferCount(owner, [a.tenantId])).toBe(transfers);

    const fresh = accrual(acc.prepaid, acc.earnings, 10n);
    const twice = await inA((tx) => createTransfers(tx, a.tenantId, [fresh, fresh]));
    expect(twice.map((o) => o.status)).toEqual(['created', 'existing']);
    if (twice[0]!.status === 'refused' || twice[1]!.status === 'refused') throw new Error('unreachable');
    expect(twice[1]!.transfer.id).toBe(twice[0]!.transfer.id);
    expect(await transferCount(owner, [a.tenantId])).toBe(transfers + 1);
    expect((await inA((tx) => recomputeAccount(tx, a.tenantId, acc.prepaid))).matches).toBe(true);
  });

  it('refuses a key reused for another movement, and writes nothing of that batch', async () => {
    const acc = await accountsOf(a, 0, 1);
    const input = topUp(acc.cash, acc.prepaid, 100n);
    await inA((tx) => createTransfer(tx, a.tenantId, input));
    const accounts = await accountRows(owner, [a.tenantId]);
    const transfers = await transferCount(owner, [a.tenantId]);
    for (const changed of [
      { ...input, amount: 101n },
      { ...input, kind: 'pending' as const },
      { ...input, creditAccountId: acc.earnings },
    ]) {
      const error = await rejection(inA((tx) => createTransfers(tx, a.tenantId, [topUp(acc.cash, acc.prepaid, 5n), changed])));
      expect(error).toMatchObject({ code: 'idempotency_conflict', details: { idempotencyKey: input.idempotencyKey } });
    }
    expect(await accountRows(owner, [a.tenantId])).toEqual(accounts);
    expect(await transferCount(owner, [a.tenantId])).toBe(transfers);
  });

  it('answers a retried post as a repeat, and a post after a void (or the reverse) as resolved', async () => {
    const acc = await accountsOf(a, 0, 1);
    await inA((tx) => createTransfer(tx, a.tenantId, topUp(acc.cash, acc.prepaid, 1_000n)));
    const one = await inA((tx) => createTransfer(tx, a.tenantId, accrual(acc.prepaid, acc.earnings, 100n)));
    const two = await inA((tx) => createTransfer(tx, a.tenantId, accrual(acc.prepaid, acc.earnings, 100n)));
    const posted = await inA((tx) => postPending(tx, a.tenantId, one.transfer.id));
    const retried = await inA((tx) => postPending(tx, a.tenantId, one.transfer.id));
    expect(retried).toEqual({ transfer: posted.transfer, replayed: true });
    expect(await rejection(inA((tx) => postPending(tx, a.tenantId, one.transfer.id, { amount: 50n })))).toMatchObject({ code: 'idempotency_conflict' });
    expect(await rejection(inA((tx) => voidPending(tx, a.tenantId, one.transfer.id)))).toMatchObject({ resolution: 'posted' });
    await inA((tx) => voidPending(tx, a.tenantId, two.transfer.id));
    expect(await rejection(inA((tx) => postPending(tx, a.tenantId, two.transfer.id)))).toMatchObject({ resolution: 'voided' });
  });
});

describe('funds', () => {
  it('refuses, in a batch, only the transfers the balance cannot cover, in input order', async () => {
    const acc = await accountsOf(a, 1, 0);
    const start = await inA((tx) => getAccountBalance(tx, a.tenantId, acc.prepaid));
    await inA((tx) => createTransfer(tx, a.tenantId, topUp(acc.cash, acc.prepaid, 1_300n - start.available)));
    const outcomes = await inA((tx) =>
      createTransfers(tx, a.tenantId, [
        accrual(acc.prepaid, acc.earnings, 600n),
        accrual(acc.prepaid, acc.fees, 600n),
        accrual(acc.prepaid, acc.earnings, 600n),
        accrual(acc.prepaid, acc.earnings, 100n),
        // Posted credits count from the moment they are applied: this top-up lets the next accrual through.
        topUp(acc.cash, acc.prepaid, 500n),
        accrual(acc.prepaid, acc.earnings, 500n),
      ]),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['created', 'created', 'refused', 'created', 'created', 'created']);
    const refused = outcomes[2]!;
    if (refused.status !== 'refused') throw new Error('unreachable');
    expect(refused.error).toBeInstanceOf(InsufficientFunds);
    expect(refused.error).toMatchObject({ code: 'invalid_state', accountId: acc.prepaid, amount: 600n, available: 100n, shortfall: 500n });
    expect(refused.error.details).toEqual({ accountId: acc.prepaid, currency: 'EUR', amount: 600, available: 100, shortfall: 500 });
    expect(await inA((tx) => getAccountBalance(tx, a.tenantId, acc.prepaid))).toMatchObject({ available: 0n, reserved: 1_800n });
    expect((await inA((tx) => recomputeAccount(tx, a.tenantId, acc.prepaid))).matches).toBe(true);

    // One transfer alone throws the typed error, and its transaction can carry on.
    const alone = await inA(async (tx) => {
      const error = await rejection(createTransfer(tx, a.tenantId, accrual(acc.prepaid, acc.earnings, 1n)));
      return { error, balance: await getAccountBalance(tx, a.tenantId, acc.prepaid) };
    });
    expect(alone.error).toBeInstanceOf(InsufficientFunds);
    expect(alone.error).toBeInstanceOf(DomainError);
    expect(alone.balance.available).toBe(0n);
  });

  it('lets a merchant with an overdraft limit go that far below zero and no further', async () => {
    const acc = await accountsOf(a, 2, 0);
    await inA((tx) => createTransfer(tx, a.tenantId, topUp(acc.cash, acc.prepaid, 100n)));
    await inA((tx) => setOverdraftLimit(tx, a.tenantId, acc.prepaid, 500n));
    const outcomes = await inA((tx) => createTransfers(tx, a.tenantId, [accrual(acc.prepaid, acc.earnings, 550n), accrual(acc.prepaid, acc.earnings, 51n)]));
    expect(outcomes.map((o) => o.status)).toEqual(['created', 'refused']);
    expect(outcomes[1]).toMatchObject({ error: { available: 50n, shortfall: 1n } });
    expect(await inA((tx) => getAccountBalance(tx, a.tenantId, acc.prepaid))).toMatchObject({ available: -450n, overdraftLimit: 500n });
    // The limit cannot be lowered below what is used; an uncapped account has none.
    expect(await rejection(inA((tx) => setOverdraftLimit(tx, a.tenantId, acc.prepaid, 449n)))).toMatchObject({ code: 'invalid_state' });
    expect(await rejection(inA((tx) => setOverdraftLimit(tx, a.tenantId, acc.earnings, 10n)))).toMatchObject({ code: 'validation_failed' });
    await inA((tx) => setOverdraftLimit(tx, a.tenantId, acc.prepaid, 450n));
    expect((await accountRows(owner, [a.tenantId])).find((r) => r.id === acc.prepaid)!.overdraft_limit).toBe('450');
  });

  it('lets an affiliate’s earnings go below zero for a clawback after a payout', async () => {
    const acc = await accountsOf(a, 0, 1, 'USD');
    const transit = await inA((tx) => ensureAccount(tx, a.tenantId, { kind: 'payouts_in_transit', currency: 'USD' }));
    await inA((tx) =>
      createTransfers(tx, a.tenantId, [
        topUp(acc.cash, acc.prepaid, 1_000n, 'USD'),
        {
          kind: 'single_phase',
          idempotencyKey: key('approved'),
          debitAccountId: acc.prepaid,
          creditAccountId: acc.earnings,
          amount: 300n,
          currency: 'USD',
          code: 'accrual',
        },
        {
          kind: 'single_phase',
          idempotencyKey: key('payout'),
          debitAccountId: acc.earnings,
          creditAccountId: transit.id,
          amount: 300n,
          currency: 'USD',
          code: 'payout',
        },
        {
          kind: 'single_phase',
          idempotencyKey: key('settled'),
          debitAccountId: transit.id,
          creditAccountId: acc.cash,
          amount: 300n,
          currency: 'USD',
          code: 'payout.settled',
        },
      ]),
    );
    const [clawback, overSettle] = await inA((tx) =>
      createTransfers(tx, a.tenantId, [
        {
          kind: 'single_phase',
          idempotencyKey: key('clawback'),
          debitAccountId: acc.earnings,
          creditAccountId: acc.prepaid,
          amount: 300n,
          currency: 'USD',
          code: 'clawback',
        },
        {
          kind: 'single_phase',
          idempotencyKey: key('settled'),
          debitAccountId: transit.id,
          creditAccountId: acc.cash,
          amount: 1n,
          currency: 'USD',
          code: 'payout.settled',
        },
      ]),
    );
    expect(clawback!.status).toBe('created');
    expect(overSettle).toMatchObject({ status: 'refused', error: { accountId: transit.id } });
    expect(await inA((tx) => getAccountBalance(tx, a.tenantId, acc.earnings))).toMatchObject({ posted: -300n, available: -300n });
    expect(await inA((tx) => getAccountBalance(tx, a.tenantId, acc.cash))).toMatchObject({ normal: 'debit', posted: 700n });
    expect((await inA((tx) => trialBalance(tx, a.tenantId))).find((t) => t.currency === 'USD')).toMatchObject({
      balanced: true,
      debitsPosted: 2_200n,
      creditsPosted: 2_200n,
    });
  });
});

describe('bad input and other networks', () => {
  it('refuses another network’s accounts and pending transfers as not found, writing nothing in either', async () => {
    const mine = await accountsOf(a, 0, 0);
    const theirs = await accountsOf(b, 0, 0);
    await inB((tx) => createTransfer(tx, b.tenantId, topUp(theirs.cash, theirs.prepaid, 1_000n)));
    const theirPending = await inB((tx) => createTransfer(tx, b.tenantId, accrual(theirs.prepaid, theirs.earnings, 10n)));
    const accounts = await accountRows(owner, [a.tenantId, b.tenantId]);
    const transfers = await transferCount(owner, [a.tenantId, b.tenantId]);

    const attempts: ((tx: Tx) => Promise<unknown>)[] = [
      (tx) => createTransfers(tx, a.tenantId, [topUp(mine.cash, mine.prepaid, 5n), accrual(theirs.prepaid, mine.earnings, 10n)]),
      (tx) => createTransfer(tx, a.tenantId, accrual(mine.prepaid, theirs.earnings, 10n)),
      (tx) => postPending(tx, a.tenantId, theirPending.transfer.id),
      (tx) => voidPending(tx, a.tenantId, theirPending.transfer.id),
      // B's tenant id inside A's transaction: row-level security shows none of B's rows.
      (tx) => createTransfer(tx, b.tenantId, topUp(theirs.cash, theirs.prepaid, 5n)),
      (tx) => getAccountBalance(tx, a.tenantId, theirs.prepaid),
      (tx) => recomputeAccount(tx, a.tenantId, theirs.prepaid),
      (tx) => createTransfer(tx, a.tenantId, topUp(mine.cash, newId('ledgerAccount'), 5n)),
    ];
    for (const [i, attempt] of attempts.entries()) expect(await rejection(inA(attempt)), `attempt ${i}`).toMatchObject({ code: 'not_found' });
    expect(await inA((tx) => listBalances(tx, a.tenantId, { ownerId: b.merchantIds[0]! }))).toEqual([]);
    expect(await accountRows(owner, [a.tenantId, b.tenantId])).toEqual(accounts);
    expect(await transferCount(owner, [a.tenantId, b.tenantId])).toBe(transfers);
  });

  it('refuses malformed transfers with the field at fault, and writes none of the batch', async () => {
    const eur = await accountsOf(a, 0, 0);
    const usd = await accountsOf(a, 0, 0, 'USD');
    const transfers = await transferCount(owner, [a.tenantId]);
    const good = topUp(eur.cash, eur.prepaid, 5n);
    const cases: [TransferInput, string][] = [
      [{ ...good, amount: 0n }, '[1].amount'],
      [{ ...good, amount: -5n }, '[1].amount'],
      [{ ...good, amount: MAX_AMOUNT + 1n }, '[1].amount'],
      [{ ...good, amount: 5 as unknown as bigint }, '[1].amount'],
      [{ ...good, creditAccountId: eur.cash }, '[1].creditAccountId'],
      [{ ...good, currency: 'eur' }, '[1].currency'],
      [{ ...good, code: 'Top Up' }, '[1].code'],
      [{ ...good, idempotencyKey: '' }, '[1].idempotencyKey'],
      [{ ...good, idempotencyKey: 'k'.repeat(201) }, '[1].idempotencyKey'],
      [{ ...good, reason: 'r'.repeat(1001) }, '[1].reason'],
      [{ ...good, userData: [1, 2] as unknown as Record<string, unknown> }, '[1].userData'],
      [{ ...good, kind: 'refund' as 'pending' }, '[1].kind'],
      [{ kind: 'post_pending', idempotencyKey: key('p'), pendingId: newId('transfer'), amount: 0n }, '[1].amount'],
    ];
    for (const [bad, path] of cases) {
      const error = await rejection(inA((tx) => createTransfers(tx, a.tenantId, [topUp(eur.cash, eur.prepaid, 5n), bad])));
      expect(error, path).toMatchObject({ code: 'validation_failed', details: { errors: expect.arrayContaining([expect.objectContaining({ path })]) } });
    }
    // Accounts in another currency than the transfer, or than each other.
    expect(await rejection(inA((tx) => createTransfer(tx, a.tenantId, topUp(eur.cash, eur.prepaid, 5n, 'USD'))))).toMatchObject({ code: 'validation_failed' });
    expect(await rejection(inA((tx) => createTransfer(tx, a.tenantId, topUp(eur.cash, usd.prepaid, 5n))))).toMatchObject({ code: 'validation_failed' });
    // A post of a transfer that is not pending.
    const single = await inA((tx) => createTransfer(tx, a.tenantId, topUp(eur.cash, eur.prepaid, 5n)));
    expect(await rejection(inA((tx) => postPending(tx, a.tenantId, single.transfer.id)))).toMatchObject({ code: 'validation_failed' });
    expect(await transferCount(owner, [a.tenantId])).toBe(transfers + 1);
  });
});

describe('checks', () => {
  it('recomputes an account from its transfers and reports a row that disagrees', async () => {
    const acc = await accountsOf(b, 0, 0);
    await inB((tx) => createTransfer(tx, b.tenantId, topUp(acc.cash, acc.prepaid, 70n)));
    const ok = await inB((tx) => recomputeAccount(tx, b.tenantId, acc.prepaid));
    expect(ok.matches).toBe(true);
    expect(ok.computed).toEqual(ok.stored);
    // Tampering behind the ledger's back (as the owner) is found.
    await owner.query('UPDATE ledger_accounts SET credits_posted = credits_posted + 1 WHERE id = $1', [acc.prepaid]);
    const tampered = await inB((tx) => recomputeAccount(tx, b.tenantId, acc.prepaid));
    expect(tampered.matches).toBe(false);
    expect(tampered.stored.creditsPosted - tampered.computed.creditsPosted).toBe(1n);
    expect((await inB((tx) => recomputeAccounts(tx, b.tenantId))).filter((c) => !c.matches).map((c) => c.accountId)).toEqual([acc.prepaid]);
    expect((await inB((tx) => trialBalance(tx, b.tenantId))).find((t) => t.currency === 'EUR')).toMatchObject({ balanced: false });
    await owner.query('UPDATE ledger_accounts SET credits_posted = credits_posted - 1 WHERE id = $1', [acc.prepaid]);
    expect((await inB((tx) => trialBalance(tx, b.tenantId))).every((t) => t.balanced)).toBe(true);
  });
});
