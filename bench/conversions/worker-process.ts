import { startWorker } from '../../apps/worker/src/start-worker';
import { workerEnvSchema } from '../../packages/config/src/env';
import { serveParent } from '../lib/child';
import { pino } from '../lib/deps';
import { countStatements } from '../lib/statement-counter';

// The worker (startWorker: every queue, the outbox relay and the click consumer),
// configured by the JSON environment the parent passes as argument, counting the
// statements it sends to Postgres. Run as a child process by bench/conversions.ts.

const statements = countStatements();
const config = workerEnvSchema.parse(JSON.parse(process.argv[2] ?? '{}'));
const worker = await startWorker(config, pino({ level: config.LOG_LEVEL }));

serveParent(
  async () => {
    await worker.stop();
    return undefined;
  },
  { statements: (m) => statements.read(Boolean(m.reset)) },
);
process.send?.({ type: 'ready' });
