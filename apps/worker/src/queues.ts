import { QUEUE_NAMES, type QueueName } from '@app/domain/jobs/catalogue';
import { type Processor, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

export type Queues = Record<QueueName, Queue>;

/** BullMQ needs `maxRetriesPerRequest: null`: its blocking commands must wait out a
 *  Redis restart instead of failing. */
export function createRedisConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null });
}

/** One Queue per catalogue queue name; `prefix` namespaces every key (REDIS_PREFIX). */
export function createQueues(connection: Redis, prefix: string): Queues {
  const entries = QUEUE_NAMES.map((name) => [name, new Queue(name, { connection, prefix })] as const);
  return Object.fromEntries(entries) as Queues;
}

export interface WorkerSettings {
  prefix: string;
  concurrency: number;
  /** Job lock duration; a dead worker's jobs are retried this long after it died. */
  lockMs: number;
}

/** One Worker per queue name, each routing by job name through `processorFor(queue)`. */
export function createWorkers(connection: Redis, settings: WorkerSettings, processorFor: (queue: QueueName) => Processor): Worker[] {
  return QUEUE_NAMES.map(
    (name) =>
      new Worker(name, processorFor(name), {
        connection,
        prefix: settings.prefix,
        concurrency: name === 'maintenance' ? 1 : settings.concurrency,
        lockDuration: settings.lockMs,
        stalledInterval: settings.lockMs,
      }),
  );
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(Object.values(queues).map((q) => q.close()));
}
