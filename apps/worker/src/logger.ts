import type { WorkerEnv } from '@app/config/env';
import { type Logger, pino } from 'pino';

/** Secrets that may end up in a logged object (config, connection errors, job data). */
const REDACT_PATHS = [
  'config.DATABASE_URL',
  'config.APP_DATABASE_URL',
  'config.APP_DB_PASSWORD',
  'config.REDIS_URL',
  'config.SMTP_URL',
  '*.password',
  '*.pass',
  '*.connectionString',
  '*.authorization',
];

export function createLogger(config: Pick<WorkerEnv, 'LOG_LEVEL'>): Logger {
  return pino({
    level: config.LOG_LEVEL,
    base: { service: 'worker' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  });
}
