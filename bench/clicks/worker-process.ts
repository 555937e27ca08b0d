import { startWorker } from '../../apps/worker/src/start-worker';
import { workerEnvSchema } from '../../packages/config/src/env';
import { serveParent } from '../lib/child';
import { pino } from '../lib/deps';

// The worker (startWorker: every queue, the outbox relay and the click consumer),
// configured by the JSON environment the parent passes as argument. Run as a child process by
// bench/clicks.ts so that the consumer does not share the load generator's event loop.

const env = JSON.parse(process.argv[2] ?? '{}') as Record<string, string>;
const config = workerEnvSchema.parse(env);
const worker = await startWorker(config, pino({ level: config.LOG_LEVEL }));

serveParent(async () => {
  await worker.stop();
  return undefined;
});
process.send?.({ type: 'ready' });
