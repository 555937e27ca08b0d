import { loadWorkerConfig, type WorkerEnv } from '@app/config/env';
import { loadTestEnv } from '@app/config/test-env';
import { createPrisma, type PrismaClient } from '@app/db/client';
import { createTestDatabase, type TestDatabase } from '@app/db/testing/test-database';
import { withTenant } from '@app/db/with-tenant';
import { recordEvent } from '@app/domain/events/record-event';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisConnection } from './queues';
import { type RunningWorker, startWorker } from './start-worker';
import { startFakeSmtpServer } from './testing/fake-smtp-server';
import { createTenant, deleteRedisKeys, ownerQuery, uniqueRedisPrefix, waitFor } from './testing/fixtures';

const logger = pino({ level: 'silent' });
const prefix = uniqueRedisPrefix('e2e');
let db: TestDatabase;
let prisma: PrismaClient;
let redis: Redis;

beforeAll(async () => {
  db = await createTestDatabase('worker_e2e');
  prisma = createPrisma({ url: db.appUrl });
  redis = createRedisConnection(loadTestEnv().redisUrl);
});

afterAll(async () => {
  await deleteRedisKeys(redis, prefix);
  await redis.quit();
  await prisma.$disconnect();
  await db.drop();
});

function workerConfig(extra: Record<string, string> = {}): WorkerEnv {
  return loadWorkerConfig({
    DATABASE_URL: db.ownerUrl,
    APP_DATABASE_URL: db.appUrl,
    REDIS_URL: loadTestEnv().redisUrl,
    REDIS_PREFIX: prefix,
    OUTBOX_POLL_MS: '5000', // long: the LISTEN wake-up must do the work
    LOG_LEVEL: 'silent',
    MAIL_FROM: 'Acme Network <no-reply@acme.test>',
    ...extra,
  });
}

interface EmailRow {
  id: string;
  to_address: string;
  subject: string;
  status: string;
  transport: string;
  html_body: string | null;
  error: string | null;
  sent_at: Date | null;
}

async function emailFor(eventId: string): Promise<EmailRow | undefined> {
  const rows = await ownerQuery<EmailRow>(db.ownerUrl, 'SELECT * FROM emails WHERE dedupe_key = $1', [`${eventId}:network.created`]);
  return rows[0];
}

async function recordNetworkCreated(tenantId: string, email: string): Promise<string> {
  return withTenant(prisma, tenantId, (tx) =>
    recordEvent(tx, {
      tenantId,
      type: 'network.created',
      subjectType: 'tenant',
      subjectId: tenantId,
      payload: { email, name: 'Olivia <Owner>', networkName: 'Acme Network' },
    }),
  );
}

describe('worker end to end', () => {
  it('stores the welcome email of a new network when SMTP is not configured, and answers /healthz', async () => {
    let worker: RunningWorker | null = await startWorker(workerConfig({ HEALTH_PORT: '0' }), logger);
    try {
      const health = await fetch(`http://127.0.0.1:${worker.healthPort}/healthz`);
      expect(health.status).toBe(200);
      const body = (await health.json()) as { status: string; redis: string; queues: Record<string, string> };
      expect(body).toMatchObject({ status: 'ok', redis: 'ready', queues: { default: 'running', email: 'running', maintenance: 'running' } });
      // The outbox sweeper is scheduled every 30 s.
      const maintenance = new Queue('maintenance', { connection: redis, prefix });
      const scheduler = await maintenance.getJobScheduler('outbox.sweep');
      await maintenance.close();
      expect(scheduler?.every).toBe(30_000);

      const tenantId = await createTenant(prisma);
      const eventId = await recordNetworkCreated(tenantId, 'Owner@Example.com');
      const email = await waitFor(() => emailFor(eventId), 10_000, 'the welcome email');
      expect(email).toMatchObject({
        to_address: 'owner@example.com',
        subject: 'Welcome to Acme Network',
        status: 'stored',
        transport: 'none',
        sent_at: null,
      });
      expect(email.html_body).toContain('Olivia &lt;Owner&gt;');
      expect(email.html_body).not.toContain('<Owner>');
      // Without SMTP nothing is scheduled for delivery: the only outbox row is the event's.
      const outbox = await ownerQuery<{ topic: string }>(db.ownerUrl, 'SELECT topic FROM outbox WHERE tenant_id = $1', [tenantId]);
      expect(outbox.map((r) => r.topic)).toEqual(['events.dispatch']);

      const healthPort = worker.healthPort;
      await worker.stop();
      worker = null;
      await expect(fetch(`http://127.0.0.1:${healthPort}/healthz`)).rejects.toThrow();
    } finally {
      await worker?.stop();
    }
  });

  it('delivers the email through SMTP, retrying a transient refusal, and marks it sent', async () => {
    const smtp = await startFakeSmtpServer({ failFirst: 1 });
    const worker = await startWorker(workerConfig({ SMTP_URL: smtp.url }), logger);
    try {
      const tenantId = await createTenant(prisma);
      const eventId = await recordNetworkCreated(tenantId, 'owner@acme.test');

      // The first delivery is refused (451): the error is recorded, the mail stays stored.
      const refused = await waitFor(
        async () => {
          const row = await emailFor(eventId);
          return row?.error ? row : undefined;
        },
        10_000,
        'the refused delivery to be recorded',
      );
      expect(refused.status).toBe('stored');
      expect(refused.transport).toBe('smtp');

      const sent = await waitFor(
        async () => {
          const row = await emailFor(eventId);
          return row?.status === 'sent' ? row : undefined;
        },
        20_000,
        'the email to be sent',
      );
      expect(sent.sent_at).toBeInstanceOf(Date);
      expect(sent.error).toBeNull();
      expect(smtp.refused).toBe(1);
      expect(smtp.received).toHaveLength(1);
      expect(smtp.received[0]?.to).toEqual(['owner@acme.test']);
      expect(smtp.received[0]?.from).toBe('no-reply@acme.test');
      expect(smtp.received[0]?.subject).toBe('Welcome to Acme Network');
    } finally {
      await worker.stop();
      await smtp.close();
    }
  });
});
