import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { appDatabaseUrl, type WorkerEnv } from '@app/config/env';
import { createPrisma } from '@app/db/client';
import { ensureClickPartitions } from '@app/domain/clicks/store-clicks';
import { systemJobs } from '@app/domain/jobs/catalogue';
import { createMailTransport } from '@app/domain/notifications/create-mail-transport';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Logger } from 'pino';
import { type ClickConsumer, startClickConsumer } from './clicks/click-consumer';
import { type HealthServer, startHealthServer } from './health-server';
import { createOutboxRelay, startOutboxRelayLoop } from './outbox-relay';
import type { ProcessorContext } from './processors/processor-context';
import { RUNNABLE_TOPICS, routeJob } from './processors/route-job';
import { closeQueues, createQueues, createRedisConnection, createWorkers } from './queues';

export interface RunningWorker {
  /** The health endpoint's port (useful when HEALTH_PORT is 0), if it runs. */
  healthPort: number | null;
  /** Stops taking jobs, lets active ones finish, closes every connection. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the processors of every queue, the outbox relay loop, the outbox sweeper
 * schedule and (with HEALTH_PORT) the health endpoint. Logs "worker ready" once running.
 */
export async function startWorker(config: WorkerEnv, logger: Logger): Promise<RunningWorker> {
  const appUrl = appDatabaseUrl(config);
  const prisma = createPrisma({ url: appUrl, poolSize: config.DATABASE_POOL_SIZE });
  const pool = new pg.Pool({ connectionString: appUrl, max: 4 });
  pool.on('error', (err) => logger.warn({ err }, 'idle relay database connection failed'));
  const connection = createRedisConnection(config.REDIS_URL);
  connection.on('error', (err) => logger.warn({ err }, 'redis connection error'));
  const queues = createQueues(connection, config.REDIS_PREFIX);
  const mailTransport = config.SMTP_URL ? createMailTransport({ url: config.SMTP_URL, from: config.MAIL_FROM }) : null;
  const relay = createOutboxRelay({ pool, queues, logger, topics: RUNNABLE_TOPICS });
  const ctx: ProcessorContext = {
    prisma,
    relay,
    mailTransport,
    logger,
    clicks: { partitionsAhead: config.CLICK_PARTITIONS_AHEAD, retentionMonths: config.CLICK_RETENTION_MONTHS ?? null },
    faults: { killAfterAttribution: config.FAULT_KILL_AFTER_ATTRIBUTION, killAfterAccrual: config.FAULT_KILL_AFTER_ACCRUAL },
  };

  const workers = createWorkers(connection, { prefix: config.REDIS_PREFIX, concurrency: config.WORKER_CONCURRENCY, lockMs: config.WORKER_LOCK_MS }, (queue) =>
    routeJob(queue, ctx),
  );
  for (const worker of workers) {
    worker.on('error', (err) => logger.error({ err, queue: worker.name }, 'worker error'));
    worker.on('failed', (job, err) => logger.warn({ err, queue: worker.name, jobId: job?.id, job: job?.name, attemptsMade: job?.attemptsMade }, 'job failed'));
  }

  let relayLoop: { stop(): Promise<void> } | null = null;
  let clickConsumer: ClickConsumer | null = null;
  const clickRedis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1 });
  clickRedis.on('error', (err) => logger.warn({ err }, 'click consumer redis connection error'));
  const clickBlocking = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1 });
  clickBlocking.on('error', (err) => logger.warn({ err }, 'click consumer redis connection error'));
  let health: HealthServer | null = null;
  let stopping: Promise<void> | null = null;

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await relayLoop?.stop();
      await clickConsumer?.stop();
      clickBlocking.disconnect();
      await clickRedis.quit().catch(() => clickRedis.disconnect());
      // close() stops fetching and waits for the active jobs to finish.
      await Promise.all(workers.map((w) => w.close()));
      await closeQueues(queues);
      await health?.close();
      await connection.quit().catch(() => connection.disconnect());
      await pool.end();
      await prisma.$disconnect();
      mailTransport?.close();
      logger.info('worker stopped');
    })();
    return stopping;
  };

  try {
    await Promise.all([...workers.map((w) => w.waitUntilReady()), ...Object.values(queues).map((q) => q.waitUntilReady())]);
    for (const job of [systemJobs['outbox.sweep'], systemJobs['clicks.partitions'], systemJobs['commissions.sweep']]) {
      await queues[job.queue].upsertJobScheduler(
        job.name,
        { every: job.everyMs },
        { name: job.name, data: {}, opts: { removeOnComplete: 100, removeOnFail: 100 } },
      );
    }
    // Partitions for this month and the next ones before the first click is stored.
    await ensureClickPartitions(prisma, new Date(), config.CLICK_PARTITIONS_AHEAD);
    clickConsumer = startClickConsumer({
      prisma,
      blocking: clickBlocking,
      redis: clickRedis,
      prefix: config.REDIS_PREFIX,
      consumerName: `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
      logger,
      batchSize: config.CLICK_BATCH_SIZE,
      claimIdleMs: config.CLICK_CLAIM_IDLE_MS,
      uniqueWindowSeconds: config.CLICK_UNIQUE_WINDOW_SECONDS,
      floodPerMinute: config.CLICK_FLOOD_PER_MINUTE,
      ackDelayMs: config.CLICK_ACK_DELAY_MS,
    });
    relayLoop = startOutboxRelayLoop(relay, { listenUrl: appUrl, pollMs: config.OUTBOX_POLL_MS, logger });
    if (config.HEALTH_PORT !== undefined) {
      health = await startHealthServer(config.HEALTH_PORT, () => {
        const redis = connection.status;
        const running = workers.every((w) => w.isRunning());
        return {
          ok: redis === 'ready' && running,
          redis,
          queues: Object.fromEntries(workers.map((w) => [w.name, w.isRunning() ? 'running' : 'stopped'])),
        };
      });
    }
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }

  logger.info({ queues: workers.map((w) => w.name), smtp: mailTransport !== null, healthPort: health?.port ?? null }, 'worker ready');
  return { healthPort: health?.port ?? null, stop };
}
