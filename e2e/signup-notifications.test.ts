import { randomBytes } from 'node:crypto';
import { buildApp } from '@app/api/app';
import { apiEnvSchema, workerEnvSchema } from '@app/config/env';
import { loadTestEnv } from '@app/config/test-env';
import { createTestDatabase, type TestDatabase } from '@app/db/testing/test-database';
import { type RunningWorker, startWorker } from '@app/worker/start-worker';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The platform as it runs: the API writes business rows and outbox rows in one
// transaction; the worker relays them, dispatches the domain events and writes the mails,
// which a network admin reads back through the API (no SMTP configured here).

let db: TestDatabase;
let api: Awaited<ReturnType<typeof buildApp>>;
let worker: RunningWorker;
const prefix = `e2e:${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  const env = loadTestEnv();
  db = await createTestDatabase('e2e_mail');
  const shared = { DATABASE_URL: db.ownerUrl, REDIS_URL: env.redisUrl, REDIS_PREFIX: prefix, APP_DB_PASSWORD: env.appPassword, LOG_LEVEL: 'silent' };
  api = await buildApp({ config: apiEnvSchema.parse(shared), logger: pino({ level: 'silent' }) });
  worker = await startWorker(workerEnvSchema.parse({ ...shared, OUTBOX_POLL_MS: '50' }), pino({ level: 'silent' }));
});

afterAll(async () => {
  await worker?.stop();
  await api?.close();
  const redis = new Redis(loadTestEnv().redisUrl);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await db?.drop();
});

async function until<T>(fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('sign-up to welcome mail', () => {
  it('a new network owner, merchant owner and affiliate each get their mail, stored for the admin to read', async () => {
    const signup = await api.inject({
      method: 'POST',
      url: '/v1/auth/signup',
      payload: { network: { name: 'Nordic Partners', slug: 'nordic' }, owner: { name: 'Ada', email: 'ada@example.com', password: 'correct-horse-battery' } },
    });
    expect(signup.statusCode).toBe(201);
    const token = signup.json().accessToken as string;
    const auth = { authorization: `Bearer ${token}` };
    const merchant = await api.inject({
      method: 'POST',
      url: '/v1/merchants',
      headers: auth,
      payload: { name: 'Shoe Shop', owner: { name: 'Mia', email: 'mia@shoes.example', password: 'correct-horse-battery' } },
    });
    expect(merchant.statusCode).toBe(201);
    const partner = await api.inject({
      method: 'POST',
      url: '/v1/partners/signup',
      payload: { network: 'nordic', name: 'Bob', email: 'bob@blog.example', password: 'correct-horse-battery' },
    });
    expect(partner.statusCode).toBe(201);

    const mails = await until(async () => {
      const res = await api.inject({ method: 'GET', url: '/v1/emails', headers: auth });
      const data = res.json().data as { to: string; subject: string; status: string; transport: string; text: string }[];
      return data.length >= 3 ? data : undefined;
    });
    const byRecipient = Object.fromEntries(mails.map((m) => [m.to, m]));
    expect(Object.keys(byRecipient).sort()).toEqual(['ada@example.com', 'bob@blog.example', 'mia@shoes.example']);
    for (const mail of mails) expect(mail).toMatchObject({ status: 'stored', transport: 'none' });
    expect(byRecipient['mia@shoes.example']!.text).toContain('Shoe Shop');
    expect(byRecipient['ada@example.com']!.text).toContain('Nordic Partners');

    // Affiliates may not read the network's mail.
    const denied = await api.inject({ method: 'GET', url: '/v1/emails', headers: { authorization: `Bearer ${partner.json().accessToken}` } });
    expect(denied.statusCode).toBe(403);
    // Every outbox row was relayed.
    const pg = await import('pg');
    const owner = new pg.default.Client({ connectionString: db.ownerUrl });
    await owner.connect();
    const unsent = await owner.query('SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL');
    await owner.end();
    expect(unsent.rows[0].n).toBe(0);
  });
});
