import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { readProcessEnv } from '@app/config/env';
import { clickIdAt } from '@app/db/ids';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvedEnrollment, createLink, createProgram, networkWithMerchant, partner } from '../apps/api/test/builders';
import { createApiKey, type Harness, startHarness } from '../apps/api/test/harness';

// Crash safety of the conversion path, with real processes killed by SIGKILL:
// - the API killed right after it committed a conversion: the attribution job is in
//   the outbox, so a worker started later still attributes it;
// - a worker killed after an attribution committed but before BullMQ marked the job
//   done: the job runs again on the next worker and changes nothing (exactly once).

const root = fileURLToPath(new URL('..', import.meta.url));
const workerMain = fileURLToPath(new URL('../apps/worker/src/main.ts', import.meta.url));
const apiMain = fileURLToPath(new URL('../apps/api/src/main.ts', import.meta.url));

let h: Harness;
let redis: Redis;
let tenantId: string;
let secret: string;
let programId: string;
let affiliateId: string;
let linkId: string;
const children: ChildProcess[] = [];

function spawnApp(main: string, env: Record<string, string>): ChildProcess {
  const { PATH, HOME } = readProcessEnv();
  // node with tsx as a loader, so SIGKILL reaches the process that does the work.
  const child = spawn(process.execPath, ['--import', 'tsx', main], {
    cwd: root,
    env: {
      PATH,
      HOME,
      DATABASE_URL: h.db.ownerUrl,
      APP_DATABASE_URL: h.db.appUrl,
      REDIS_URL: h.config.REDIS_URL,
      REDIS_PREFIX: h.config.REDIS_PREFIX,
      LOG_LEVEL: 'warn',
      WORKER_LOCK_MS: '1000',
      OUTBOX_POLL_MS: '100',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 40_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`${what}: not met in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function conversion(id: string) {
  return (await h.owner.query('SELECT * FROM conversions WHERE id = $1', [id])).rows[0];
}

async function click(): Promise<string> {
  const id = clickIdAt(Date.now() - 3_600_000);
  await h.owner.query(
    `INSERT INTO clicks (id, tenant_id, clicked_at, program_id, affiliate_id, link_id, device, landing_url, is_unique, billable)
     VALUES ($1, $2, $3, $4, $5, $6, 'desktop', 'https://shoes.example/', true, true)`,
    [id, tenantId, new Date(Date.now() - 3_600_000), programId, affiliateId, linkId],
  );
  return id;
}

async function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await once(child, 'exit');
}

beforeAll(async () => {
  h = await startHarness('e2e_conversion_kill', { RATE_LIMIT_MAX: '100000' });
  redis = new Redis(h.config.REDIS_URL);
  await h.owner.query(`SELECT ensure_click_partitions((now() - interval '1 month')::date, 3)`);
  const set = await networkWithMerchant(h, 'convkill');
  tenantId = set.net.tenantId;
  secret = (await createApiKey(h, set.merchantToken, set.merchantId)).key;
  programId = await createProgram(h, set.merchantToken, set.merchantId);
  const bob = await partner(h, 'convkill', 'bob@kill.example');
  affiliateId = bob.id;
  await approvedEnrollment(h, set.merchantToken, programId, bob.token);
  linkId = (await createLink(h, bob.token, { programId })).id;
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  redis?.disconnect();
  await h?.close();
});

describe('conversion crash safety', () => {
  it('the API killed right after committing: a worker started afterwards still attributes the conversion', async () => {
    const port = await freePort();
    const api = spawnApp(apiMain, {
      PORT: String(port),
      HOST: '127.0.0.1',
      RATE_LIMIT_MAX: '100000',
      STORAGE_DIR: h.config.STORAGE_DIR,
      CLICK_SPOOL_DIR: h.config.CLICK_SPOOL_DIR,
    });
    await until('api listening', async () =>
      fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      ),
    );
    const clickId = await click();
    const res = await fetch(`http://127.0.0.1:${port}/v1/conversions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ programId, type: 'sale', externalId: 'order-api-kill', amount: 5_000, clickId }),
    });
    api.kill('SIGKILL');
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    await killed(api);
    expect(api.signalCode).toBe('SIGKILL');

    // Nothing but the outbox row carries the work: no worker ran yet.
    expect(await conversion(id)).toMatchObject({ status: 'received', attribution: 'pending' });
    const outbox = await h.owner.query(`SELECT sent_at FROM outbox WHERE topic = 'conversions.attribute' AND payload->>'conversionId' = $1`, [id]);
    expect(outbox.rows).toEqual([{ sent_at: null }]);

    const worker = spawnApp(workerMain, {});
    await until('attributed', async () => (await conversion(id)).attribution !== 'pending');
    expect(await conversion(id)).toMatchObject({ status: 'attributed', affiliate_id: affiliateId, attributed_click_id: clickId });
    worker.kill('SIGKILL');
    await killed(worker);
  });

  it('a worker killed after the attribution committed: the job runs again elsewhere and changes nothing', async () => {
    const clickId = await click();
    const res = await h.request({
      method: 'POST',
      url: '/v1/conversions',
      token: secret,
      payload: { programId, type: 'sale', externalId: 'order-worker-kill', amount: 7_000, clickId },
    });
    expect(res.status).toBe(202);
    const id: string = res.body.id;

    const first = spawnApp(workerMain, { FAULT_KILL_AFTER_ATTRIBUTION: 'true' });
    await killed(first);
    expect(first.signalCode).toBe('SIGKILL');
    expect(await conversion(id)).toMatchObject({ attribution: 'attributed', affiliate_id: affiliateId });

    // BullMQ never heard that the job finished: it is still active under a dead lock.
    // (Read from BullMQ's keys: the job id is the outbox row's id.)
    const [outboxRow] = (await h.owner.query(`SELECT id FROM outbox WHERE topic = 'conversions.attribute' AND payload->>'conversionId' = $1`, [id])).rows;
    const keys = `${h.config.REDIS_PREFIX}:conversions`;
    expect(await redis.lrange(`${keys}:active`, 0, -1)).toContain(outboxRow.id);

    spawnApp(workerMain, {});
    await until('job finished on the second worker', async () => (await redis.zscore(`${keys}:completed`, outboxRow.id)) !== null);
    const returned = JSON.parse((await redis.hget(`${keys}:${outboxRow.id}`, 'returnvalue')) ?? 'null');
    expect(returned).toMatchObject({ conversionId: id, attribution: 'attributed', changed: false });

    // Exactly once: one decision, one event, one accrual scheduled.
    const accruals = await h.owner.query(`SELECT sent_at FROM outbox WHERE topic = 'commissions.accrue' AND payload->>'conversionId' = $1`, [id]);
    expect(accruals.rows).toHaveLength(1);
    // The accrual runs too, once: one commission, waiting for funds (this merchant never topped up).
    await until('accrued', async () => (await h.owner.query('SELECT 1 FROM conversion_accruals WHERE conversion_id = $1', [id])).rowCount === 1);
    const commissions = await h.owner.query('SELECT kind, status FROM commissions WHERE conversion_id = $1', [id]);
    expect(commissions.rows).toEqual([{ kind: 'primary', status: 'awaiting_funds' }]);
    const events = await h.owner.query(`SELECT count(*)::int AS n FROM domain_events WHERE type = 'conversion.attributed' AND subject_id = $1`, [id]);
    expect(events.rows[0].n).toBe(1);
  });
});
