import { createPrisma, type PrismaClient } from '@app/db/client';
import { createTestDatabase, type TestDatabase } from '@app/db/testing/test-database';
import { type Tx, withTenant } from '@app/db/with-tenant';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTransfer } from './create-transfer';
import { createTransfers } from './create-transfers';
import { ensureAccount } from './ensure-account';
import { InsufficientFunds, PendingTransferResolved } from './ledger-errors';
import { type SeededNetwork, seedNetwork } from './ledger-fixtures';
import { postPending } from './post-pending';
import { recomputeAccounts } from './recompute-account';
import type { DirectTransferInput } from './transfer-input';
import { trialBalance } from './trial-balance';
import { voidPending } from './void-pending';

/** Many transactions on the same accounts at once: each in its own transaction, as jobs and requests run. */

let db: TestDatabase;
let owner: pg.Pool;
let prisma: PrismaClient;
let net: SeededNetwork;
let acc: { cash: string; prepaid: string; earnings: string; fees: string };

beforeAll(async () => {
  db = await createTestDatabase('ledger_concurrency');
  owner = new pg.Pool({ connectionString: db.ownerUrl, max: 3 });
  owner.on('error', () => {});
  prisma = createPrisma({ url: db.appUrl, poolSize: 20 });
  net = await seedNetwork(owner, 'busy', { merchants: 2, affiliates: 2 });
  acc = await inNet(async (tx) => ({
    cash: (await ensureAccount(tx, net.tenantId, { kind: 'network_cash', currency: 'EUR' })).id,
    prepaid: (await ensureAccount(tx, net.tenantId, { kind: 'merchant_prepaid', ownerId: net.merchantIds[0]!, currency: 'EUR' })).id,
    earnings: (await ensureAccount(tx, net.tenantId, { kind: 'affiliate_earnings', ownerId: net.affiliateIds[0]!, currency: 'EUR' })).id,
    fees: (await ensureAccount(tx, net.tenantId, { kind: 'network_fee_revenue', currency: 'EUR' })).id,
  }));
}, 60_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await owner?.end();
  await db?.drop();
});

function inNet<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
  return withTenant(prisma, net.tenantId, fn, { timeoutMs: 30_000 });
}

let keySeq = 0;
const single = (debit: string, credit: string, amount: bigint, code = 'top_up'): DirectTransferInput => ({
  kind: 'single_phase',
  idempotencyKey: `${code}-${++keySeq}`,
  debitAccountId: debit,
  creditAccountId: credit,
  amount,
  currency: 'EUR',
  code,
});
const pending = (debit: string, credit: string, amount: bigint): DirectTransferInput => ({ ...single(debit, credit, amount, 'accrual'), kind: 'pending' });

async function expectLedgerConsistent(): Promise<void> {
  expect((await inNet((tx) => recomputeAccounts(tx, net.tenantId))).filter((c) => !c.matches)).toEqual([]);
  expect((await inNet((tx) => trialBalance(tx, net.tenantId))).every((t) => t.balanced)).toBe(true);
}

describe('a hot prepaid account', () => {
  it('reserves exactly 60 of 100 parallel accruals against a balance covering 60, refuses 40 with InsufficientFunds, never going below zero', async () => {
    const amount = 250n;
    await inNet((tx) => createTransfer(tx, net.tenantId, single(acc.cash, acc.prepaid, 60n * amount)));

    // Watch the balance from outside while the accruals race.
    let racing = true;
    const seen: bigint[] = [];
    const watcher = (async () => {
      const client = await owner.connect();
      try {
        while (racing) {
          const { rows } = await client.query<{ available: string }>(
            'SELECT (credits_posted - debits_posted - debits_pending)::text AS available FROM ledger_accounts WHERE id = $1',
            [acc.prepaid],
          );
          seen.push(BigInt(rows[0]!.available));
        }
      } finally {
        client.release();
      }
    })();

    const outcomes = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        inNet(async (tx) => {
          const [outcome] = await createTransfers(tx, net.tenantId, [
            { ...pending(acc.prepaid, acc.earnings, amount), idempotencyKey: `commission-${i}`, userData: { commissionId: `com_${i}` } },
          ]);
          return outcome!;
        }),
      ),
    );
    racing = false;
    await watcher;

    const created = outcomes.filter((o) => o.status === 'created');
    const refused = outcomes.flatMap((o) => (o.status === 'refused' ? [o.error] : []));
    expect(created).toHaveLength(60);
    expect(refused).toHaveLength(40);
    for (const error of refused) {
      expect(error).toBeInstanceOf(InsufficientFunds);
      expect(error).toMatchObject({ code: 'invalid_state', accountId: acc.prepaid, amount, available: 0n, shortfall: amount });
    }
    // The watcher saw the balance move while the race ran, never below zero.
    expect(new Set(seen).size).toBeGreaterThan(2);
    expect(seen.every((available) => available >= 0n)).toBe(true);
    expect(seen.at(-1)).toBe(0n);

    const { rows } = await owner.query(
      `SELECT debits_pending::text, debits_posted::text, credits_posted::text,
              (SELECT count(*)::int FROM ledger_transfers WHERE debit_account_id = $1 AND kind = 'pending') AS pendings
         FROM ledger_accounts WHERE id = $1`,
      [acc.prepaid],
    );
    expect(rows[0]).toEqual({ debits_pending: String(60n * amount), debits_posted: '0', credits_posted: String(60n * amount), pendings: 60 });
    await expectLedgerConsistent();

    // Settle them all so the next tests start from posted balances.
    await inNet((tx) =>
      createTransfers(
        tx,
        net.tenantId,
        created.map((o) => ({ kind: 'post_pending' as const, pendingId: o.transfer.id, idempotencyKey: `post:${o.transfer.id}` })),
      ),
    );
    await expectLedgerConsistent();
  }, 60_000);
});

describe('resolving a pending transfer', () => {
  it('lets exactly one of a post and a void of the same pending transfer win when they race', async () => {
    await inNet((tx) => createTransfer(tx, net.tenantId, single(acc.cash, acc.prepaid, 10_000n)));
    const pendings = await inNet(async (tx) =>
      (
        await createTransfers(
          tx,
          net.tenantId,
          Array.from({ length: 20 }, () => pending(acc.prepaid, acc.earnings, 100n)),
        )
      ).map((o) => {
        if (o.status !== 'created') throw new Error('accrual refused');
        return o.transfer.id;
      }),
    );
    const races = await Promise.all(
      pendings.map(async (id, i) => {
        // Alternate who starts first; both are under way before either commits.
        const post = () => inNet((tx) => postPending(tx, net.tenantId, id, { amount: 60n }));
        const cancel = () => inNet((tx) => voidPending(tx, net.tenantId, id));
        const [p, v] = i % 2 === 0 ? await Promise.allSettled([post(), cancel()]) : (await Promise.allSettled([cancel(), post()])).reverse();
        return { id, post: p!, void: v! };
      }),
    );
    for (const race of races) {
      const winners = [race.post, race.void].filter((r) => r.status === 'fulfilled');
      const losers = [race.post, race.void].flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
      expect(winners, race.id).toHaveLength(1);
      expect(losers[0]).toBeInstanceOf(PendingTransferResolved);
    }
    const { rows } = await owner.query<{ pending_id: string; n: number }>(
      'SELECT pending_id, count(*)::int AS n FROM ledger_transfers WHERE pending_id = ANY ($1) GROUP BY pending_id',
      [pendings],
    );
    expect(rows).toHaveLength(20);
    expect(rows.every((r) => r.n === 1)).toBe(true);
    await expectLedgerConsistent();
  }, 30_000);

  it('lets one of ten concurrent posts under different keys win', async () => {
    const { transfer } = await inNet((tx) => createTransfer(tx, net.tenantId, pending(acc.prepaid, acc.fees, 500n)));
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        inNet((tx) => postPending(tx, net.tenantId, transfer.id, { amount: BigInt(100 + i), idempotencyKey: `approve-${transfer.id}-${i}` })),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof PendingTransferResolved)).toHaveLength(9);
    await expectLedgerConsistent();
  });
});

describe('idempotency under concurrency', () => {
  it('creates one transfer when the same key arrives ten times at once', async () => {
    const input = single(acc.cash, acc.prepaid, 777n);
    const before = (await owner.query('SELECT credits_posted::text FROM ledger_accounts WHERE id = $1', [acc.prepaid])).rows[0].credits_posted;
    const results = await Promise.all(Array.from({ length: 10 }, () => inNet((tx) => createTransfer(tx, net.tenantId, input))));
    expect(new Set(results.map((r) => r.transfer.id)).size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    const after = (await owner.query('SELECT credits_posted::text FROM ledger_accounts WHERE id = $1', [acc.prepaid])).rows[0].credits_posted;
    expect(BigInt(after) - BigInt(before)).toBe(777n);
    await expectLedgerConsistent();
  });
});

describe('one key for two movements at once', () => {
  it('lets the first commit and refuses the other as a conflict, rolling all of it back', async () => {
    const other = await inNet(async (tx) => ({
      prepaid: (await ensureAccount(tx, net.tenantId, { kind: 'merchant_prepaid', ownerId: net.merchantIds[1]!, currency: 'EUR' })).id,
      earnings: (await ensureAccount(tx, net.tenantId, { kind: 'affiliate_earnings', ownerId: net.affiliateIds[1]!, currency: 'EUR' })).id,
    }));
    await inNet((tx) => createTransfer(tx, net.tenantId, single(acc.cash, other.prepaid, 1_000n)));
    const sums = async () =>
      (
        await owner.query('SELECT id, debits_pending::text, credits_pending::text FROM ledger_accounts WHERE id = ANY ($1) ORDER BY id', [
          [other.prepaid, other.earnings],
        ])
      ).rows;
    const before = await sums();
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let inserted!: () => void;
    const firstInserted = new Promise<void>((resolve) => {
      inserted = resolve;
    });
    // The first holds its uncommitted transfer with key K; the second, on other accounts, inserts K meanwhile.
    const first = inNet(async (tx) => {
      const result = await createTransfer(tx, net.tenantId, { ...single(acc.cash, acc.prepaid, 5n), idempotencyKey: 'shared-key' });
      inserted();
      await held;
      return result;
    });
    await firstInserted;
    const second = inNet((tx) =>
      createTransfers(tx, net.tenantId, [
        pending(other.prepaid, other.earnings, 7n),
        { ...pending(other.prepaid, other.earnings, 9n), idempotencyKey: 'shared-key' },
      ]),
    );
    const outcome = second.then(
      () => 'committed',
      (error: unknown) => error,
    );
    // Release the first only once the second waits on its uncommitted key.
    for (let waited = 0; ; waited += 20) {
      const { rows } = await owner.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
      if (rows[0].n > 0) break;
      if (waited > 10_000) throw new Error('the second transaction never waited on the first');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    release();
    expect((await first).replayed).toBe(false);
    expect(await outcome).toMatchObject({ code: 'conflict' });
    expect(await sums()).toEqual(before);
    expect((await owner.query(`SELECT count(*)::int AS n FROM ledger_transfers WHERE idempotency_key = 'shared-key'`)).rows[0].n).toBe(1);
    await expectLedgerConsistent();
  }, 30_000);
});

describe('batches over the same accounts', () => {
  it('never deadlock, whatever order their transfers name the accounts in', async () => {
    const other = await inNet(async (tx) => ({
      prepaid: (await ensureAccount(tx, net.tenantId, { kind: 'merchant_prepaid', ownerId: net.merchantIds[1]!, currency: 'EUR' })).id,
      earnings: (await ensureAccount(tx, net.tenantId, { kind: 'affiliate_earnings', ownerId: net.affiliateIds[1]!, currency: 'EUR' })).id,
    }));
    await inNet((tx) => createTransfer(tx, net.tenantId, single(acc.cash, other.prepaid, 100_000n)));
    const batch = () => [
      pending(acc.prepaid, acc.earnings, 1n),
      pending(other.prepaid, other.earnings, 1n),
      single(acc.earnings, other.prepaid, 1n, 'clawback'),
      single(other.earnings, acc.fees, 1n, 'adjustment'),
    ];
    const runs = await Promise.all(
      Array.from({ length: 40 }, (_, i) => inNet((tx) => createTransfers(tx, net.tenantId, i % 2 === 0 ? batch() : batch().reverse()))),
    );
    expect(runs.flat().every((o) => o.status === 'created')).toBe(true);
    await expectLedgerConsistent();
  }, 30_000);
});
