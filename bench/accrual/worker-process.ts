import { startWorker } from '../../apps/worker/src/start-worker';
import { workerEnvSchema } from '../../packages/config/src/env';
import { serveParent } from '../lib/child';
import { pino } from '../lib/deps';

// The worker (startWorker: every queue, the outbox relay enqueuing commissions.accrue),
// configured by the JSON environment the parent passes as argument. Run as a child
// process by bench/accrual.ts.

const config = workerEnvSchema.parse(JSON.parse(process.argv[2] ?? '{}'));
const worker = await startWorker(config, pino({ level: config.LOG_LEVEL }));

serveParent(async () => {
  await worker.stop();
  return undefined;
});
process.send?.({ type: 'ready' });
