import { startPgListener } from '@app/db/pg-listener';
import { type JobName, jobs } from '@app/domain/jobs/catalogue';
import type { JobsOptions } from 'bullmq';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Queues } from './queues';

/**
 * The outbox relay: moves rows written by `enqueueAfterCommit` onto BullMQ.
 *
 * Claim (`outbox_claim`: FOR UPDATE SKIP LOCKED), enqueue with jobId = outbox id, mark
 * sent, all in one transaction. The row locks are held until COMMIT, so two relays never
 * take the same row. A crash after the enqueue and before COMMIT leaves the row unsent:
 * the next run enqueues it again with the same job id, which BullMQ ignores as a
 * duplicate, so the job exists once.
 */

const DAY_SECONDS = 24 * 60 * 60;

interface OutboxRow {
  id: string;
  tenant_id: string;
  topic: string;
  payload: unknown;
}

export interface RelayRunOptions {
  /** Rows per transaction. */
  limit?: number;
  /** Only rows at least this old (the sweeper uses it to leave fresh rows to the loop). */
  minAgeMs?: number;
  /** Runs after the jobs are on the queue and before the rows are marked sent; tests
   *  throw here to simulate a crash between the two. */
  afterEnqueue?: (ids: string[]) => void | Promise<void>;
}

export interface RelayRunResult {
  claimed: number;
  enqueued: number;
}

export interface OutboxRelayDeps {
  pool: pg.Pool;
  queues: Omit<Queues, 'maintenance'>;
  logger: Logger;
  /** Topics this worker has processors for (default: the whole catalogue). Rows of
   *  other topics wait unclaimed in the outbox for a release that runs them. */
  topics?: readonly JobName[];
}

export interface OutboxRelay {
  /** One claim → enqueue → mark-sent transaction. */
  runOnce(options?: RelayRunOptions): Promise<RelayRunResult>;
  /** Batches until one comes back short (or enqueues nothing). */
  drain(options?: RelayRunOptions): Promise<RelayRunResult>;
}

export function jobOptionsFor(topic: JobName, outboxId: string): JobsOptions {
  const def = jobs[topic];
  return {
    jobId: outboxId,
    attempts: def.attempts,
    backoff: { type: 'exponential', delay: def.backoffMs },
    removeOnComplete: { age: 7 * DAY_SECONDS },
    removeOnFail: { age: 30 * DAY_SECONDS },
  };
}

export function createOutboxRelay(deps: OutboxRelayDeps): OutboxRelay {
  const topics = deps.topics ?? (Object.keys(jobs) as JobName[]);
  const queueNames = [...new Set(topics.map((t) => jobs[t].queue))];
  async function runOnce(options: RelayRunOptions = {}): Promise<RelayRunResult> {
    const limit = options.limit ?? 100;
    const client = await deps.pool.connect();
    let released = false;
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<OutboxRow>('SELECT id, tenant_id, topic, payload FROM outbox_claim($1, $2::text[], $3::interval)', [
        limit,
        topics,
        `${options.minAgeMs ?? 0} milliseconds`,
      ]);
      // outbox_claim returns only topics of the catalogue.
      const known = rows as (OutboxRow & { topic: JobName })[];

      for (const queueName of queueNames) {
        const batch = known.filter((row) => jobs[row.topic].queue === queueName);
        if (batch.length === 0) continue;
        await deps.queues[queueName].addBulk(
          batch.map((row) => ({
            name: row.topic,
            data: { tenantId: row.tenant_id, payload: row.payload },
            opts: jobOptionsFor(row.topic, row.id),
          })),
        );
      }
      const ids = known.map((row) => row.id);
      if (options.afterEnqueue) await options.afterEnqueue(ids);
      if (ids.length > 0) await client.query('SELECT outbox_mark_sent($1::text[])', [ids]);
      await client.query('COMMIT');
      if (ids.length > 0) deps.logger.debug({ count: ids.length }, 'outbox rows relayed');
      return { claimed: rows.length, enqueued: ids.length };
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch {
        // The connection is broken: drop it from the pool instead of reusing it.
        client.release(true);
        released = true;
      }
      throw error;
    } finally {
      if (!released) client.release();
    }
  }

  async function drain(options: RelayRunOptions = {}): Promise<RelayRunResult> {
    const limit = options.limit ?? 100;
    const total: RelayRunResult = { claimed: 0, enqueued: 0 };
    for (;;) {
      const result = await runOnce({ ...options, limit });
      total.claimed += result.claimed;
      total.enqueued += result.enqueued;
      if (result.claimed < limit || result.enqueued === 0) return total;
    }
  }

  return { runOnce, drain };
}

export interface RelayLoopOptions {
  /** Connection string for the LISTEN connection (the application role). */
  listenUrl: string;
  pollMs: number;
  logger: Logger;
}

export interface RelayLoop {
  stop(): Promise<void>;
}

/**
 * Runs the relay whenever Postgres notifies `outbox` (the insert trigger), and every
 * `pollMs` in any case (a notification is lost while the LISTEN connection is down).
 */
export function startOutboxRelayLoop(relay: OutboxRelay, options: RelayLoopOptions): RelayLoop {
  const { logger } = options;
  let running = true;
  let pending = false;
  let wakeUp: (() => void) | null = null;
  const wake = () => {
    pending = true;
    wakeUp?.();
  };

  const loop = (async () => {
    while (running) {
      pending = false;
      try {
        await relay.drain();
      } catch (err) {
        logger.error({ err }, 'outbox relay run failed');
      }
      if (!running) break;
      if (pending) continue;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          wakeUp = null;
          resolve();
        };
        const timer = setTimeout(done, options.pollMs);
        wakeUp = done;
      });
    }
  })();

  const listener = startPgListener({
    url: options.listenUrl,
    channels: ['outbox'],
    onNotification: wake,
    onConnected: wake, // rows may have arrived while we were not listening
    onError: (err, message) => logger.warn({ err }, `outbox ${message}; polling meanwhile`),
  });

  return {
    async stop() {
      running = false;
      wakeUp?.();
      await loop;
      await listener.close();
    },
  };
}
