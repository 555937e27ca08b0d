/**
 * pnpm bench:conversions — the conversion path against real Postgres and Redis, in one run
 * (results and how to read them: docs/benchmarks.md):
 *
 *  1. a fresh migrated database: one network, merchant (secret API key), program with a
 *     plan, 200 approved affiliates with links and coupons, 50,000 stored clicks, 2,000
 *     customers bound earlier (bench/conversions/seed.ts);
 *  2. (a) baseline: a bare Fastify 5 app that parses the JSON body, makes one INSERT into
 *     a plain table and answers 202; (b) the API (buildApp, every plugin) answering
 *     POST /v1/conversions with the secret key. Both as child processes loaded by
 *     autocannon from this process with the same settings: a warm-up (a number of requests:
 *     the JIT needs requests, not seconds, and the API is slow before it), a run at full speed
 *     (`--connections`), then a run paced at the goal rate (`--rate`); every request a
 *     distinct externalId (bench/conversions/traffic.ts has the mix);
 *  3. (c) the worker, started after the load, attributes the backlog: drain time and
 *     conversions decided per second; then (c′) the API paced at `--live-rate` with the
 *     worker running, as production runs: does the worker keep up, and how long from the
 *     202 to the decision;
 *  4. checks: every 202 is a stored conversion (lost=0), repeats got the stored one, every
 *     conversion decided exactly once (no pending row, one attribution job, one
 *     conversion.attributed|unattributed event, one commissions.accrue outbox row per
 *     attributed conversion and none for the others); exit 1 otherwise. PASS/FAIL per goal
 *     (informative only: the machine is noisy);
 *  5. the database, the Redis keys and the children are cleaned up.
 *
 * Options:
 *   --connections=10 --duration=10   autocannon settings (seconds per run)
 *   --warmup=2000        requests sent before the measured runs of each server
 *   --rate=2000          requests/s of the paced run (0: skip it)
 *   --live-rate=1000     requests/s of (c′) (0: skip it)
 *   --pool-size=10       DATABASE_POOL_SIZE of the API, the worker and the baseline's pool
 *   --worker-concurrency=N   WORKER_CONCURRENCY (default: the worker's own default)
 *   --profile            CPU profiles of the API during (b) and of the worker during (c)
 *   --no-baseline        skip (a) (quicker, when only the API's own figures matter)
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { loadTestEnv } from '../packages/config/src/test-env';
import { createTestDatabase, type TestDatabase } from '../packages/db/src/testing/test-database';
import { seedConversions } from './conversions/seed';
import { ConversionTraffic } from './conversions/traffic';
import { type Child, startChild } from './lib/child';
import { summariseProfiles } from './lib/cpu-profile';
import { pg, Redis, type RedisClient, ROOT } from './lib/deps';
import { sampleBackendCpu, transactionsOf } from './lib/postgres';
import { cpuMsOf, machineCpu, sampleMemory } from './lib/proc';
import { check, commandLine, findPid, fmt, mb, revision, sleep } from './lib/report';

const cli = commandLine(process.argv.slice(2));
const CONNECTIONS = cli.number('connections', 10);
const DURATION = cli.number('duration', 10);
const WARMUP = cli.number('warmup', 2_000);
const RATE = cli.number('rate', 2_000, { allowZero: true });
const LIVE_RATE = cli.number('live-rate', 1_000, { allowZero: true });
const POOL_SIZE = cli.number('pool-size', 10);
const WORKER_CONCURRENCY = cli.text('worker-concurrency', '');
const PROFILE = cli.flag('profile');
const BASELINE = !cli.flag('no-baseline');
const DRAIN_TIMEOUT_MS = 300_000;
const GOALS = { acceptedPerSecond: 2_000, p99Ms: 25, endToEndPerSecond: 1_000 };

type Pool = InstanceType<typeof pg.Pool>;
const env = loadTestEnv();
const prefix = `bench:conversions:${randomBytes(4).toString('hex')}`;
const tmp = mkdtempSync(join(tmpdir(), 'affnet-bench-conversions-'));
const redisPid = findPid('redis-server');

// ---------------------------------------------------------------------------------------
// Load runs

interface LoadResult {
  label: string;
  /** 2xx answers per second. */
  rps: number;
  total: number;
  ok: number;
  /** Non-2xx answers, socket errors and timeouts. */
  bad: number;
  p50: number;
  p99: number;
  serverCpuUsPerReq: number;
  redisCpuUsPerReq: number;
  postgresCpuUsPerReq: number;
  transactionsPerReq: number;
  statementsPerReq: number;
  statements: Record<string, number>;
  machineBusy: number;
  hwm: number;
}

interface Target {
  server: Child;
  traffic: ConversionTraffic;
}

async function load(
  label: string,
  { server, traffic }: Target,
  owner: Pool,
  database: string,
  opts: { seconds: number; rate?: number; amount?: number },
): Promise<LoadResult> {
  const port = Number(server.ready.port);
  await server.call('statements', { reset: true });
  const cpu0 = cpuMsOf(server.pid) ?? 0;
  const redis0 = redisPid ? (cpuMsOf(redisPid) ?? 0) : 0;
  const tx0 = await transactionsOf(owner, database);
  const pgCpu = sampleBackendCpu(owner, database);
  const machine0 = machineCpu();
  const memory = sampleMemory(server.pid);
  const t0 = performance.now();
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    pipelining: 1,
    ...(opts.amount ? { amount: opts.amount } : { duration: opts.seconds }),
    ...(opts.rate ? { overallRate: opts.rate } : {}),
    requests: traffic.requests(),
  });
  const elapsed = (performance.now() - t0) / 1000;
  const { hwm } = memory.stop();
  const machine1 = machineCpu();
  const postgresMs = await pgCpu.stop();
  // pg_stat_database is updated when a backend reports, at most every 500 ms while busy.
  await sleep(600);
  const transactions = (await transactionsOf(owner, database)) - tx0;
  const statements = (await server.call('statements')) as unknown as Record<string, number>;
  delete (statements as { type?: unknown }).type;
  let ok = 0;
  let bad = result.errors + result.timeouts;
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) {
    const n = stat?.count ?? 0;
    if (code.startsWith('2')) ok += n;
    else bad += n;
  }
  const total = result.requests.total;
  const per = (x: number) => x / Math.max(total, 1);
  return {
    label,
    rps: ok / Math.max(elapsed, 0.001),
    total,
    ok,
    bad,
    p50: result.latency.p50,
    p99: result.latency.p99,
    serverCpuUsPerReq: per(((cpuMsOf(server.pid) ?? 0) - cpu0) * 1000),
    redisCpuUsPerReq: redisPid ? per(((cpuMsOf(redisPid) ?? 0) - redis0) * 1000) : Number.NaN,
    postgresCpuUsPerReq: per(postgresMs * 1000),
    transactionsPerReq: per(transactions),
    statementsPerReq: per(Object.values(statements).reduce((a, b) => a + b, 0)),
    statements,
    machineBusy: (machine1.busy - machine0.busy) / Math.max(machine1.total - machine0.total, 1),
    hwm,
  };
}

function show(r: LoadResult): void {
  console.log(`  ${r.label}: ${fmt(r.rps)} 2xx/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ${fmt(r.total)} requests (${fmt(r.bad)} not 2xx or failed)`);
  console.log(
    `    CPU per request: server ${fmt(r.serverCpuUsPerReq)} µs, postgres ${fmt(r.postgresCpuUsPerReq)} µs, redis ${fmt(r.redisCpuUsPerReq)} µs; ` +
      `machine ${(100 * r.machineBusy).toFixed(0)}% busy; server RSS peak ${mb(r.hwm)}`,
  );
  console.log(
    `    per request: ${r.transactionsPerReq.toFixed(2)} transactions, ${r.statementsPerReq.toFixed(1)} statements (${statementMix(r.statements, r.total)})`,
  );
}

function statementMix(counts: Record<string, number>, per: number): string {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([verb, n]) => `${verb} ${(n / Math.max(per, 1)).toFixed(1)}`)
    .join(', ');
}

// ---------------------------------------------------------------------------------------
// Attribution progress and checks

async function pendingCount(owner: Pool): Promise<{ pending: number; decided: number; attributed: number; unrelayed: number }> {
  const { rows } = await owner.query<{ pending: string; decided: string; attributed: string; unrelayed: string }>(
    `SELECT count(*) FILTER (WHERE attribution = 'pending') AS pending, count(*) FILTER (WHERE attribution <> 'pending') AS decided,
            count(*) FILTER (WHERE attribution = 'attributed') AS attributed,
            (SELECT count(*) FROM outbox WHERE topic = 'conversions.attribute' AND sent_at IS NULL) AS unrelayed
       FROM conversions WHERE external_id LIKE 'bench-%'`,
  );
  const r = rows[0]!;
  return { pending: Number(r.pending), decided: Number(r.decided), attributed: Number(r.attributed), unrelayed: Number(r.unrelayed) };
}

/** Waits until no bench conversion is pending; returns when (ms since epoch). */
async function waitDecided(owner: Pool, what: string): Promise<number> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  for (;;) {
    const { pending } = await pendingCount(owner);
    if (pending === 0) return Date.now();
    if (Date.now() > deadline) throw new Error(`${what}: ${pending} conversions still pending after ${DRAIN_TIMEOUT_MS} ms`);
    await sleep(100);
  }
}

interface Checks {
  rows: number;
  lost: number;
  extra: number;
  duplicates: number;
  pending: number;
  /** Conversions whose attribution job, decision event or accrual job is not there exactly once. */
  notOnce: { attributeJobs: number; createdEvents: number; decisionEvents: number; accrualJobs: number };
  reasons: Record<string, number>;
}

async function checkApi(owner: Pool, traffic: ConversionTraffic): Promise<Checks> {
  const ids = traffic.acceptedIds;
  await owner.query('CREATE TEMP TABLE answered (id text PRIMARY KEY)');
  for (let i = 0; i < ids.length; i += 10_000) {
    await owner.query('INSERT INTO answered SELECT unnest($1::text[]) ON CONFLICT DO NOTHING', [ids.slice(i, i + 10_000)]);
  }
  const one = async <T>(sql: string) => (await owner.query(sql)).rows[0] as T;
  const counts = await one<{ rows: string; distinct_ext: string; pending: string }>(
    `SELECT count(*) AS rows, count(DISTINCT external_id) AS distinct_ext, count(*) FILTER (WHERE attribution = 'pending') AS pending
       FROM conversions WHERE external_id LIKE 'bench-%'`,
  );
  const lost = await one<{ n: string }>('SELECT count(*) AS n FROM answered a WHERE NOT EXISTS (SELECT 1 FROM conversions c WHERE c.id = a.id)');
  const notOnce = await one<{ attribute_jobs: string; created_events: string; decision_events: string; accrual_jobs: string }>(
    `WITH c AS (SELECT id, attribution FROM conversions WHERE external_id LIKE 'bench-%'),
     jobs AS (SELECT payload->>'conversionId' AS id, topic, count(*) AS n FROM outbox
               WHERE topic IN ('conversions.attribute', 'commissions.accrue') GROUP BY 1, 2),
     events AS (SELECT subject_id AS id, type, count(*) AS n FROM domain_events
                 WHERE subject_type = 'conversion' AND type IN ('conversion.created', 'conversion.attributed', 'conversion.unattributed') GROUP BY 1, 2)
     SELECT
       count(*) FILTER (WHERE coalesce((SELECT n FROM jobs j WHERE j.id = c.id AND j.topic = 'conversions.attribute'), 0) <> 1) AS attribute_jobs,
       count(*) FILTER (WHERE coalesce((SELECT n FROM events e WHERE e.id = c.id AND e.type = 'conversion.created'), 0) <> 1) AS created_events,
       count(*) FILTER (WHERE coalesce((SELECT sum(n) FROM events e WHERE e.id = c.id AND e.type IN ('conversion.attributed', 'conversion.unattributed')), 0) <> 1
                          OR NOT EXISTS (SELECT 1 FROM events e WHERE e.id = c.id AND e.type = 'conversion.' || c.attribution)) AS decision_events,
       count(*) FILTER (WHERE coalesce((SELECT n FROM jobs j WHERE j.id = c.id AND j.topic = 'commissions.accrue'), 0) <> (CASE WHEN c.attribution = 'attributed' THEN 1 ELSE 0 END)) AS accrual_jobs
     FROM c`,
  );
  const { rows: reasonRows } = await owner.query<{ reason: string; n: string }>(
    `SELECT coalesce(attribution_reason, unattributed_reason, attribution) AS reason, count(*) AS n FROM conversions
      WHERE external_id LIKE 'bench-%' GROUP BY 1 ORDER BY 2 DESC`,
  );
  const rows = Number(counts.rows);
  return {
    rows,
    lost: Number(lost.n),
    extra: rows - (ids.length - Number(lost.n)),
    duplicates: rows - Number(counts.distinct_ext),
    pending: Number(counts.pending),
    notOnce: {
      attributeJobs: Number(notOnce.attribute_jobs),
      createdEvents: Number(notOnce.created_events),
      decisionEvents: Number(notOnce.decision_events),
      accrualJobs: Number(notOnce.accrual_jobs),
    },
    reasons: Object.fromEntries(reasonRows.map((r) => [r.reason, Number(r.n)])),
  };
}

/** Jobs the worker has yet to finish: on its queues (waiting, active, delayed for a retry)
 *  and still in the outbox (not relayed yet). */
async function workerBacklog(redis: RedisClient, owner: Pool): Promise<{ queued: number; unrelayed: number }> {
  let queued = 0;
  for (const queue of ['default', 'email', 'conversions']) {
    const key = `${prefix}:${queue}`;
    const [wait, active, paused, delayed, prioritized] = await Promise.all([
      redis.llen(`${key}:wait`),
      redis.llen(`${key}:active`),
      redis.llen(`${key}:paused`),
      redis.zcard(`${key}:delayed`),
      redis.zcard(`${key}:prioritized`),
    ]);
    queued += wait + active + paused + delayed + prioritized;
  }
  const { rows } = await owner.query<{ n: string }>(
    `SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL AND topic IN ('conversions.attribute', 'events.dispatch', 'commissions.accrue')`,
  );
  return { queued, unrelayed: Number(rows[0]!.n) };
}

/** Waits until the worker has nothing left to do; returns when (ms since epoch). */
async function waitIdle(redis: RedisClient, owner: Pool, what: string): Promise<number> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  for (;;) {
    const { queued, unrelayed } = await workerBacklog(redis, owner);
    if (queued === 0 && unrelayed === 0) return Date.now();
    if (Date.now() > deadline) throw new Error(`${what}: ${queued} jobs queued and ${unrelayed} outbox rows unrelayed after ${DRAIN_TIMEOUT_MS} ms`);
    await sleep(200);
  }
}

/** Conversions of the bench that the accrual job has recorded (accrued or skipped). */
async function accrued(owner: Pool): Promise<number> {
  const { rows } = await owner.query<{ n: string }>(
    `SELECT count(*) AS n FROM conversion_accruals a JOIN conversions c ON c.id = a.conversion_id WHERE c.external_id LIKE 'bench-%'`,
  );
  return Number(rows[0]!.n);
}

async function deleteKeys(redis: RedisClient): Promise<number> {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length) deleted += await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  return deleted;
}

// ---------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const children: Child[] = [];
  let db: TestDatabase | null = null;
  let owner: Pool | null = null;
  const redis = new Redis(env.redisUrl, { maxRetriesPerRequest: 3 });
  const cleanup = async () => {
    for (const c of children) c.kill();
    // A killed worker's last commands may still reach Redis: let them land before the keys go.
    await sleep(500);
    await owner?.end().catch(() => {});
    await db?.drop().catch((e) => console.error(`  could not drop ${db?.name}: ${e}`));
    const deleted = await deleteKeys(redis).catch(() => 0);
    redis.disconnect();
    rmSync(tmp, { recursive: true, force: true });
    return deleted;
  };
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    console.error('\ninterrupted: cleaning up');
    void cleanup().finally(() => process.exit(130));
  });

  try {
    console.log(
      `bench:conversions — ${CONNECTIONS} connections, pipelining 1, ${fmt(WARMUP)} requests of warm-up, ${DURATION} s per run, paced run at ${RATE}/s, ` +
        `live run at ${LIVE_RATE}/s; pool size ${POOL_SIZE}; node ${process.version}`,
    );
    console.log(`code: ${revision(ROOT)}`);
    const started = Date.now();
    db = await createTestDatabase('bench_conversions');
    const seed = await seedConversions(db.ownerUrl, db.appUrl, { affiliates: 200, couponAffiliates: 50, clicks: 50_000, returningCustomers: 2_000 });
    owner = new pg.Pool({ connectionString: db.ownerUrl, max: 3 });
    // Dropping the database at the end terminates its idle connections.
    owner.on('error', () => {});
    await owner.query(`CREATE TABLE bench_baseline_conversions (
      id text PRIMARY KEY, program_id text NOT NULL, type text NOT NULL, external_id text NOT NULL, amount bigint, currency char(3),
      click_id text, coupon_code text, customer_external_id text, items jsonb NOT NULL, metadata jsonb NOT NULL,
      occurred_at timestamptz(3) NOT NULL, created_at timestamptz(3) NOT NULL DEFAULT now(), UNIQUE (program_id, external_id))`);
    await owner.query('GRANT SELECT, INSERT ON bench_baseline_conversions TO affnet_app');
    console.log(
      `database ${db.name}: 1 program, 200 affiliates, ${fmt(seed.clickIds.length)} stored clicks, ${seed.couponCodes.length} coupons, ` +
        `${fmt(seed.returningCustomers.length)} bound customers (${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );

    // -- (a) baseline ------------------------------------------------------------------
    let base: { full: LoadResult; paced: LoadResult | null; accepted: number; rows: number } | null = null;
    if (BASELINE) {
      console.log('\n(a) baseline: bare Fastify 5, POST /v1/conversions → one INSERT into a plain table → 202');
      const baselineServer = await startChild('baseline', join(ROOT, 'bench/conversions/baseline-server.ts'), { args: [db.appUrl, String(POOL_SIZE)] });
      children.push(baselineServer);
      const baseline: Target = { server: baselineServer, traffic: new ConversionTraffic(seed, 'baseline') };
      await load('warm-up', baseline, owner, db.name, { seconds: 0, amount: WARMUP });
      const full = await load('baseline, full speed', baseline, owner, db.name, { seconds: DURATION });
      show(full);
      const paced = RATE ? await load(`baseline, paced at ${RATE}/s`, baseline, owner, db.name, { seconds: DURATION, rate: RATE }) : null;
      if (paced) show(paced);
      await baselineServer.stop();
      const { rows } = await owner.query<{ n: string }>('SELECT count(*) AS n FROM bench_baseline_conversions');
      base = { full, paced, accepted: baseline.traffic.counts.accepted, rows: Number(rows[0]!.n) };
    }
    const baselineLost = base ? Math.max(base.accepted - base.rows, 0) : 0;

    // -- (b) the API ---------------------------------------------------------------------
    console.log('\n(b) the API: buildApp, POST /v1/conversions with the secret key, worker not running');
    const apiEnv = {
      DATABASE_URL: db.ownerUrl,
      APP_DATABASE_URL: db.appUrl,
      REDIS_URL: env.redisUrl,
      REDIS_PREFIX: prefix,
      APP_DB_PASSWORD: env.appPassword,
      DATABASE_POOL_SIZE: String(POOL_SIZE),
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_MAX: '100000000',
      CLICK_SPOOL_DIR: join(tmp, 'click-spool'),
      STORAGE_DIR: join(tmp, 'uploads'),
      PUBLIC_URL: 'https://track.example',
    };
    const apiServer = await startChild('api', join(ROOT, 'bench/conversions/api-server.ts'), { args: [JSON.stringify(apiEnv)] });
    children.push(apiServer);
    const api: Target = { server: apiServer, traffic: new ConversionTraffic(seed, 'api') };
    await load('warm-up', api, owner, db.name, { seconds: 0, amount: WARMUP });
    if (PROFILE) await apiServer.call('profile-start');
    const b = await load('api, full speed', api, owner, db.name, { seconds: DURATION });
    if (PROFILE) {
      mkdirSync(join(tmp, 'profile-api'), { recursive: true });
      await apiServer.call('profile-stop', { path: join(tmp, 'profile-api', 'api.cpuprofile') });
    }
    show(b);
    const bPaced = RATE ? await load(`api, paced at ${RATE}/s`, api, owner, db.name, { seconds: DURATION, rate: RATE }) : null;
    if (bPaced) show(bPaced);

    // -- (c) the worker attributes the backlog ------------------------------------------
    console.log('\n(c) the worker attributes the backlog (started after the load)');
    const workerEnv = {
      DATABASE_URL: db.ownerUrl,
      APP_DATABASE_URL: db.appUrl,
      REDIS_URL: env.redisUrl,
      REDIS_PREFIX: prefix,
      APP_DB_PASSWORD: env.appPassword,
      DATABASE_POOL_SIZE: String(POOL_SIZE),
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      ...(WORKER_CONCURRENCY ? { WORKER_CONCURRENCY } : {}),
    };
    const before = await pendingCount(owner);
    const workerStart = Date.now();
    const worker = await startChild('worker', join(ROOT, 'bench/conversions/worker-process.ts'), { args: [JSON.stringify(workerEnv)] });
    children.push(worker);
    const readyAt = Date.now();
    await worker.call('statements', { reset: true });
    const atReady = await pendingCount(owner);
    if (PROFILE) await worker.call('profile-start');
    const pgCpu = sampleBackendCpu(owner, db.name);
    const workerCpu0 = cpuMsOf(worker.pid) ?? 0;
    const redisCpu0 = redisPid ? (cpuMsOf(redisPid) ?? 0) : 0;
    const drainedAt = await waitDecided(owner, 'drain');
    const drainCpu = {
      worker: (cpuMsOf(worker.pid) ?? 0) - workerCpu0,
      postgres: await pgCpu.stop(),
      redis: (redisPid ? (cpuMsOf(redisPid) ?? 0) : 0) - redisCpu0,
    };
    const workerStatements = (await worker.call('statements')) as unknown as Record<string, number>;
    delete (workerStatements as { type?: unknown }).type;
    if (PROFILE) {
      mkdirSync(join(tmp, 'profile-worker'), { recursive: true });
      await worker.call('profile-stop', { path: join(tmp, 'profile-worker', 'worker.cpuprofile') });
    }
    const after = await pendingCount(owner);
    const drainSeconds = (drainedAt - readyAt) / 1000;
    const decidedInDrain = after.decided - atReady.decided;
    const attributedInDrain = after.attributed - atReady.attributed;
    const e2eRate = decidedInDrain / Math.max(drainSeconds, 0.001);
    const perDecided = (ms: number) => fmt((ms * 1000) / Math.max(decidedInDrain, 1));
    const drainInfo =
      `${fmt(decidedInDrain)} decided in ${drainSeconds.toFixed(2)} s = ${fmt(e2eRate)} conversions/s (${fmt(attributedInDrain / Math.max(drainSeconds, 0.001))} attributed/s); ` +
      `per decided conversion (with the event dispatches and accruals run meanwhile): CPU of the worker ${perDecided(drainCpu.worker)} µs, ` +
      `postgres ${perDecided(drainCpu.postgres)} µs, redis ${perDecided(drainCpu.redis)} µs; ` +
      `${(Object.values(workerStatements).reduce((x, y) => x + y, 0) / Math.max(decidedInDrain, 1)).toFixed(1)} statements from the worker ` +
      `(${statementMix(workerStatements, decidedInDrain)})`;
    console.log(
      `  ${fmt(before.pending)} pending; worker ready in ${((readyAt - workerStart) / 1000).toFixed(1)} s (${fmt(before.pending - atReady.pending)} decided meanwhile)`,
    );
    console.log(`  ${drainInfo}`);
    // What the decisions set off (event dispatches, accruals) runs on: wait for it, so
    // that the live run starts with an idle worker.
    const rest = await workerBacklog(redis, owner);
    const idleAt = await waitIdle(redis, owner, 'the jobs after the drain');
    const restInfo =
      `at the last decision ${fmt(rest.queued)} jobs were queued and ${fmt(rest.unrelayed)} outbox rows unrelayed (event dispatches, accruals); ` +
      `worker idle ${((idleAt - drainedAt) / 1000).toFixed(1)} s later: all done ${((idleAt - readyAt) / 1000).toFixed(1)} s after the worker started ` +
      `(${fmt(decidedInDrain / Math.max((idleAt - readyAt) / 1000, 0.001))} conversions/s end to end, accrued ones included; ${fmt(await accrued(owner))} conversions accrued or skipped by the accrual job)`;
    console.log(`  ${restInfo}`);

    // -- (c′) the API with the worker running --------------------------------------------
    let live: LoadResult | null = null;
    let liveInfo = '';
    if (LIVE_RATE) {
      console.log(`\n(c′) the API paced at ${LIVE_RATE}/s with the worker running`);
      const liveStart = new Date();
      const watch = { max: 0, unrelayed: 0, stop: false };
      const watcher = (async () => {
        while (!watch.stop) {
          const now = await pendingCount(owner!);
          watch.max = Math.max(watch.max, now.pending);
          watch.unrelayed = Math.max(watch.unrelayed, now.unrelayed);
          await sleep(250);
        }
      })();
      live = await load('api + worker', api, owner, db.name, { seconds: DURATION, rate: LIVE_RATE });
      const loadEnd = Date.now();
      watch.stop = true;
      await watcher;
      const pendingAtEnd = (await pendingCount(owner)).pending;
      const doneAt = await waitDecided(owner, 'drain after the live load');
      await waitIdle(redis, owner, 'the jobs after the live load');
      const { rows } = await owner.query<{ p50: number; p99: number; max: number }>(
        `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99, max(ms) AS max
           FROM (SELECT extract(epoch FROM attributed_at - created_at) * 1000 AS ms FROM conversions
                  WHERE external_id LIKE 'bench-api-%' AND created_at >= $1) t`,
        [liveStart],
      );
      const lag = { p50: Number(rows[0]?.p50), p99: Number(rows[0]?.p99), max: Number(rows[0]?.max) };
      show(live);
      liveInfo =
        `pending max ${fmt(watch.max)} (attribution jobs not yet relayed from the outbox: max ${fmt(watch.unrelayed)}), ${fmt(pendingAtEnd)} at the end, all decided ${((doneAt - loadEnd) / 1000).toFixed(2)} s after the load; ` +
        `202 → decision p50 ${fmt(lag.p50)} ms, p99 ${fmt(lag.p99)} ms, max ${fmt(lag.max)} ms`;
      console.log(`  ${liveInfo}`);
    }

    // -- checks --------------------------------------------------------------------------
    await apiServer.stop();
    await worker.stop();
    const c = await checkApi(owner, api.traffic);
    const t = api.traffic;
    const runs = 2 + (RATE ? 1 : 0) + (LIVE_RATE ? 1 : 0);
    const inFlight = CONNECTIONS * runs;
    const decidedOnce = c.pending === 0 && Object.values(c.notOnce).every((n) => n === 0);
    const correct = c.lost === 0 && baselineLost === 0 && c.duplicates === 0 && decidedOnce && t.counts.wrong === 0 && t.repeatMismatches.length === 0;

    let profile = '';
    if (PROFILE) {
      profile = `=== CPU profile of the API during (b) at full speed ===\n${summariseProfiles(join(tmp, 'profile-api'))}`;
      profile += `\n\n=== CPU profile of the worker during (c) ===\n${summariseProfiles(join(tmp, 'profile-worker'))}`;
    }

    // -- summary -------------------------------------------------------------------------
    const p99Run = bPaced ?? b;
    const goals = [
      { name: `accepted/s ≥ ${fmt(GOALS.acceptedPerSecond)} (full speed)`, ok: b.rps >= GOALS.acceptedPerSecond, value: `${fmt(b.rps)}/s` },
      {
        name: `p99 ≤ ${GOALS.p99Ms} ms (${bPaced ? `paced at ${fmt(RATE)}/s` : 'full speed'})`,
        ok: p99Run.p99 <= GOALS.p99Ms && (!bPaced || bPaced.rps >= RATE * 0.97),
        value: `${p99Run.p99} ms at ${fmt(p99Run.rps)}/s (full speed: ${b.p99} ms)`,
      },
      { name: `end-to-end ≥ ${fmt(GOALS.endToEndPerSecond)} decided/s (drain)`, ok: e2eRate >= GOALS.endToEndPerSecond, value: `${fmt(e2eRate)}/s` },
      { name: 'lost = 0', ok: c.lost === 0 && baselineLost === 0, value: `api ${c.lost}, baseline ${baselineLost}` },
      { name: 'every conversion decided exactly once', ok: decidedOnce, value: JSON.stringify({ pending: c.pending, ...c.notOnce }) },
    ];
    console.log('\n=== bench:conversions summary ===');
    console.log(`connections ${CONNECTIONS}, duration ${DURATION} s per run (after ${fmt(WARMUP)} requests of warm-up), pipelining 1, pool size ${POOL_SIZE}`);
    const line = (name: string, r: LoadResult) =>
      console.log(
        `${name.padEnd(22)} ${fmt(r.rps).padStart(6)}/s  p50 ${r.p50} ms  p99 ${r.p99} ms  CPU/req ${fmt(r.serverCpuUsPerReq)} µs (+ postgres ${fmt(r.postgresCpuUsPerReq)})  ` +
          `${r.transactionsPerReq.toFixed(2)} tx, ${r.statementsPerReq.toFixed(1)} statements/req`,
      );
    if (base) line('(a) baseline', base.full);
    line('(b) api', b);
    if (base)
      console.log(`ratio b/a ${(b.rps / base.full.rps).toFixed(2)} (CPU per request ${(b.serverCpuUsPerReq / base.full.serverCpuUsPerReq).toFixed(1)}×)`);
    if (base?.paced) line(`(a) baseline @${RATE}/s`, base.paced);
    if (bPaced) line(`(b) api @${RATE}/s`, bPaced);
    console.log(`(c) drain: ${drainInfo}`);
    console.log(`(c) then: ${restInfo}`);
    if (live) {
      line(`(c′) api+worker @${LIVE_RATE}/s`, live);
      console.log(`(c′) ${liveInfo}`);
    }
    console.log(
      `sent: ${Object.entries(t.counts.sent)
        .map(([k, n]) => `${k} ${fmt(n)}`)
        .join(', ')}; outcomes: ${Object.entries(c.reasons)
        .map(([k, n]) => `${k} ${fmt(n)}`)
        .join(', ')}`,
    );
    console.log(
      `api: 202 answered ${fmt(t.counts.accepted)}, repeats answered 200 (or replayed) ${fmt(t.counts.repeated)}, wrong answers ${t.counts.wrong}, ` +
        `conversion rows ${fmt(c.rows)}${base ? `; baseline: 202 answered ${fmt(base.accepted)}, rows ${fmt(base.rows)}` : ''}`,
    );
    for (const s of t.wrongSamples) console.log(`  wrong answer: ${s}`);
    for (const s of t.repeatMismatches) console.log(`  repeat answered another conversion: ${s}`);
    console.log(`errors logged: api ${apiServer.logged.errors}, worker ${worker.logged.errors} (warnings, e.g. retried jobs: ${worker.logged.warnings})`);
    console.log(
      `lost=${c.lost} duplicates=${c.duplicates} (and ${c.extra} stored conversions answered after autocannon stopped counting; at most ${inFlight} expected${c.extra > inFlight ? ': MORE than expected' : ''})`,
    );
    for (const g of goals) console.log(`  ${check(g.ok)}  ${g.name}: ${g.value}`);
    if (profile) console.log(`\n${profile}`);

    const deleted = await cleanup();
    console.log(`\ncleaned up: dropped ${db.name}, deleted ${deleted} Redis keys under ${prefix}`);
    return correct ? 0 : 1;
  } catch (error) {
    if (!interrupted) {
      console.error(error);
      await cleanup();
    }
    return 2;
  }
}

process.exit(await main());
