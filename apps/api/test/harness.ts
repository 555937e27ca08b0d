import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ApiEnv, apiEnvSchema } from '@app/config/env';
import { loadTestEnv } from '@app/config/test-env';
import { createTestDatabase, type TestDatabase } from '@app/db/testing/test-database';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { Redis } from 'ioredis';
import pg from 'pg';
import pino from 'pino';
import { buildApp } from '../src/app';

/**
 * An API instance on its own migrated database and its own Redis key prefix, driven
 * through `app.inject` (the real router, hooks and plugins, no socket).
 */
export interface Harness {
  app: FastifyInstance;
  db: TestDatabase;
  config: ApiEnv;
  /** Owner connection for inspecting what was (not) written. */
  owner: pg.Pool;
  request(options: InjectOptions & { token?: string }): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function startHarness(label: string, overrides: Partial<Record<keyof ApiEnv, string>> = {}): Promise<Harness> {
  const env = loadTestEnv();
  const db = await createTestDatabase(label);
  const prefix = `test:${label}:${randomBytes(4).toString('hex')}`;
  const storageDir = mkdtempSync(join(tmpdir(), `affnet-${label}-`));
  const config = apiEnvSchema.parse({
    DATABASE_URL: db.ownerUrl,
    REDIS_URL: env.redisUrl,
    REDIS_PREFIX: prefix,
    APP_DB_PASSWORD: env.appPassword,
    LOG_LEVEL: 'silent',
    // Suites sign many accounts up from one address; the rate-limit test sets its own.
    LOGIN_RATE_LIMIT_MAX: '10000',
    STORAGE_DIR: storageDir,
    CLICK_SPOOL_DIR: join(storageDir, 'click-spool'),
    PUBLIC_URL: 'https://track.example',
    ...overrides,
  });
  const app = await buildApp({ config, logger: pino({ level: 'silent' }) });
  await app.ready();
  const owner = new pg.Pool({ connectionString: db.ownerUrl, max: 2 });
  return {
    app,
    db,
    config,
    owner,
    async request({ token, headers, ...options }) {
      const res = await app.inject({
        ...options,
        headers: { ...(headers ?? {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      });
      let body: unknown = res.body;
      if (String(res.headers['content-type'] ?? '').includes('json') && res.body) body = res.json();
      return { status: res.statusCode, body, headers: res.headers };
    },
    async close() {
      await app.close();
      await owner.end();
      const redis = new Redis(env.redisUrl);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
      await db.drop();
      rmSync(storageDir, { recursive: true, force: true });
    },
  };
}

export async function count(h: Harness, table: string): Promise<number> {
  const { rows } = await h.owner.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
  return Number(rows[0]?.n);
}

export const PASSWORD = 'correct-horse-battery';

/** Signs up a network and returns the owner's tokens and ids. */
export async function signUpNetwork(h: Harness, slug: string) {
  const res = await h.request({
    method: 'POST',
    url: '/v1/auth/signup',
    payload: { network: { name: `Network ${slug}`, slug }, owner: { name: 'Owner', email: `owner@${slug}.example`, password: PASSWORD } },
  });
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    token: res.body.accessToken as string,
    refreshToken: res.body.refreshToken as string,
    tenantId: res.body.tenant.id as string,
    userId: res.body.user.id as string,
  };
}

export async function createMerchant(h: Harness, networkToken: string, name: string, ownerEmail: string) {
  const res = await h.request({
    method: 'POST',
    url: '/v1/merchants',
    token: networkToken,
    payload: { name, website: 'https://shop.example', owner: { name: `${name} Owner`, email: ownerEmail, password: PASSWORD } },
  });
  if (res.status !== 201) throw new Error(`create merchant failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string };
}

export async function logIn(h: Harness, network: string, email: string, password = PASSWORD) {
  const res = await h.request({ method: 'POST', url: '/v1/auth/login', payload: { network, email, password } });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { accessToken: string; refreshToken: string; user: { id: string } };
}

export async function signUpPartner(h: Harness, network: string, email: string) {
  const res = await h.request({ method: 'POST', url: '/v1/partners/signup', payload: { network, name: `Partner ${email}`, email, password: PASSWORD } });
  if (res.status !== 201) throw new Error(`partner signup failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { accessToken: string; refreshToken: string; affiliate: { id: string; status: string } };
}

export async function createApiKey(h: Harness, token: string, merchantId: string, type: 'secret' | 'publishable' = 'secret') {
  const res = await h.request({ method: 'POST', url: '/v1/api-keys', token, payload: { merchantId, type, name: 'backend' } });
  if (res.status !== 201) throw new Error(`create key failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; key: string };
}

export function expectProblem(res: { status: number; body: any; headers: Record<string, unknown> }, status: number, code: string): void {
  if (res.status !== status || res.body?.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${res.status} ${JSON.stringify(res.body)}`);
  }
  if (!String(res.headers['content-type']).startsWith('application/problem+json')) {
    throw new Error(`expected problem+json, got ${String(res.headers['content-type'])}`);
  }
  for (const field of ['type', 'title', 'status', 'detail', 'requestId']) {
    if (res.body[field] === undefined) throw new Error(`problem lacks ${field}: ${JSON.stringify(res.body)}`);
  }
}
