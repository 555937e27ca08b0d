import { loadApiConfig } from '@app/config/env';
import { buildApp } from './app';
import { createLogger } from './logger';

const config = loadApiConfig();
const logger = createLogger(config.LOG_LEVEL);
const app = await buildApp({ config, logger });

let closing = false;
async function shutdown(signal: string): Promise<void> {
  if (closing) return;
  closing = true;
  logger.info({ signal }, 'shutting down');
  const force = setTimeout(() => process.exit(1), 10_000);
  force.unref();
  await app.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

await app.listen({ host: config.HOST, port: config.PORT });
logger.info({ url: config.PUBLIC_URL ?? `http://${config.HOST}:${config.PORT}` }, 'api ready');
