/**
 * pnpm bench:accrual — the accrual job against real Postgres and Redis (results and how to
 * read them: docs/benchmarks.md):
 *
 *  1. a fresh migrated database (bench/accrual/seed.ts): a hot merchant with one program,
 *     `--affiliates` affiliates and `--conversions` attributed sales; `--merchants` other
 *     merchants with `--many-conversions` sales between them; every prepaid account topped
 *     up through the ledger, every earnings account created;
 *  2. (a) the ceiling: one pending transfer per transaction, hot merchant's prepaid →
 *     an affiliate's earnings (createTransfer in withTenant), `--conversions` of them from
 *     `--concurrency` parallel loops in this process: what one hot account takes when every
 *     transfer is its own transaction;
 *  3. (b) the real accrual for the hot merchant: the worker (startWorker, child process,
 *     WORKER_CONCURRENCY = `--concurrency`) is running; the bench writes one
 *     `commissions.accrue` outbox row per conversion (as attribution does) and the worker's
 *     outbox relay enqueues them; timed from the outbox write to the last accrual record
 *     (engine, commission rows, ledger transfers, rollup, events);
 *  4. (c) the same for the `--merchants` merchants at once, each its own prepaid account;
 *  5. the books: trial balance per currency, every account equal to its recomputation from
 *     the transfers, one commission per (conversion, kind, beneficiary), one reserved
 *     (pending, with its pending transfer) commission per conversion, no awaiting_funds, no
 *     failed job; PASS/FAIL of the goal b/a ≥ 4; exit 1 when the books do not hold.
 *
 * Options:
 *   --conversions=3000 --affiliates=500 --merchants=50 --many-conversions=3000
 *   --many-affiliates=20   affiliates of each of the many merchants
 *   --concurrency=8        the ceiling's parallel loops and the worker's WORKER_CONCURRENCY
 *   --pool-size=10         DATABASE_POOL_SIZE of the worker and the ceiling's pool
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { loadTestEnv } from '../packages/config/src/test-env';
import { createPrisma } from '../packages/db/src/client';
import { createTestDatabase, type TestDatabase } from '../packages/db/src/testing/test-database';
import { withTenant } from '../packages/db/src/with-tenant';
import { createTransfer } from '../packages/domain/src/ledger/create-transfer';
import { recomputeAccounts } from '../packages/domain/src/ledger/recompute-account';
import { trialBalance } from '../packages/domain/src/ledger/trial-balance';
import { type BenchMerchant, seedAccrual } from './accrual/seed';
import { type Child, startChild } from './lib/child';
import { pg, Redis, type RedisClient, ROOT } from './lib/deps';
import { sampleBackendCpu } from './lib/postgres';
import { cpuMsOf, machineCpu } from './lib/proc';
import { check, commandLine, fmt, revision, sleep } from './lib/report';

const cli = commandLine(process.argv.slice(2));
const CONVERSIONS = cli.number('conversions', 3_000);
const AFFILIATES = cli.number('affiliates', 500);
const MERCHANTS = cli.number('merchants', 50, { allowZero: true });
const MANY_CONVERSIONS = cli.number('many-conversions', 3_000);
const MANY_AFFILIATES = cli.number('many-affiliates', 20);
const CONCURRENCY = cli.number('concurrency', 8);
const POOL_SIZE = cli.number('pool-size', 10);
const GOAL_RATIO = 4;
const TIMEOUT_MS = 600_000;

type Pool = InstanceType<typeof pg.Pool>;
const env = loadTestEnv();
const prefix = `bench:accrual:${randomBytes(4).toString('hex')}`;

interface Run {
  label: string;
  count: number;
  seconds: number;
  perSecond: number;
  workerCpuUs: number;
  postgresCpuUs: number;
  machineBusy: number;
}

function show(r: Run): void {
  console.log(
    `  ${r.label}: ${fmt(r.count)} in ${r.seconds.toFixed(2)} s = ${fmt(r.perSecond)}/s; per item CPU: ` +
      `${Number.isNaN(r.workerCpuUs) ? '' : `worker ${fmt(r.workerCpuUs)} µs, `}postgres ${fmt(r.postgresCpuUs)} µs; machine ${(100 * r.machineBusy).toFixed(0)}% busy`,
  );
}

async function measure(label: string, count: number, owner: Pool, database: string, worker: Child | null, body: () => Promise<void>): Promise<Run> {
  const pgCpu = sampleBackendCpu(owner, database);
  const cpu0 = worker ? (cpuMsOf(worker.pid) ?? 0) : 0;
  const machine0 = machineCpu();
  const t0 = performance.now();
  await body();
  const seconds = (performance.now() - t0) / 1000;
  const machine1 = machineCpu();
  const postgresMs = await pgCpu.stop();
  return {
    label,
    count,
    seconds,
    perSecond: count / Math.max(seconds, 0.001),
    workerCpuUs: worker ? (((cpuMsOf(worker.pid) ?? 0) - cpu0) * 1000) / count : Number.NaN,
    postgresCpuUs: (postgresMs * 1000) / count,
    machineBusy: (machine1.busy - machine0.busy) / Math.max(machine1.total - machine0.total, 1),
  };
}

/** (a) One pending transfer per transaction against the hot prepaid account. */
async function ceiling(appUrl: string, tenantId: string, hot: BenchMerchant): Promise<void> {
  const prisma = createPrisma({ url: appUrl, poolSize: POOL_SIZE });
  try {
    let next = 0;
    const loop = async () => {
      for (let i = next++; i < CONVERSIONS; i = next++) {
        await withTenant(prisma, tenantId, (tx) =>
          createTransfer(tx, tenantId, {
            kind: 'pending',
            debitAccountId: hot.prepaidId,
            creditAccountId: hot.earningsIds[i % hot.earningsIds.length]!,
            amount: 500n,
            currency: 'EUR',
            idempotencyKey: `bench-ceiling:${i}`,
            code: 'bench_ceiling',
          }),
        );
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  } finally {
    await prisma.$disconnect();
  }
}

/** Writes the accrual jobs of these merchants' conversions to the outbox, as attribution does, and waits until every one is decided. */
async function accrueThrough(owner: Pool, merchants: BenchMerchant[]): Promise<void> {
  const ids = merchants.map((m) => m.merchantId);
  await owner.query(
    `INSERT INTO outbox (id, tenant_id, topic, payload)
     SELECT 'outbox_bench' || replace(c.id, 'conversion_', ''), c.tenant_id, 'commissions.accrue', jsonb_build_object('conversionId', c.id)
       FROM conversions c WHERE c.merchant_id = ANY ($1) ORDER BY c.id`,
    [ids],
  );
  const expected = merchants.reduce((n, m) => n + m.conversionIds.length, 0);
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const { rows } = await owner.query<{ n: number }>('SELECT count(*)::int AS n FROM conversion_accruals WHERE merchant_id = ANY ($1)', [ids]);
    if (rows[0]!.n >= expected) return;
    if (Date.now() > deadline) throw new Error(`${rows[0]!.n} of ${expected} conversions accrued after ${TIMEOUT_MS} ms`);
    await sleep(20);
  }
}

async function queued(redis: RedisClient): Promise<{ waiting: number; failed: number }> {
  let waiting = 0;
  let failed = 0;
  for (const queue of ['default', 'email', 'conversions']) {
    const key = `${prefix}:${queue}`;
    const [wait, active, delayed, prioritized, failedN] = await Promise.all([
      redis.llen(`${key}:wait`),
      redis.llen(`${key}:active`),
      redis.zcard(`${key}:delayed`),
      redis.zcard(`${key}:prioritized`),
      redis.zcard(`${key}:failed`),
    ]);
    waiting += wait + active + delayed + prioritized;
    failed += failedN;
  }
  return { waiting, failed };
}

/** Waits until the worker's queues are empty and the outbox is relayed (the event dispatches the accruals wrote). */
async function idle(redis: RedisClient, owner: Pool): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const { rows } = await owner.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL');
    if (rows[0]!.n === 0 && (await queued(redis)).waiting === 0) return;
    if (Date.now() > deadline) throw new Error('the worker did not become idle');
    await sleep(100);
  }
}

interface Books {
  lines: string[];
  ok: boolean;
}

async function books(owner: Pool, appUrl: string, tenantId: string, merchants: BenchMerchant[], redis: RedisClient): Promise<Books> {
  const lines: string[] = [];
  let ok = true;
  const expect = (what: string, pass: boolean, detail: string) => {
    lines.push(`  ${check(pass)}  ${what}: ${detail}`);
    ok &&= pass;
  };
  const prisma = createPrisma({ url: appUrl, poolSize: 1 });
  try {
    const trial = await withTenant(prisma, tenantId, (tx) => trialBalance(tx, tenantId), { timeoutMs: 120_000 });
    expect(
      'trial balance per currency',
      trial.every((t) => t.balanced),
      trial.map((t) => `${t.currency} ${t.balanced ? 'balanced' : 'NOT balanced'}`).join(', '),
    );
    const recomputed = await withTenant(prisma, tenantId, (tx) => recomputeAccounts(tx, tenantId), { timeoutMs: 120_000 });
    const wrong = recomputed.filter((c) => !c.matches);
    expect('accounts equal their recomputation from the transfers', wrong.length === 0, `${fmt(recomputed.length)} accounts, ${wrong.length} differ`);
  } finally {
    await prisma.$disconnect();
  }
  const ids = merchants.map((m) => m.merchantId);
  const expected = merchants.reduce((n, m) => n + m.conversionIds.length, 0);
  const { rows: dup } = await owner.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT 1 FROM commissions WHERE merchant_id = ANY ($1)
      GROUP BY conversion_id, kind, affiliate_id, bonus_key HAVING count(*) > 1) d`,
    [ids],
  );
  expect('one commission per (conversion, kind, beneficiary)', dup[0]!.n === 0, `${dup[0]!.n} duplicated`);
  const { rows: st } = await owner.query<{ status: string; n: number; with_transfer: number; transfer_ok: number }>(
    `SELECT c.status, count(*)::int AS n, count(c.pending_transfer_id)::int AS with_transfer,
            count(*) FILTER (WHERE t.kind = 'pending' AND t.amount = c.amount AND t.debit_account_id = p.id)::int AS transfer_ok
       FROM commissions c LEFT JOIN ledger_transfers t ON t.id = c.pending_transfer_id
       LEFT JOIN ledger_accounts p ON p.owner_id = c.merchant_id AND p.kind = 'merchant_prepaid' AND p.currency = c.currency
      WHERE c.merchant_id = ANY ($1) GROUP BY c.status`,
    [ids],
  );
  const pending = st.find((s) => s.status === 'pending');
  const waiting = st.find((s) => s.status === 'awaiting_funds')?.n ?? 0;
  expect(
    'reserved commissions (pending, with their pending transfer from the prepaid account)',
    pending?.n === expected && pending.transfer_ok === expected && st.length === 1,
    `${fmt(pending?.transfer_ok ?? 0)} of ${fmt(expected)} expected (statuses: ${st.map((s) => `${s.status} ${s.n}`).join(', ')})`,
  );
  expect('no awaiting_funds while funded', waiting === 0, `${waiting} awaiting_funds`);
  const { rows: acc } = await owner.query<{ accrued: number; conversions: number }>(
    `SELECT count(*) FILTER (WHERE outcome = 'accrued')::int AS accrued, count(DISTINCT conversion_id)::int AS conversions
       FROM conversion_accruals WHERE merchant_id = ANY ($1)`,
    [ids],
  );
  expect('one accrual record per conversion', acc[0]!.accrued === expected && acc[0]!.conversions === expected, `${fmt(acc[0]!.accrued)} accrued`);
  const { rows: ev } = await owner.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM domain_events e JOIN commissions c ON c.id = e.subject_id WHERE e.type = 'commission.created' AND c.merchant_id = ANY ($1)`,
    [ids],
  );
  expect('one commission.created event per commission', ev[0]!.n === expected, `${fmt(ev[0]!.n)} events`);
  const { rows: roll } = await owner.query<{ sales: number }>(
    `SELECT coalesce(sum(s.sales), 0)::int AS sales FROM conversion_daily_stats s JOIN programs p ON p.id = s.program_id WHERE p.merchant_id = ANY ($1)`,
    [ids],
  );
  expect('every accrued sale in the conversion rollup once', roll[0]!.sales === expected, `${fmt(roll[0]!.sales)} sales`);
  const { failed } = await queued(redis);
  expect('no failed job', failed === 0, `${failed} failed`);
  return { lines, ok };
}

async function main(): Promise<number> {
  console.log(
    `bench:accrual — ${fmt(CONVERSIONS)} conversions of one merchant (${fmt(AFFILIATES)} affiliates), ${MERCHANTS} merchants × ` +
      `${fmt(Math.ceil(MANY_CONVERSIONS / Math.max(MERCHANTS, 1)))} conversions; concurrency ${CONCURRENCY}, pool ${POOL_SIZE}` +
      `; node ${process.version}`,
  );
  console.log(`code: ${revision(ROOT)}`);
  let db: TestDatabase | undefined;
  let owner: Pool | undefined;
  let worker: Child | undefined;
  const redis = new Redis(env.redisUrl, { maxRetriesPerRequest: 3 });
  try {
    const started = Date.now();
    db = await createTestDatabase('bench_accrual');
    const seed = await seedAccrual(db.ownerUrl, db.appUrl, {
      conversions: CONVERSIONS,
      affiliates: AFFILIATES,
      manyMerchants: MERCHANTS,
      manyConversions: MANY_CONVERSIONS,
      manyAffiliates: MANY_AFFILIATES,
    });
    owner = new pg.Pool({ connectionString: db.ownerUrl, max: 3 });
    owner.on('error', () => {});
    console.log(`database ${db.name} seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    console.log("\n(a) ceiling: one pending transfer per transaction, hot prepaid account → an affiliate's earnings");
    const a = await measure('transfers', CONVERSIONS, owner, db.name, null, () => ceiling(db!.appUrl, seed.tenantId, seed.hot));
    show(a);

    const workerEnv = {
      DATABASE_URL: db.ownerUrl,
      APP_DATABASE_URL: db.appUrl,
      REDIS_URL: env.redisUrl,
      REDIS_PREFIX: prefix,
      APP_DB_PASSWORD: env.appPassword,
      DATABASE_POOL_SIZE: String(POOL_SIZE),
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      OUTBOX_POLL_MS: '50',
      WORKER_CONCURRENCY: String(CONCURRENCY),
    };
    worker = await startChild('worker', join(ROOT, 'bench/accrual/worker-process.ts'), { args: [JSON.stringify(workerEnv)] });

    console.log('\n(b) the accrual job, hot merchant: outbox → relay → commissions.accrue → commissions + reservations');
    const b = await measure('accruals', CONVERSIONS, owner, db.name, worker, () => accrueThrough(owner!, [seed.hot]));
    show(b);
    await idle(redis, owner);

    let c: Run | null = null;
    if (MERCHANTS > 0) {
      console.log(`\n(c) the accrual job, ${MERCHANTS} merchants at once, each its own prepaid account`);
      const count = seed.many.reduce((n, m) => n + m.conversionIds.length, 0);
      c = await measure('accruals', count, owner, db.name, worker, () => accrueThrough(owner!, seed.many));
      show(c);
      await idle(redis, owner);
    }

    console.log('\nbooks');
    const result = await books(owner, db.appUrl, seed.tenantId, [seed.hot, ...seed.many], redis);
    for (const line of result.lines) console.log(line);
    const deadlocks = worker.logged.deadlocks;
    console.log(`  worker log: ${worker.logged.errors} errors, ${worker.logged.warnings} warnings, ${deadlocks} deadlocks`);

    const ratio = b.perSecond / a.perSecond;
    console.log('\nsummary');
    console.log(`  (a) ceiling, one transfer per transaction on the hot account: ${fmt(a.perSecond)} transfers/s`);
    console.log(`  (b) accrual job, hot merchant:                              ${fmt(b.perSecond)} accruals/s (one commission each)`);
    if (c) console.log(`  (c) accrual job, ${MERCHANTS} merchants:                              ${fmt(c.perSecond)} accruals/s`);
    console.log(`  ratio b/a = ${ratio.toFixed(2)}  ${check(ratio >= GOAL_RATIO)} (goal ≥ ${GOAL_RATIO})`);
    console.log(`  books ${check(result.ok)}`);
    return result.ok ? 0 : 1;
  } finally {
    await worker?.stop().catch(() => {});
    await owner?.end().catch(() => {});
    await sleep(200);
    await db?.drop().catch((e) => console.error(`  could not drop ${db?.name}: ${e}`));
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    redis.disconnect();
  }
}

process.exitCode = await main().catch((error) => {
  console.error(error);
  return 1;
});
