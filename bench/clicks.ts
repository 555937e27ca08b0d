/**
 * pnpm bench:clicks — the tracking edge and the click pipeline against real Postgres and
 * Redis, in one run (results and how to read them: docs/benchmarks.md):
 *
 *  1. a fresh migrated database with 5,000 links (2 networks, 8 programs, 500 partners);
 *  2. (a) baseline: a bare Fastify 5 app answering `GET /r/:code` with a 302, and
 *     (b) the API (buildApp, every plugin) answering `GET /c/{code}` over all links
 *     (first every link once with a cold cache, then a warm-up, then the measured run),
 *     both as child processes loaded by autocannon from this process with the same
 *     settings: requests/s, latency, CPU per request and peak RSS of each;
 *  3. the worker started afterwards drains the stream (drain time, stored clicks/s), then
 *     (b′) the same load again with the worker running, as production runs;
 *  4. every redirect answered is a stored click: lost=0 (exit 1 otherwise), duplicates=0,
 *     and PASS/FAIL for each goal (informative only: the machine is noisy);
 *  5. the database, the Redis keys and the children are cleaned up.
 *
 * Options:
 *   --connections=50 --duration=10 --warmup=3   autocannon settings (seconds)
 *   --no-live            skip (b′)
 *   --workers=1          worker processes (each one more consumer of the click stream)
 *   --profile            CPU profiles of the API during (b) and of the worker during the
 *                        drain, summarised at the end (the profiler slows both down)
 *   --diagnose           instead of 3-4: the edge rebuilt layer by layer
 *                        (bench/clicks/edge-variants.ts), one run each
 *   --bundle             children run as esbuild bundles on plain node (like start:prod)
 *                        instead of through tsx (like the Docker image)
 *   --trust-proxy=127.0.0.1               the API's TRUST_PROXY
 *   --api-node-flags='--max-old-space-size=128'   node flags for the API child only
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { build } from 'esbuild';
import { loadTestEnv } from '../packages/config/src/test-env';
import { createTestDatabase, type TestDatabase } from '../packages/db/src/testing/test-database';
import { VARIANTS } from './clicks/edge-variants';
import { seed } from './clicks/seed';
import { type Child, startChild } from './lib/child';
import { summariseProfiles } from './lib/cpu-profile';
import { pg, Redis, type RedisClient, ROOT } from './lib/deps';
import { cpuMsOf, machineCpu, memoryOf, sampleMemory } from './lib/proc';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string, fallback: number) => {
  const given = args.find((a) => a.startsWith(`--${name}=`));
  const value = given ? Number(given.slice(name.length + 3)) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
};
const text = (name: string, fallback: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const CONNECTIONS = option('connections', 50);
const DURATION = option('duration', 10);
const WARMUP = option('warmup', 3);
const LIVE = !flag('no-live');
const PROFILE = flag('profile');
const DIAGNOSE = flag('diagnose');
const BUNDLE = flag('bundle');
/** Worker processes (each one consumer of the click-store group). */
const WORKERS = option('workers', 1);
const TRUST_PROXY = text('trust-proxy', '127.0.0.1');
/** Extra node flags for the API child only (e.g. --max-old-space-size=128), space-separated. */
const API_NODE_FLAGS = text('api-node-flags', '').split(' ').filter(Boolean);
const DRAIN_TIMEOUT_MS = 180_000;

const MB = 1024 * 1024;
const env = loadTestEnv();
const prefix = `bench:clicks:${randomBytes(4).toString('hex')}`;
const stream = `${prefix}:clicks`;
const tmp = mkdtempSync(join(tmpdir(), 'affnet-bench-clicks-'));
const spoolDir = join(tmp, 'click-spool');
const profileDir = join(tmp, 'cpu-profile-api');
const workerProfileDir = join(tmp, 'cpu-profile-worker');

// ---------------------------------------------------------------------------------------
// Traffic: 20,000 visitors (an IP, a browser, a cookie for half of them) clicking random
// links; one click in ten carries a sub1, one in thirty a deep link (`url=`).

const BROWSERS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0',
  'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
];
const REFERRERS = ['https://www.google.com/', 'https://blog.example/best-running-shoes', 'https://t.co/abc', ''];

interface Visitor {
  ip: string;
  userAgent: string;
  cookie: string | null;
  referrer: string;
}
const rnd = (n: number) => Math.floor(Math.random() * n);
const visitors: Visitor[] = Array.from({ length: 20_000 }, () => ({
  ip: `${1 + rnd(223)}.${rnd(256)}.${rnd(256)}.${1 + rnd(254)}`,
  userAgent: BROWSERS[rnd(BROWSERS.length)]!,
  cookie: Math.random() < 0.5 ? `affv=${randomBytes(16).toString('base64url')}` : null,
  referrer: REFERRERS[rnd(REFERRERS.length)]!,
}));

/** When the last response of a `sequential` run came (autocannon ends a run given an
 *  `amount` only on its next one-second tick). */
let lastResponseAt = 0;

/** Random links, or (`sequential`) every link once in turn. */
function trafficFor(base: '/r/' | '/c/', links: { code: string; shop: string }[], sequential = false): autocannon.Request[] {
  let next = 0;
  return [
    {
      method: 'GET',
      ...(sequential
        ? {
            onResponse: () => {
              lastResponseAt = performance.now();
            },
          }
        : {}),
      setupRequest: (req) => {
        const link = links[sequential ? next++ % links.length : rnd(links.length)]!;
        const v = visitors[rnd(visitors.length)]!;
        const roll = Math.random();
        const query =
          roll < 0.1 ? `?sub1=camp${rnd(50)}` : roll < 0.133 ? `?url=${encodeURIComponent(`https://www.${link.shop}.example/sale/${rnd(100)}`)}&sub2=deep` : '';
        const headers: Record<string, string> = {
          'user-agent': v.userAgent,
          accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
          'accept-language': 'en-GB,en;q=0.9',
          'x-forwarded-for': v.ip,
        };
        if (v.cookie) headers.cookie = v.cookie;
        if (v.referrer) headers.referer = v.referrer;
        req.path = `${base}${link.code}${query}`;
        req.headers = headers;
        return req;
      },
    },
  ];
}

// ---------------------------------------------------------------------------------------
// Load runs

interface LoadResult {
  label: string;
  rps: number;
  total: number;
  redirects: number;
  /** Responses outside 2xx/3xx, plus socket errors and timeouts. */
  bad: number;
  errors: number;
  timeouts: number;
  p50: number;
  p99: number;
  serverCpuUsPerReq: number;
  redisCpuUsPerReq: number;
  machineBusy: number;
  maxRss: number;
  hwm: number;
}

const redisPid = findPid('redis-server');

/** `seconds` of load, or (`amount`) that many requests. */
async function load(label: string, server: Child, requests: autocannon.Request[], seconds: number, amount?: number): Promise<LoadResult> {
  const port = Number(server.ready.port);
  const cpu0 = cpuMsOf(server.pid) ?? 0;
  const redis0 = redisPid ? (cpuMsOf(redisPid) ?? 0) : 0;
  const machine0 = machineCpu();
  const memory = sampleMemory(server.pid);
  const t0 = performance.now();
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    pipelining: 1,
    ...(amount ? { amount } : { duration: seconds }),
    requests,
  });
  // autocannon's own `duration` counts whole seconds, and a run of `amount` requests ends
  // on a tick: short runs need the wall clock up to their last response.
  const elapsed = ((amount ? lastResponseAt : performance.now()) - t0) / 1000;
  const { maxRss, hwm } = memory.stop();
  const machine1 = machineCpu();
  const codes = result.statusCodeStats ?? {};
  let redirects = 0;
  let bad = result.errors + result.timeouts;
  for (const [code, stat] of Object.entries(codes)) {
    const n = stat?.count ?? 0;
    if (code === '302') redirects += n;
    if (Number(code) < 200 || Number(code) >= 400) bad += n;
  }
  const total = result.requests.total;
  return {
    label,
    rps: result.requests.total / Math.max(elapsed, 0.001),
    total,
    redirects,
    bad,
    errors: result.errors,
    timeouts: result.timeouts,
    p50: result.latency.p50,
    p99: result.latency.p99,
    serverCpuUsPerReq: (((cpuMsOf(server.pid) ?? 0) - cpu0) * 1000) / Math.max(total, 1),
    redisCpuUsPerReq: redisPid ? (((cpuMsOf(redisPid) ?? 0) - redis0) * 1000) / Math.max(total, 1) : Number.NaN,
    machineBusy: (machine1.busy - machine0.busy) / Math.max(machine1.total - machine0.total, 1),
    maxRss,
    hwm,
  };
}

function show(r: LoadResult): void {
  console.log(
    `  ${r.label}: ${fmt(r.rps)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.total} requests (${r.redirects} × 302, ${r.bad} bad: ${r.errors} errors, ${r.timeouts} timeouts)`,
  );
  console.log(
    `    server CPU ${fmt(r.serverCpuUsPerReq)} µs/request, redis-server CPU ${fmt(r.redisCpuUsPerReq)} µs/request, machine ${(100 * r.machineBusy).toFixed(0)}% busy; ` +
      `server RSS max ${mb(r.maxRss)}, peak (VmHWM) ${mb(r.hwm)}`,
  );
}

// ---------------------------------------------------------------------------------------
// Stream, spool and database inspection

async function streamLength(redis: RedisClient): Promise<number> {
  return Number(await redis.xlen(stream));
}

async function entriesAdded(redis: RedisClient): Promise<number> {
  const info = (await redis.call('XINFO', 'STREAM', stream).catch(() => null)) as unknown[] | null;
  if (!info) return 0;
  const at = info.indexOf('entries-added');
  return at === -1 ? Number.NaN : Number(info[at + 1]);
}

function spoolBacklog(): number {
  let n = 0;
  for (const name of readdirSync(spoolDir)) {
    if (name.startsWith('clicks-')) n += readFileSync(join(spoolDir, name), 'utf8').split('\n').filter(Boolean).length;
  }
  return n;
}

async function storedClicks(owner: InstanceType<typeof pg.Pool>): Promise<{ rows: number; distinct: number }> {
  const { rows } = await owner.query<{ rows: string; ids: string }>('SELECT count(*) AS rows, count(DISTINCT id) AS ids FROM clicks');
  return { rows: Number(rows[0]?.rows ?? 0), distinct: Number(rows[0]?.ids ?? 0) };
}

/** Waits until the stream and the spool are empty; returns when (ms since epoch). */
async function waitDrained(redis: RedisClient, what: string, timeoutMs = DRAIN_TIMEOUT_MS): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [len, spooled] = [await streamLength(redis), spoolBacklog()];
    if (len === 0 && spooled === 0) return Date.now();
    if (Date.now() > deadline) throw new Error(`${what}: ${len} clicks still on the stream and ${spooled} in the spool after ${timeoutMs} ms`);
    await sleep(50);
  }
}

// ---------------------------------------------------------------------------------------

/**
 * CPU time (ms) the Postgres backends connected to `database` use from now until stop()
 * (other databases on the machine belong to other people's tests). Sampled every 200 ms,
 * as pool connections come and go: a backend first seen later counts from zero, one that
 * exits counts up to its last sample.
 */
function sampleBackendCpu(owner: InstanceType<typeof pg.Pool>, database: string): { stop(): Promise<number> } {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  let initial = true;
  const take = async () => {
    const { rows } = await owner.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
    for (const { pid } of rows) {
      const ms = cpuMsOf(pid);
      if (ms === null) continue;
      if (!first.has(pid)) first.set(pid, initial ? ms : 0);
      last.set(pid, ms);
    }
    initial = false;
  };
  let running = take();
  const timer = setInterval(() => {
    running = running.then(take).catch(() => {});
  }, 200);
  return {
    async stop() {
      clearInterval(timer);
      await running;
      await take().catch(() => {});
      let total = 0;
      for (const [pid, ms] of last) total += ms - (first.get(pid) ?? 0);
      return total;
    },
  };
}

function findPid(comm: string): number | null {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) return Number(entry);
    } catch {}
  }
  return null;
}

/** A child's entry: the TypeScript file, or with --bundle its esbuild bundle (made once,
 *  with the options of scripts/build-app.mjs). */
let bundled: Promise<void> | null = null;
async function entry(name: 'baseline-server' | 'api-server' | 'worker-process'): Promise<{ file: string; plain: boolean }> {
  const source = join(ROOT, 'bench/clicks', `${name}.ts`);
  if (!BUNDLE) return { file: source, plain: false };
  bundled ??= build({
    entryPoints: ['baseline-server', 'api-server', 'worker-process'].map((n) => join(ROOT, 'bench/clicks', `${n}.ts`)),
    outdir: join(tmp, 'bundle'),
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    // External as in build-app.mjs (it serves files next to itself), by absolute path: the
    // bundle lives in a temporary directory, not in apps/api.
    plugins: [
      {
        name: 'swagger-ui-external',
        setup(b) {
          b.onResolve({ filter: /^@fastify\/swagger-ui$/ }, () => ({
            path: createRequire(join(ROOT, 'apps/api/package.json')).resolve('@fastify/swagger-ui'),
            external: true,
          }));
        },
      },
    ],
  }).then(() => undefined);
  await bundled;
  return { file: join(tmp, 'bundle', `${name}.mjs`), plain: true };
}

/** The commit measured, and whether the working tree differs from it (others may be editing). */
function revision(): string {
  try {
    const head = execFileSync('git', ['log', '-1', '--format=%h %s'], { cwd: ROOT, encoding: 'utf8' }).trim().slice(0, 100);
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'apps', 'packages'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return `${head}${dirty ? ` (+ uncommitted changes in apps/ or packages/: ${dirty.split('\n').length} files)` : ''}`;
  } catch {
    return 'unknown (no git)';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const mb = (bytes: number) => `${(bytes / MB).toFixed(0)} MB`;
const check = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

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

async function main(): Promise<number> {
  const children: Child[] = [];
  let db: TestDatabase | null = null;
  let owner: InstanceType<typeof pg.Pool> | null = null;
  const redis = new Redis(env.redisUrl, { maxRetriesPerRequest: 3 });
  const cleanup = async () => {
    for (const c of children) c.kill();
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
      `bench:clicks — ${CONNECTIONS} connections, pipelining 1, ${WARMUP} s warm-up + ${DURATION} s per run; ${BUNDLE ? 'esbuild bundles on plain node' : 'tsx'}, ${WORKERS} worker process${WORKERS > 1 ? 'es' : ''}, TRUST_PROXY=${TRUST_PROXY}${API_NODE_FLAGS.length ? `, API node flags ${API_NODE_FLAGS.join(' ')}` : ''}; node ${process.version}`,
    );
    console.log(`code: ${revision()}`);
    const started = Date.now();
    db = await createTestDatabase('bench_clicks');
    const seeded = await seed(db.ownerUrl, {
      tenants: 2,
      merchantsPerTenant: 2,
      programsPerMerchant: 2,
      affiliatesPerTenant: 250,
      enrollmentsPerAffiliate: 2,
      linksPerEnrollment: 5,
    });
    owner = new pg.Pool({ connectionString: db.ownerUrl, max: 2 });
    const { rows: shopRows } = await owner.query<{ code: string; shop: string }>(
      `SELECT l.code, split_part(split_part(p.landing_url, '://', 2), '.', 1) AS shop FROM links l JOIN programs p ON p.id = l.program_id`,
    );
    console.log(
      `database ${db.name}: ${seeded.codes.length} links, ${seeded.programs} programs, ${seeded.affiliates} partners, ${seeded.enrollments} approved enrollments, ` +
        `${seeded.tenants} networks (${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );

    // -- (a) baseline ------------------------------------------------------------------
    console.log('\n(a) baseline: bare Fastify 5, GET /r/:code → 302');
    const baselineEntry = await entry('baseline-server');
    const baseline = await startChild('baseline', baselineEntry.file, { plain: baselineEntry.plain });
    children.push(baseline);
    const baseTraffic = trafficFor('/r/', shopRows);
    const baselineIdle = memoryOf(baseline.pid);
    await load('prime', baseline, trafficFor('/r/', shopRows, true), 0, shopRows.length);
    await load('warm-up', baseline, baseTraffic, WARMUP);
    const a = await load('baseline', baseline, baseTraffic, DURATION);
    show(a);
    await baseline.stop();

    mkdirSync(spoolDir, { recursive: true });
    const apiEnv = {
      DATABASE_URL: db.ownerUrl,
      APP_DATABASE_URL: db.appUrl,
      REDIS_URL: env.redisUrl,
      REDIS_PREFIX: prefix,
      APP_DB_PASSWORD: env.appPassword,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      TRUST_PROXY: TRUST_PROXY,
      RATE_LIMIT_MAX: '100000000',
      CLICK_SPOOL_DIR: spoolDir,
      STORAGE_DIR: join(tmp, 'uploads'),
      PUBLIC_URL: 'https://track.example',
    };
    const apiTraffic = trafficFor('/c/', shopRows);
    const apiEntry = await entry('api-server');

    if (DIAGNOSE) {
      // -- the edge layer by layer ---------------------------------------------------------
      console.log('\n(diagnose) the edge rebuilt layer by layer (bench/clicks/edge-variants.ts); each after a cold pass and a warm-up');
      const rows: string[] = [];
      for (const variant of VARIANTS) {
        const child = await startChild(variant, apiEntry.file, { args: [JSON.stringify(apiEnv), variant], execArgv: API_NODE_FLAGS, plain: apiEntry.plain });
        children.push(child);
        const idle = memoryOf(child.pid);
        // Every link once: a miss in memory, a hit in Redis (an earlier variant put it there).
        const cold = await load('cold', child, trafficFor('/c/', shopRows, true), 0, shopRows.length);
        await load('warm-up', child, apiTraffic, WARMUP);
        const r = await load(variant, child, apiTraffic, DURATION);
        const heap = await child.call('memory', { gc: true });
        show(r);
        rows.push(
          `| ${variant} | ${fmt(cold.rps)} | ${fmt(r.rps)} | ${(r.rps / a.rps).toFixed(2)} | ${r.p50} / ${r.p99} | ${fmt(r.serverCpuUsPerReq)} | ${mb(idle?.rss ?? 0)} | ${mb(r.hwm)} | ${mb(Number(heap.heapUsed))} |`,
        );
        await child.stop();
        // No consumer runs here: drop what the variant wrote.
        await redis.del(stream);
        for (const name of readdirSync(spoolDir)) rmSync(join(spoolDir, name), { force: true });
      }
      console.log('\n=== bench:clicks --diagnose summary ===');
      console.log(
        `baseline: ${fmt(a.rps)} req/s, p50/p99 ${a.p50} / ${a.p99} ms, ${fmt(a.serverCpuUsPerReq)} µs CPU/request, RSS idle ${mb(baselineIdle?.rss ?? 0)}, peak ${mb(a.hwm)}`,
      );
      console.log(
        '| variant | first pass req/s (links from Redis) | req/s | ratio to baseline | p50 / p99 ms | server CPU µs/req | RSS idle | RSS peak | live heap after |',
      );
      console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
      for (const row of rows) console.log(row);
      const deleted = await cleanup();
      console.log(`\ncleaned up: dropped ${db.name}, deleted ${deleted} Redis keys under ${prefix}`);
      return 0;
    }

    // -- (b) the API ---------------------------------------------------------------------
    console.log('\n(b) the API: buildApp, GET /c/{code} over all links, worker not running');
    const api = await startChild('api', apiEntry.file, { args: [JSON.stringify(apiEnv)], execArgv: API_NODE_FLAGS, plain: apiEntry.plain });
    children.push(api);
    const apiIdle = memoryOf(api.pid);
    // Every link once: each is a miss in memory and in Redis, answered from Postgres.
    const cold = await load('cold cache (every link once)', api, trafficFor('/c/', shopRows, true), 0, shopRows.length);
    show(cold);
    const apiWarmup = await load('warm-up', api, apiTraffic, WARMUP);
    if (PROFILE) await api.call('profile-start');
    const b = await load('api', api, apiTraffic, DURATION);
    if (PROFILE) {
      mkdirSync(profileDir, { recursive: true });
      await api.call('profile-stop', { path: join(profileDir, 'api-run-b.cpuprofile') });
    }
    const bHeap = await api.call('memory');
    const bLive = await api.call('memory', { gc: true });
    show(b);
    console.log(
      `    after the run: heap used ${mb(Number(bHeap.heapUsed))} of ${mb(Number(bHeap.heapTotal))} (live after a full GC: ${mb(Number(bLive.heapUsed))}), ` +
        `external ${mb(Number(bHeap.external))}, RSS after the GC ${mb(Number(bLive.rss))}`,
    );
    const apiRuns = [cold, apiWarmup, b];

    // -- the worker drains the stream ---------------------------------------------------
    console.log(`\nthe worker${WORKERS > 1 ? `s (${WORKERS} processes)` : ''} drain${WORKERS > 1 ? '' : 's'} the stream`);
    const workerEnv = {
      DATABASE_URL: db.ownerUrl,
      APP_DATABASE_URL: db.appUrl,
      REDIS_URL: env.redisUrl,
      REDIS_PREFIX: prefix,
      APP_DB_PASSWORD: env.appPassword,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
    };
    // Spooled clicks (if Redis was too slow) reach the stream within the replay period.
    await sleep(2_500);
    const backlogBefore = await streamLength(redis);
    const workerEntry = await entry('worker-process');
    const workerStart = Date.now();
    const workers = await Promise.all(
      Array.from({ length: WORKERS }, (_, i) =>
        startChild(`worker${WORKERS > 1 ? i + 1 : ''}`, workerEntry.file, { args: [JSON.stringify(workerEnv)], plain: workerEntry.plain }),
      ),
    );
    children.push(...workers);
    const worker = workers[0]!;
    const workersCpu = () => workers.reduce((sum, w) => sum + (cpuMsOf(w.pid) ?? 0), 0);
    const readyAt = Date.now();
    const backlogAtReady = await streamLength(redis);
    if (PROFILE) await worker.call('profile-start');
    const pgCpu = sampleBackendCpu(owner, db.name);
    const cpu0 = { worker: workersCpu(), redis: redisPid ? (cpuMsOf(redisPid) ?? 0) : 0 };
    const drainedAt = await waitDrained(redis, 'drain');
    const drainCpu = {
      worker: workersCpu() - cpu0.worker,
      postgres: await pgCpu.stop(),
      redis: (redisPid ? (cpuMsOf(redisPid) ?? 0) : 0) - cpu0.redis,
    };
    if (PROFILE) {
      mkdirSync(workerProfileDir, { recursive: true });
      await worker.call('profile-stop', { path: join(workerProfileDir, 'worker-drain.cpuprofile') });
    }
    const drainSeconds = (drainedAt - readyAt) / 1000;
    const afterDrain = await storedClicks(owner);
    const consumerRate = backlogAtReady / Math.max(drainSeconds, 0.001);
    const perClick = (ms: number) => fmt((ms * 1000) / Math.max(backlogAtReady, 1));
    const cores = (ms: number) => (ms / 1000 / Math.max(drainSeconds, 0.001)).toFixed(2);
    const drainCpuInfo =
      `CPU per stored click: worker ${perClick(drainCpu.worker)} µs (${cores(drainCpu.worker)} cores), ` +
      `postgres ${perClick(drainCpu.postgres)} µs (${cores(drainCpu.postgres)} cores, the backends of the bench database), ` +
      `redis ${perClick(drainCpu.redis)} µs (${cores(drainCpu.redis)} cores)`;
    console.log(
      `  ${fmt(backlogBefore)} clicks waiting; worker ready in ${((readyAt - workerStart) / 1000).toFixed(1)} s (${fmt(backlogBefore - backlogAtReady)} already taken), ` +
        `then drained ${fmt(backlogAtReady)} in ${drainSeconds.toFixed(2)} s: ${fmt(consumerRate)} clicks/s stored; ${fmt(afterDrain.rows)} rows`,
    );
    console.log(`  ${drainCpuInfo}`);

    // -- the API again, with the worker running (as production runs) --------------------
    let live: LoadResult | null = null;
    let liveInfo = '';
    let liveConsumerRate = Number.NaN;
    if (LIVE) {
      console.log('\n(b′) the API again with the worker running (same load, no warm-up)');
      const stored0 = (await storedClicks(owner)).rows;
      const watch = { max: 0, stop: false };
      const watcher = (async () => {
        while (!watch.stop) {
          watch.max = Math.max(watch.max, await streamLength(redis));
          await sleep(200);
        }
      })();
      const workerCpu0 = workersCpu();
      const loadStart = Date.now();
      live = await load('api + worker', api, apiTraffic, DURATION);
      const loadEnd = Date.now();
      watch.stop = true;
      await watcher;
      const backlogAtEnd = await streamLength(redis);
      const storedAtEnd = (await storedClicks(owner)).rows - stored0;
      const tailAt = await waitDrained(redis, 'drain after the live load');
      const workerCpuUs = (workersCpu() - workerCpu0) * 1000;
      liveConsumerRate = storedAtEnd / ((loadEnd - loadStart) / 1000);
      show(live);
      liveInfo =
        `stored ${fmt(liveConsumerRate)} clicks/s during the load (redirects ${fmt(live.redirects / ((loadEnd - loadStart) / 1000))}/s); ` +
        `stream backlog max ${fmt(watch.max)}, ${fmt(backlogAtEnd)} at the end, drained ${((tailAt - loadEnd) / 1000).toFixed(2)} s after the load; ` +
        `worker CPU ${fmt(workerCpuUs / Math.max(live.redirects, 1))} µs/click`;
      console.log(`  ${liveInfo}`);
      apiRuns.push(live);
    }

    // -- nothing lost ------------------------------------------------------------------
    const apiStopped = await api.stop();
    await waitDrained(redis, 'final drain');
    const added = await entriesAdded(redis);
    await Promise.all(workers.map((w) => w.stop()));
    const final = await storedClicks(owner);
    const redirects = apiRuns.reduce((s, r) => s + r.redirects, 0);
    const bad = apiRuns.reduce((s, r) => s + r.bad, 0);
    const lost = Math.max(redirects - final.distinct, 0);
    const extra = Math.max(final.distinct - redirects, 0);
    const duplicates = final.rows - final.distinct;

    let profile = '';
    if (PROFILE) {
      profile = `=== CPU profile of the API child during run (b) ===\n${summariseProfiles(profileDir)}`;
      profile += `\n\n=== CPU profile of the worker child during the drain ===\n${summariseProfiles(workerProfileDir)}`;
    }

    // -- summary ---------------------------------------------------------------------------
    const ratio = b.rps / a.rps;
    const goals = [
      { name: 'throughput ratio b/a ≥ 0.80', ok: ratio >= 0.8, value: ratio.toFixed(2) },
      { name: 'p99(b) ≤ 2 × p99(a)', ok: b.p99 <= 2 * a.p99, value: `${b.p99} ms vs ${a.p99} ms` },
      { name: 'lost = 0', ok: lost === 0, value: String(lost) },
      { name: 'API RSS ≤ 250 MB', ok: b.hwm <= 250 * MB && (live?.hwm ?? 0) <= 250 * MB, value: mb(Math.max(b.hwm, live?.hwm ?? 0)) },
      { name: 'consumer rate ≥ redirect rate', ok: consumerRate >= b.rps, value: `${fmt(consumerRate)} vs ${fmt(b.rps)} clicks/s` },
    ];
    console.log('\n=== bench:clicks summary ===');
    console.log(`links ${seeded.codes.length}, connections ${CONNECTIONS}, duration ${DURATION} s (+${WARMUP} s warm-up), pipelining 1`);
    console.log(
      `(a) baseline   ${fmt(a.rps).padStart(7)} req/s  p50 ${a.p50} ms  p99 ${a.p99} ms  RSS peak ${mb(a.hwm)}  CPU ${fmt(a.serverCpuUsPerReq)} µs/req`,
    );
    console.log(
      `(b) api        ${fmt(b.rps).padStart(7)} req/s  p50 ${b.p50} ms  p99 ${b.p99} ms  RSS peak ${mb(b.hwm)}  CPU ${fmt(b.serverCpuUsPerReq)} µs/req (+ redis ${fmt(b.redisCpuUsPerReq)})`,
    );
    console.log(
      `idle RSS after start: baseline ${mb(baselineIdle?.rss ?? 0)}, api ${mb(apiIdle?.rss ?? 0)}; cold cache (every link once): ${fmt(cold.rps)} req/s, p99 ${cold.p99} ms`,
    );
    if (live) console.log(`(b′) api+worker ${fmt(live.rps).padStart(6)} req/s  p50 ${live.p50} ms  p99 ${live.p99} ms  RSS peak ${mb(live.hwm)}`);
    console.log(`ratio b/a ${ratio.toFixed(2)}`);
    console.log(
      `drain: ${fmt(backlogAtReady)} clicks in ${drainSeconds.toFixed(2)} s = ${fmt(consumerRate)} clicks/s (redirect rate ${fmt(b.rps)}/s); ${drainCpuInfo}`,
    );
    if (live) console.log(`live: ${liveInfo}`);
    console.log(
      `redirects answered ${redirects} (non-2xx/3xx or errors: ${bad}), stream entries added ${fmt(added)}, spooled ${String(apiStopped?.spooled ?? '?')}, ` +
        `click rows ${final.rows}, distinct ids ${final.distinct}`,
    );
    // autocannon stops counting when a run ends: requests then in flight (at most one per
    // connection) are answered and stored, but not in its status counts.
    const inFlight = CONNECTIONS * apiRuns.length;
    const workerErrors = workers.reduce((n, w) => n + w.logged.errors, 0);
    const workerDeadlocks = workers.reduce((n, w) => n + w.logged.deadlocks, 0);
    console.log(`errors logged: worker ${workerErrors} (deadlocks: ${workerDeadlocks}), API ${api.logged.errors}`);
    console.log(
      `lost=${lost} duplicates=${duplicates} (and ${extra} stored clicks answered after autocannon stopped counting; at most ${inFlight} expected${extra > inFlight ? ': MORE than expected' : ''})`,
    );
    for (const g of goals) console.log(`  ${check(g.ok)}  ${g.name}: ${g.value}`);
    if (profile) console.log(`\n${profile}`);

    const deleted = await cleanup();
    console.log(`\ncleaned up: dropped ${db.name}, deleted ${deleted} Redis keys under ${prefix}`);
    if (bad > 0) console.log('note: some requests were not answered with 2xx/3xx (see above)');
    return lost === 0 ? 0 : 1;
  } catch (error) {
    if (!interrupted) {
      console.error(error);
      await cleanup();
    }
    return 2;
  }
}

process.exit(await main());
