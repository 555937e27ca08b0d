import { loadWorkerConfig } from '@app/config/env';
import { createLogger } from './logger';
import { startWorker } from './start-worker';

/** Hard limit for a graceful stop: active jobs that take longer are abandoned to BullMQ's
 *  stalled-job recovery (they run again elsewhere; every handler is idempotent). */
const STOP_TIMEOUT_MS = 25_000;

const config = loadWorkerConfig();
const logger = createLogger(config);

try {
  const worker = await startWorker(config, logger);
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'worker stopping');
    setTimeout(() => {
      logger.error('worker did not stop in time; exiting');
      process.exit(1);
    }, STOP_TIMEOUT_MS).unref();
    worker.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'worker stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
} catch (err) {
  logger.fatal({ err }, 'worker failed to start');
  process.exit(1);
}
