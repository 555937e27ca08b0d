import { createPrisma, type PrismaClient } from '@app/db/client';
import { createTestDatabase, type TestDatabase } from '@app/db/testing/test-database';
import { withTenant } from '@app/db/with-tenant';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTransfers } from './create-transfers';
import { ensureAccount } from './ensure-account';
import { InsufficientFunds, PendingTransferResolved } from './ledger-errors';
import { seedNetwork } from './ledger-fixtures';
import { type Expectation, LedgerModel, type ModelPending } from './ledger-model';
import { recomputeAccounts } from './recompute-account';
import type { TransferInput, TransferOutcome } from './transfer-input';
import { trialBalance } from './trial-balance';

/**
 * Model-based property test: random sequences of top-ups, withdrawals, accruals (commission
 * and fee), approvals, rejections, partial refunds before and after approval, clawbacks,
 * second resolutions and replays, across two networks and two currencies, run against the
 * database and against a pure in-memory model (ledger-model.ts). After every command the
 * answers and every account row must equal the model; after every sequence every account
 * equals the sum of its transfers, debits equal credits per currency, no capped account
 * is past its limit, and every pending transfer is resolved at most once, as the model says.
 */

const CURRENCIES = ['EUR', 'USD'] as const;
type Currency = (typeof CURRENCIES)[number];
const OVERDRAFT = 500n;

interface NetworkAccounts {
  cash: string;
  fees: string;
  prepaid: string[];
  earnings: string[];
}

interface Real {
  tenantIds: string[];
  accounts: Record<Currency, NetworkAccounts>[];
}

interface Accrual {
  tenant: number;
  legs: ModelPending[];
}

interface World {
  ledger: LedgerModel;
  accruals: Accrual[];
  keys: number;
}

let db: TestDatabase;
let owner: pg.Pool;
let prisma: PrismaClient;
let runs = 0;
const seen = { created: 0, existing: 0, funds: 0, resolved: 0, partialPosts: 0, voids: 0, clawbacks: 0, overdrawn: 0 };

beforeAll(async () => {
  db = await createTestDatabase('ledger_properties');
  owner = new pg.Pool({ connectionString: db.ownerUrl, max: 2 });
  owner.on('error', () => {});
  prisma = createPrisma({ url: db.appUrl, poolSize: 2 });
}, 60_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await owner?.end();
  await db?.drop();
});

/** Two fresh networks, each with two merchants (the second of network 1 may overdraw EUR by 500) and two affiliates. */
async function freshWorld(): Promise<{ world: World; real: Real }> {
  const run = ++runs;
  const ledger = new LedgerModel();
  const real: Real = { tenantIds: [], accounts: [] };
  for (const n of [0, 1]) {
    const net = await seedNetwork(owner, `p${run}-n${n}`, { merchants: 2, affiliates: 2 });
    real.tenantIds.push(net.tenantId);
    const byCurrency = await withTenant(prisma, net.tenantId, async (tx) => {
      const out = {} as Record<Currency, NetworkAccounts>;
      for (const currency of CURRENCIES) {
        const add = async (kind: Parameters<typeof ensureAccount>[2]['kind'], ownerId?: string, overdraft = 0n) => {
          const account = await ensureAccount(tx, net.tenantId, { kind, ownerId, currency }, { overdraftLimit: overdraft });
          ledger.addAccount({ id: account.id, kind, currency, capped: account.debitsMustNotExceedCredits, overdraft });
          return account.id;
        };
        out[currency] = {
          cash: await add('network_cash'),
          fees: await add('network_fee_revenue'),
          prepaid: [
            await add('merchant_prepaid', net.merchantIds[0]),
            await add('merchant_prepaid', net.merchantIds[1], n === 1 && currency === 'EUR' ? OVERDRAFT : 0n),
          ],
          earnings: [await add('affiliate_earnings', net.affiliateIds[0]), await add('affiliate_earnings', net.affiliateIds[1])],
        };
      }
      return out;
    });
    real.accounts.push(byCurrency);
  }
  return { world: { ledger, accruals: [], keys: 0 }, real };
}

const key = (w: World, label: string) => `${label}-${++w.keys}`;

function summarise(outcome: TransferOutcome): Expectation {
  if (outcome.status === 'created') return { status: 'created' };
  if (outcome.status === 'existing') return { status: 'existing', transferId: outcome.transfer.id };
  const reason =
    outcome.error instanceof InsufficientFunds ? 'funds' : outcome.error instanceof PendingTransferResolved ? 'resolved' : (String(outcome.error) as 'funds');
  return { status: 'refused', reason };
}

/** Runs one batch against the database and the model; the answers and all account rows must agree. */
async function runBatch(w: World, r: Real, tenant: number, inputs: TransferInput[]): Promise<(ModelPending | null | undefined)[]> {
  const expected = w.ledger.expect(tenant, inputs);
  const outcomes = await withTenant(prisma, r.tenantIds[tenant]!, (tx) => createTransfers(tx, r.tenantIds[tenant]!, inputs));
  expect(outcomes.map(summarise)).toEqual(expected);
  for (const outcome of outcomes) {
    if (outcome.status === 'refused') seen[outcome.error instanceof InsufficientFunds ? 'funds' : 'resolved']++;
    else seen[outcome.status]++;
  }
  const made = outcomes.map((o, i) => (o.status === 'created' ? w.ledger.created(tenant, inputs[i]!, o.transfer.id) : undefined));
  await expectRowsEqualModel(w, r);
  return made;
}

async function expectRowsEqualModel(w: World, r: Real): Promise<void> {
  const { rows } = await owner.query<{ id: string; dpe: string; dpo: string; cpe: string; cpo: string; headroom: string; capped: boolean }>(
    `SELECT id, debits_pending::text AS dpe, debits_posted::text AS dpo, credits_pending::text AS cpe, credits_posted::text AS cpo,
            (credits_posted + overdraft_limit - debits_posted - debits_pending)::text AS headroom, debits_must_not_exceed_credits AS capped
       FROM ledger_accounts WHERE tenant_id = ANY ($1)`,
    [r.tenantIds],
  );
  expect(rows).toHaveLength(w.ledger.accounts.size);
  for (const row of rows) {
    const m = w.ledger.accounts.get(row.id)!;
    expect({ id: row.id, dpe: row.dpe, dpo: row.dpo, cpe: row.cpe, cpo: row.cpo }).toEqual({
      id: m.id,
      dpe: String(m.dpe),
      dpo: String(m.dpo),
      cpe: String(m.cpe),
      cpo: String(m.cpo),
    });
    if (row.capped) expect(BigInt(row.headroom), `${m.kind} ${row.id}`).toBeGreaterThanOrEqual(0n);
    if (row.capped && m.overdraft > 0n && m.cpo - m.dpo - m.dpe < 0n) seen.overdrawn++;
  }
}

/** The invariants after a whole sequence. */
async function expectInvariants(w: World, r: Real): Promise<void> {
  for (const tenantId of r.tenantIds) {
    const checks = await withTenant(prisma, tenantId, (tx) => recomputeAccounts(tx, tenantId));
    expect(checks.filter((c) => !c.matches)).toEqual([]);
    const trial = await withTenant(prisma, tenantId, (tx) => trialBalance(tx, tenantId));
    for (const t of trial) expect(t, t.currency).toMatchObject({ balanced: true, debitsPosted: t.creditsPosted, debitsPending: t.creditsPending });
  }
  // Per currency across both networks, from the transfers themselves.
  const { rows: transfers } = await owner.query<{ n: number }>('SELECT count(*)::int AS n FROM ledger_transfers WHERE tenant_id = ANY ($1)', [r.tenantIds]);
  expect(transfers[0]!.n).toBe(w.ledger.transfers.size);
  // Merchant prepaid never below zero but for the one with an overdraft, and that one not past it.
  for (const m of w.ledger.accounts.values()) {
    if (m.kind === 'merchant_prepaid') expect(m.cpo - m.dpo - m.dpe, m.id).toBeGreaterThanOrEqual(-m.overdraft);
  }
  // Each pending transfer resolved at most once, the way the model says.
  const { rows } = await owner.query<{ id: string; resolutions: number; kind: string | null; amount: string | null }>(
    `SELECT p.id, count(r.id)::int AS resolutions, max(r.kind) AS kind, max(r.amount)::text AS amount
       FROM ledger_transfers p LEFT JOIN ledger_transfers r ON r.pending_id = p.id
      WHERE p.kind = 'pending' AND p.tenant_id = ANY ($1) GROUP BY p.id`,
    [r.tenantIds],
  );
  expect(rows).toHaveLength(w.ledger.pendings.size);
  for (const row of rows) {
    const m = w.ledger.pendings.get(row.id)!;
    expect(row.resolutions).toBeLessThanOrEqual(1);
    const actual = row.kind === null ? 'open' : row.kind === 'post_pending' ? 'posted' : 'voided';
    expect({ id: row.id, state: actual, posted: row.kind === 'post_pending' ? row.amount : '0' }).toEqual({
      id: m.id,
      state: m.state,
      posted: String(m.posted),
    });
  }
}

type Op =
  | { type: 'top_up'; merchant: number; amount: bigint }
  | { type: 'withdraw'; merchant: number; amount: bigint }
  | { type: 'accrue'; merchant: number; affiliate: number; commission: bigint; fee: bigint };

/** A batch of top-ups, withdrawals and accruals (commission + fee, each pending) in one transaction. */
class Batch implements fc.AsyncCommand<World, Real> {
  constructor(
    readonly tenant: number,
    readonly currency: Currency,
    readonly ops: Op[],
  ) {}
  check = () => true;
  async run(w: World, r: Real): Promise<void> {
    const acc = r.accounts[this.tenant]![this.currency];
    const inputs: TransferInput[] = [];
    const legsOf: number[][] = [];
    for (const op of this.ops) {
      const base = { currency: this.currency };
      if (op.type === 'top_up') {
        inputs.push({
          ...base,
          kind: 'single_phase',
          idempotencyKey: key(w, 'top-up'),
          debitAccountId: acc.cash,
          creditAccountId: acc.prepaid[op.merchant]!,
          amount: op.amount,
          code: 'top_up',
        });
      } else if (op.type === 'withdraw') {
        inputs.push({
          ...base,
          kind: 'single_phase',
          idempotencyKey: key(w, 'withdraw'),
          debitAccountId: acc.prepaid[op.merchant]!,
          creditAccountId: acc.cash,
          amount: op.amount,
          code: 'withdrawal',
        });
      } else {
        const legs = [inputs.length];
        const prepaid = acc.prepaid[op.merchant]!;
        inputs.push({
          ...base,
          kind: 'pending',
          idempotencyKey: key(w, 'commission'),
          debitAccountId: prepaid,
          creditAccountId: acc.earnings[op.affiliate]!,
          amount: op.commission,
          code: 'accrual',
        });
        if (op.fee > 0n) {
          legs.push(inputs.length);
          inputs.push({
            ...base,
            kind: 'pending',
            idempotencyKey: key(w, 'fee'),
            debitAccountId: prepaid,
            creditAccountId: acc.fees,
            amount: op.fee,
            code: 'accrual.fee',
          });
        }
        legsOf.push(legs);
      }
    }
    const made = await runBatch(w, r, this.tenant, inputs);
    for (const legs of legsOf) {
      const created = legs.flatMap((i) => (made[i] ? [made[i]] : []));
      if (created.length > 0) w.accruals.push({ tenant: this.tenant, legs: created });
    }
  }
  toString = () =>
    `Batch(n${this.tenant} ${this.currency} ${this.ops.map((o) => (o.type === 'accrue' ? `accrue ${o.commission}+${o.fee}` : `${o.type} ${o.amount}`)).join(', ')})`;
}

const openLegs = (a: Accrual) => a.legs.filter((l) => l.state === 'open');
const postedLeft = (a: Accrual) => a.legs.filter((l) => l.state === 'posted' && l.posted > l.clawedBack);

/** Approval (post in full) or rejection (void) of the open legs of an accrual. */
class Resolve implements fc.AsyncCommand<World, Real> {
  constructor(
    readonly how: 'approve' | 'reject',
    readonly pick: number,
  ) {}
  check = (w: Readonly<World>) => w.accruals.some((a) => openLegs(a).length > 0);
  async run(w: World, r: Real): Promise<void> {
    const candidates = w.accruals.filter((a) => openLegs(a).length > 0);
    const accrual = candidates[this.pick % candidates.length]!;
    const inputs: TransferInput[] = openLegs(accrual).map((leg) =>
      this.how === 'approve'
        ? { kind: 'post_pending', pendingId: leg.id, idempotencyKey: key(w, 'approve'), code: 'approval' }
        : { kind: 'void_pending', pendingId: leg.id, idempotencyKey: key(w, 'reject'), code: 'rejection' },
    );
    if (this.how === 'reject') seen.voids += inputs.length;
    await runBatch(w, r, accrual.tenant, inputs);
  }
  toString = () => `${this.how}(#${this.pick})`;
}

/** A refund of `bps`/10,000 of the sale: open legs are posted for the rest (voided when nothing is left), posted legs clawed back. */
class Refund implements fc.AsyncCommand<World, Real> {
  constructor(
    readonly bps: bigint,
    readonly pick: number,
  ) {}
  check = (w: Readonly<World>) => w.accruals.some((a) => openLegs(a).length > 0 || postedLeft(a).length > 0);
  async run(w: World, r: Real): Promise<void> {
    const candidates = w.accruals.filter((a) => openLegs(a).length > 0 || postedLeft(a).length > 0);
    const accrual = candidates[this.pick % candidates.length]!;
    const inputs: TransferInput[] = [];
    const clawed: [ModelPending, bigint][] = [];
    for (const leg of openLegs(accrual)) {
      const keep = leg.amount - (leg.amount * this.bps) / 10_000n;
      if (keep === 0n) {
        inputs.push({ kind: 'void_pending', pendingId: leg.id, idempotencyKey: key(w, 'refund-void') });
        seen.voids++;
      } else {
        inputs.push({ kind: 'post_pending', pendingId: leg.id, amount: keep, idempotencyKey: key(w, 'refund-post'), code: 'approval.partial' });
        if (keep < leg.amount) seen.partialPosts++;
      }
    }
    for (const leg of postedLeft(accrual)) {
      const amount = ((leg.posted - leg.clawedBack) * this.bps) / 10_000n;
      if (amount === 0n) continue;
      inputs.push(clawback(w, r, leg, amount));
      clawed.push([leg, amount]);
    }
    if (inputs.length === 0) return;
    const made = await runBatch(w, r, accrual.tenant, inputs);
    applyClawbacks(inputs, made, clawed);
  }
  toString = () => `refund(${this.bps} bps, #${this.pick})`;
}

/** Claws back everything still posted of an accrual (a refund in full after approval). */
class Clawback implements fc.AsyncCommand<World, Real> {
  constructor(readonly pick: number) {}
  check = (w: Readonly<World>) => w.accruals.some((a) => postedLeft(a).length > 0);
  async run(w: World, r: Real): Promise<void> {
    const candidates = w.accruals.filter((a) => postedLeft(a).length > 0);
    const accrual = candidates[this.pick % candidates.length]!;
    const clawed: [ModelPending, bigint][] = postedLeft(accrual).map((leg) => [leg, leg.posted - leg.clawedBack]);
    const inputs = clawed.map(([leg, amount]) => clawback(w, r, leg, amount));
    applyClawbacks(inputs, await runBatch(w, r, accrual.tenant, inputs), clawed);
  }
  toString = () => `clawback(#${this.pick})`;
}

/** The reverse of a posted leg: its credit account (earnings or fees) back to the merchant's prepaid balance. */
function clawback(w: World, r: Real, leg: ModelPending, amount: bigint): TransferInput {
  const currency = w.ledger.accounts.get(leg.debit)!.currency;
  expect(r.accounts[leg.tenant]![currency as Currency].prepaid).toContain(leg.debit);
  return {
    kind: 'single_phase',
    idempotencyKey: key(w, 'clawback'),
    debitAccountId: leg.credit,
    creditAccountId: leg.debit,
    amount,
    currency,
    code: 'clawback',
  };
}

function applyClawbacks(inputs: TransferInput[], made: unknown[], clawed: [ModelPending, bigint][]): void {
  let c = 0;
  inputs.forEach((input, i) => {
    if (input.kind !== 'single_phase') return;
    const [leg, amount] = clawed[c++]!;
    // Earnings and fee revenue have no cap: a clawback is never refused.
    expect(made[i]).toBeNull();
    leg.clawedBack += amount;
    seen.clawbacks++;
  });
}

/** A second resolution of a pending transfer already posted or voided, under a new key: refused. */
class ResolveAgain implements fc.AsyncCommand<World, Real> {
  constructor(
    readonly post: boolean,
    readonly pick: number,
  ) {}
  check = (w: Readonly<World>) => [...w.ledger.pendings.values()].some((p) => p.state !== 'open');
  async run(w: World, r: Real): Promise<void> {
    const candidates = [...w.ledger.pendings.values()].filter((p) => p.state !== 'open');
    const pending = candidates[this.pick % candidates.length]!;
    const input: TransferInput = this.post
      ? { kind: 'post_pending', pendingId: pending.id, amount: pending.amount, idempotencyKey: key(w, 'again') }
      : { kind: 'void_pending', pendingId: pending.id, idempotencyKey: key(w, 'again') };
    await runBatch(w, r, pending.tenant, [input]);
  }
  toString = () => `resolveAgain(${this.post ? 'post' : 'void'}, #${this.pick})`;
}

/** A transfer created earlier, sent again with its key (a retried job): answered, nothing changes. */
class Replay implements fc.AsyncCommand<World, Real> {
  constructor(readonly pick: number) {}
  check = (w: Readonly<World>) => w.ledger.transfers.size > 0;
  async run(w: World, r: Real): Promise<void> {
    const all = [...w.ledger.transfers.values()];
    const { tenant, input } = all[this.pick % all.length]!;
    await runBatch(w, r, tenant, [input]);
  }
  toString = () => `replay(#${this.pick})`;
}

const amount = (max: bigint) => fc.bigInt({ min: 1n, max });
const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ type: fc.constant('top_up' as const), merchant: fc.nat({ max: 1 }), amount: amount(8_000n) }), weight: 2 },
  fc.record({ type: fc.constant('withdraw' as const), merchant: fc.nat({ max: 1 }), amount: amount(3_000n) }),
  {
    arbitrary: fc.record({
      type: fc.constant('accrue' as const),
      merchant: fc.nat({ max: 1 }),
      affiliate: fc.nat({ max: 1 }),
      commission: amount(2_000n),
      fee: fc.bigInt({ min: 0n, max: 400n }),
    }),
    weight: 3,
  },
);
const batch = fc
  .tuple(fc.nat({ max: 1 }), fc.constantFrom(...CURRENCIES), fc.array(op, { minLength: 1, maxLength: 4 }))
  .map(([tenant, currency, ops]) => new Batch(tenant, currency, ops));
const pick = fc.nat();
const commands = [
  batch,
  batch,
  batch,
  pick.map((p) => new Resolve('approve', p)),
  pick.map((p) => new Resolve('approve', p)),
  pick.map((p) => new Resolve('reject', p)),
  fc.tuple(fc.bigInt({ min: 1n, max: 10_000n }), pick).map(([bps, p]) => new Refund(bps, p)),
  pick.map((p) => new Clawback(p)),
  fc.tuple(fc.boolean(), pick).map(([post, p]) => new ResolveAgain(post, p)),
  pick.map((p) => new Replay(p)),
];

describe('the ledger against its model', () => {
  it('agrees after any sequence of money movements, and keeps its invariants', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 60, size: 'max' }), async (cmds) => {
        const { world, real } = await freshWorld();
        await fc.asyncModelRun(() => ({ model: world, real }), cmds);
        await expectInvariants(world, real);
      }),
      { numRuns: 40 },
    );
    // The sequences reached every path: refusals, replays, partial posts, clawbacks, an overdraft in use.
    for (const [what, n] of Object.entries(seen)) expect(n, what).toBeGreaterThan(0);
  }, 120_000);
});
