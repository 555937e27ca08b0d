import { loadTestEnv } from '@app/config/test-env';
import { createPrisma, type PrismaClient } from '@app/db/client';
import { newId } from '@app/db/ids';
import { createTestDatabase, type TestDatabase } from '@app/db/testing/test-database';
import { withTenant } from '@app/db/with-tenant';
import { recordEvent } from '@app/domain/events/record-event';
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboxRelay } from './outbox-relay';
import { routeJob } from './processors/route-job';
import { closeQueues, createQueues, createRedisConnection, type Queues } from './queues';
import { createTenant, deleteRedisKeys, ownerQuery, uniqueRedisPrefix, waitFor } from './testing/fixtures';

const logger = pino({ level: 'silent' });
const prefix = uniqueRedisPrefix('relay');
let db: TestDatabase;
let prisma: PrismaClient;
let pool: pg.Pool;
let redis: Redis;
let queues: Queues;

beforeAll(async () => {
  db = await createTestDatabase('worker_relay');
  prisma = createPrisma({ url: db.appUrl });
  pool = new pg.Pool({ connectionString: db.appUrl, max: 6 });
  redis = createRedisConnection(loadTestEnv().redisUrl);
  queues = createQueues(redis, prefix);
});

afterAll(async () => {
  await closeQueues(queues);
  await deleteRedisKeys(redis, prefix);
  await redis.quit();
  await pool.end();
  await prisma.$disconnect();
  await db.drop();
});

async function unsentOutbox(): Promise<{ id: string; topic: string }[]> {
  return ownerQuery(db.ownerUrl, 'SELECT id, topic FROM outbox WHERE sent_at IS NULL ORDER BY id');
}

async function recordNetworkCreated(tenantId: string, email = 'owner@example.com'): Promise<string> {
  return withTenant(prisma, tenantId, (tx) =>
    recordEvent(tx, {
      tenantId,
      type: 'network.created',
      subjectType: 'tenant',
      subjectId: tenantId,
      payload: { email, name: 'Olivia Owner', networkName: 'Acme Network' },
    }),
  );
}

describe('transactional outbox', () => {
  it('writes the business change, the event and its outbox row together, or none of them', async () => {
    const tenantId = newId('tenant');
    const create = (fail: boolean) =>
      withTenant(prisma, tenantId, async (tx) => {
        await tx.tenant.create({ data: { id: tenantId, slug: `atomic-${Date.now()}`, name: 'Atomic', defaultCurrency: 'EUR' } });
        const eventId = await recordEvent(tx, {
          tenantId,
          type: 'network.created',
          subjectType: 'tenant',
          subjectId: tenantId,
          payload: { email: 'a@example.com', name: 'A' },
        });
        if (fail) throw new Error('rolled back after the event');
        return eventId;
      });

    await expect(create(true)).rejects.toThrow('rolled back after the event');
    const count = async (table: string) =>
      Number(
        (
          await ownerQuery<{ n: string }>(db.ownerUrl, `SELECT count(*) AS n FROM ${table} WHERE ${table === 'tenants' ? 'id' : 'tenant_id'} = $1`, [tenantId])
        )[0]?.n,
      );
    expect(await count('tenants')).toBe(0);
    expect(await count('domain_events')).toBe(0);
    expect(await count('outbox')).toBe(0);

    const eventId = await create(false);
    expect(await count('tenants')).toBe(1);
    expect(await count('domain_events')).toBe(1);
    const rows = await ownerQuery<{ topic: string; payload: unknown; sent_at: Date | null }>(
      db.ownerUrl,
      'SELECT topic, payload, sent_at FROM outbox WHERE tenant_id = $1',
      [tenantId],
    );
    expect(rows).toEqual([{ topic: 'events.dispatch', payload: { eventId }, sent_at: null }]);

    // Leave nothing for the next tests' counts.
    await createOutboxRelay({ pool, queues, logger }).drain();
  });
});

describe('outbox relay', () => {
  it('enqueues each unsent row once, with the outbox id as job id and the catalogue retry policy, and marks it sent', async () => {
    const tenantId = await createTenant(prisma);
    const eventIds = [await recordNetworkCreated(tenantId), await recordNetworkCreated(tenantId), await recordNetworkCreated(tenantId)];
    const rows = await unsentOutbox();
    expect(rows).toHaveLength(3);
    const waitingBefore = await queues.default.getWaitingCount();

    const relay = createOutboxRelay({ pool, queues, logger });
    expect(await relay.drain()).toEqual({ claimed: 3, enqueued: 3 });
    expect(await unsentOutbox()).toEqual([]);
    expect(await queues.default.getWaitingCount()).toBe(waitingBefore + 3);

    for (const [i, row] of rows.entries()) {
      const job = await queues.default.getJob(row.id);
      expect(job?.name).toBe('events.dispatch');
      expect(job?.data).toEqual({ tenantId, payload: { eventId: eventIds[i] } });
      expect(job?.opts.attempts).toBe(10);
      expect(job?.opts.backoff).toEqual({ type: 'exponential', delay: 1_000 });
    }
    const sent = await ownerQuery<{ attempts: number }>(db.ownerUrl, 'SELECT attempts FROM outbox WHERE id = ANY($1)', [rows.map((r) => r.id)]);
    expect(sent.map((r) => r.attempts)).toEqual([1, 1, 1]);

    // A second run finds nothing to do.
    expect(await relay.drain()).toEqual({ claimed: 0, enqueued: 0 });
    expect(await queues.default.getWaitingCount()).toBe(waitingBefore + 3);
  });

  it('never enqueues a row twice when two relays run at the same time', async () => {
    const tenantId = await createTenant(prisma);
    await withTenant(prisma, tenantId, async (tx) => {
      for (let i = 0; i < 60; i++) {
        await recordEvent(tx, { tenantId, type: 'merchant.created', subjectType: 'merchant', subjectId: `mer_${i}` });
      }
    });
    const all = (await unsentOutbox()).map((r) => r.id);
    expect(all).toHaveLength(60);

    const seen: string[][] = [[], []];
    const otherPool = new pg.Pool({ connectionString: db.appUrl, max: 2 });
    try {
      const run = (n: 0 | 1, p: pg.Pool) =>
        createOutboxRelay({ pool: p, queues, logger }).drain({
          limit: 5,
          afterEnqueue: async (ids) => {
            seen[n]?.push(...ids);
            // Hold the claimed rows' locks a while, so the other relay runs into them.
            await new Promise((r) => setTimeout(r, 15));
          },
        });
      const [a, b] = await Promise.all([run(0, pool), run(1, otherPool)]);
      expect(a.enqueued + b.enqueued).toBe(60);
    } finally {
      await otherPool.end();
    }
    const [first = [], second = []] = seen;
    expect(first.filter((id) => second.includes(id))).toEqual([]);
    expect([...first, ...second].sort()).toEqual(all);
    expect(first.length).toBeGreaterThan(0);
    expect(second.length).toBeGreaterThan(0);
    expect(await unsentOutbox()).toEqual([]);
  });

  it('leaves rows with an unknown topic unsent, and a pile of them never blocks the others', async () => {
    const tenantId = await createTenant(prisma);
    const unknownIds = Array.from({ length: 150 }, () => newId('outbox'));
    await withTenant(prisma, tenantId, async (tx) => {
      await tx.outbox.createMany({ data: unknownIds.map((id) => ({ id, tenantId, topic: 'nobody.listens', payload: {} })) });
      await recordEvent(tx, { tenantId, type: 'merchant.created', subjectType: 'merchant', subjectId: 'mer_x' });
    });
    // The 150 older unknown rows sort first; a claim of 100 must still reach the event.
    const result = await createOutboxRelay({ pool, queues, logger }).runOnce({ limit: 100 });
    expect(result).toEqual({ claimed: 1, enqueued: 1 });
    const unsent = await unsentOutbox();
    expect(unsent.length).toBe(150);
    expect(unsent.every((r) => r.topic === 'nobody.listens')).toBe(true);
    expect(await queues.default.getJob(unknownIds[0]!)).toBeUndefined();
    await ownerQuery(db.ownerUrl, 'DELETE FROM outbox WHERE id = ANY($1)', [unknownIds]);
  });

  it('after a crash between enqueue and mark-sent, re-relays under the same job id: one job, one email', async () => {
    const tenantId = await createTenant(prisma);
    const eventId = await recordNetworkCreated(tenantId, 'crash@example.com');
    const [row] = await unsentOutbox();
    if (!row) throw new Error('no outbox row');
    const waitingBefore = await queues.default.getWaitingCount();
    const relay = createOutboxRelay({ pool, queues, logger });

    await expect(
      relay.runOnce({
        afterEnqueue: () => {
          throw new Error('killed after addBulk');
        },
      }),
    ).rejects.toThrow('killed after addBulk');
    // The job reached Redis, but the row is still unsent: the transaction never committed.
    expect(await queues.default.getJob(row.id)).toBeDefined();
    expect(await unsentOutbox()).toEqual([row]);

    expect(await relay.runOnce()).toEqual({ claimed: 1, enqueued: 1 });
    expect(await unsentOutbox()).toEqual([]);
    expect(await queues.default.getWaitingCount()).toBe(waitingBefore + 1);
    const jobs = await queues.default.getJobs(['waiting']);
    expect(jobs.filter((j) => j.data?.payload?.eventId === eventId)).toHaveLength(1);

    // Process the default queue: the event's email is written once, even when the
    // dispatch runs again (a redelivery).
    const ctx = { prisma, relay, mailTransport: null, logger, clicks: { partitionsAhead: 1, retentionMonths: null }, faults: { killAfterAttribution: false } };
    const worker = new Worker('default', routeJob('default', ctx), { connection: redis, prefix, concurrency: 4 });
    try {
      await waitFor(async () => (await queues.default.getJob(row.id))?.finishedOn, 20_000, 'the dispatch job to finish');
      const job = await queues.default.getJob(row.id);
      expect(await job?.getState()).toBe('completed');
      await routeJob('default', ctx)(job as never);
    } finally {
      await worker.close();
    }
    const emails = await ownerQuery<{ to_address: string; status: string; transport: string; dedupe_key: string }>(
      db.ownerUrl,
      'SELECT to_address, status, transport, dedupe_key FROM emails WHERE tenant_id = $1',
      [tenantId],
    );
    expect(emails).toEqual([{ to_address: 'crash@example.com', status: 'stored', transport: 'none', dedupe_key: `${eventId}:network.created` }]);
  });

  it('the sweeper relays only rows older than 10 s (those the relay loop missed)', async () => {
    const tenantId = await createTenant(prisma);
    await recordNetworkCreated(tenantId, 'old@example.com');
    const [old] = await unsentOutbox();
    if (!old) throw new Error('no outbox row');
    await ownerQuery(db.ownerUrl, "UPDATE outbox SET created_at = now() - interval '20 seconds' WHERE id = $1", [old.id]);
    await recordNetworkCreated(tenantId, 'fresh@example.com');
    const fresh = (await unsentOutbox()).find((r) => r.id !== old.id);

    const ctx = {
      prisma,
      relay: createOutboxRelay({ pool, queues, logger }),
      mailTransport: null,
      logger,
      clicks: { partitionsAhead: 1, retentionMonths: null },
      faults: { killAfterAttribution: false },
    };
    const result = await routeJob('maintenance', ctx)({ name: 'outbox.sweep', data: {} } as never);
    expect(result).toEqual({ claimed: 1, enqueued: 1 });
    expect(await queues.default.getJob(old.id)).toBeDefined();
    expect(await unsentOutbox()).toEqual([fresh]);
  });
});
