import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readProcessEnv } from '@app/config/env';
import { CLICK_CONSUMER_GROUP, clickStreamKey } from '@app/domain/clicks/click-event';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvedEnrollment, createLink, createProgram, networkWithMerchant, partner } from '../apps/api/test/builders';
import { type Harness, startHarness } from '../apps/api/test/harness';

// A click consumer killed with SIGKILL after storing a batch but before acknowledging
// it: the next consumer takes the batch over and stores every click exactly once.

const root = fileURLToPath(new URL('..', import.meta.url));
const workerMain = fileURLToPath(new URL('../apps/worker/src/main.ts', import.meta.url));
const CLICKS = 600;
const BATCH = 200;

let h: Harness;
let redis: Redis;
const children: ChildProcess[] = [];

beforeAll(async () => {
  h = await startHarness('e2e_click_kill');
  redis = new Redis(h.config.REDIS_URL);
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  redis?.disconnect();
  await h?.close();
});

function spawnWorker(env: Record<string, string>): ChildProcess {
  const { PATH, HOME } = readProcessEnv();
  // node itself with tsx as a loader (not the tsx wrapper, which would survive as a
  // parent while SIGKILL reached only it, or leave the worker orphaned): the signal must
  // hit the process that runs the consumer.
  const child = spawn(process.execPath, ['--import', 'tsx', workerMain], {
    cwd: root,
    env: {
      PATH,
      HOME,
      DATABASE_URL: h.db.ownerUrl,
      APP_DATABASE_URL: h.db.appUrl,
      REDIS_URL: h.config.REDIS_URL,
      REDIS_PREFIX: h.config.REDIS_PREFIX,
      LOG_LEVEL: 'warn',
      CLICK_BATCH_SIZE: String(BATCH),
      ...env,
    },
    stdio: 'ignore',
  });
  children.push(child);
  return child;
}

async function stored(): Promise<number> {
  return Number((await h.owner.query('SELECT count(*)::int AS n FROM clicks')).rows[0].n);
}

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`${what}: not met in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('click consumer crash', () => {
  it('SIGKILL between storing a batch and acknowledging it: the restarted consumer stores every click exactly once', async () => {
    const { merchantId, merchantToken } = await networkWithMerchant(h, 'kill');
    const programId = await createProgram(h, merchantToken, merchantId);
    const aff = await partner(h, 'kill', 'bob@kill.example');
    await approvedEnrollment(h, merchantToken, programId, aff.token);
    const link = await createLink(h, aff.token, { programId });
    const ids = new Set<string>();
    for (let i = 0; i < CLICKS; i++) {
      const res = await h.app.inject({
        method: 'GET',
        url: `/c/${link.code}`,
        headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36' },
        remoteAddress: `10.0.${Math.floor(i / 250)}.${i % 250}`,
      });
      expect(res.statusCode).toBe(302);
      ids.add(new URL(String(res.headers.location)).searchParams.get('aff_click_id')!);
    }
    const stream = clickStreamKey(h.config.REDIS_PREFIX);
    expect(await redis.xlen(stream)).toBe(CLICKS);

    // The first consumer stores a batch, then waits 30 s before acknowledging it.
    const first = spawnWorker({ CLICK_ACK_DELAY_MS: '30000' });
    await until('first batch stored', async () => (await stored()) >= BATCH);
    const exited = new Promise((resolve) => first.once('exit', resolve));
    first.kill('SIGKILL');
    expect(await exited).toBe(null);
    expect(first.signalCode).toBe('SIGKILL');
    const atKill = await stored();
    expect(atKill).toBeGreaterThanOrEqual(BATCH);
    expect(atKill).toBeLessThan(CLICKS);
    const [pendingAtKill] = (await redis.xpending(stream, CLICK_CONSUMER_GROUP)) as [number, ...unknown[]];
    expect(pendingAtKill).toBeGreaterThanOrEqual(BATCH);

    // A new consumer takes the dead one's entries over and reads the rest.
    spawnWorker({ CLICK_CLAIM_IDLE_MS: '500' });
    await until('stream drained', async () => {
      const [pending] = (await redis.xpending(stream, CLICK_CONSUMER_GROUP)) as [number];
      return pending === 0 && (await redis.xlen(stream)) === 0 && (await stored()) === CLICKS;
    });
    const rows = await h.owner.query<{ id: string }>('SELECT id FROM clicks');
    expect(rows.rows.map((r) => r.id).sort()).toEqual([...ids].sort());
    const sums = await h.owner.query('SELECT sum(clicks)::int AS c, sum(unique_clicks)::int AS u, sum(filtered_clicks)::int AS f FROM click_daily_stats');
    expect(sums.rows[0]).toEqual({ c: CLICKS, u: CLICKS, f: 0 });
  });
});
