import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readProcessEnv } from '@app/config/env';
import { loadTestEnv } from '@app/config/test-env';
import { createPrisma, type PrismaClient } from '@app/db/client';
import { createTestDatabase, type TestDatabase } from '@app/db/testing/test-database';
import { withTenant } from '@app/db/with-tenant';
import { recordEvent } from '@app/domain/events/record-event';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisConnection } from './queues';
import { type FakeSmtpServer, startFakeSmtpServer } from './testing/fake-smtp-server';
import { createTenant, deleteRedisKeys, ownerQuery, uniqueRedisPrefix, waitFor } from './testing/fixtures';

const workerDir = fileURLToPath(new URL('..', import.meta.url));
const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
const prefix = uniqueRedisPrefix('main');
let db: TestDatabase;
let prisma: PrismaClient;
let redis: Redis;
let smtp: FakeSmtpServer;

beforeAll(async () => {
  db = await createTestDatabase('worker_main');
  prisma = createPrisma({ url: db.appUrl });
  redis = createRedisConnection(loadTestEnv().redisUrl);
  // Holds each message's final reply for 2 s: a delivery is in flight when SIGTERM lands.
  smtp = await startFakeSmtpServer({ replyDelayMs: 2_000 });
});

afterAll(async () => {
  await smtp.close();
  await deleteRedisKeys(redis, prefix);
  await redis.quit();
  await prisma.$disconnect();
  await db.drop();
});

function spawnWorker(): { child: ChildProcess; stdout: () => string; exit: Promise<number | null> } {
  const { PATH, HOME } = readProcessEnv();
  const child = spawn(tsx, ['src/main.ts'], {
    cwd: workerDir,
    env: {
      PATH,
      HOME,
      DATABASE_URL: db.ownerUrl,
      APP_DATABASE_URL: db.appUrl,
      REDIS_URL: loadTestEnv().redisUrl,
      REDIS_PREFIX: prefix,
      SMTP_URL: smtp.url,
      OUTBOX_POLL_MS: '200',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (chunk) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk) => {
    out += chunk.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, exit };
}

describe('worker process', () => {
  it('on SIGTERM finishes the delivery in flight, closes everything and exits 0 within 10 s', async () => {
    const { child, stdout, exit } = spawnWorker();
    try {
      await waitFor(async () => stdout().includes('"msg":"worker ready"'), 20_000, '"worker ready"');

      const tenantId = await createTenant(prisma);
      const eventId = await withTenant(prisma, tenantId, (tx) =>
        recordEvent(tx, {
          tenantId,
          type: 'network.created',
          subjectType: 'tenant',
          subjectId: tenantId,
          payload: { email: 'owner@acme.test', name: 'Olivia', networkName: 'Acme Network' },
        }),
      );
      // The message has reached the SMTP server; its reply is still 2 s away.
      await waitFor(async () => smtp.dataReceived > 0, 15_000, 'the SMTP data');

      const signalledAt = Date.now();
      child.kill('SIGTERM');
      const code = await Promise.race([exit, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000))]);
      expect(code).toBe(0);
      expect(Date.now() - signalledAt).toBeLessThan(10_000);
      expect(stdout()).toContain('"msg":"worker stopped"');

      // The active job was allowed to finish: the mail is delivered and marked sent.
      expect(smtp.received.map((m) => m.to)).toEqual([['owner@acme.test']]);
      const rows = await ownerQuery<{ status: string }>(db.ownerUrl, 'SELECT status FROM emails WHERE dedupe_key = $1', [`${eventId}:network.created`]);
      expect(rows).toEqual([{ status: 'sent' }]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
