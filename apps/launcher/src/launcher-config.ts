import { isAbsolute, resolve } from 'node:path';
import { ConfigError, readProcessEnv } from '@app/config/env';

/** The repository root: data, apps and migrations are found relative to it. */
export const REPO_ROOT = new URL('../../..', import.meta.url).pathname.replace(/\/$/, '');

/**
 * What `pnpm start` needs to know. The environment is read once here, through
 * `readProcessEnv()` (the launch scripts' door into process.env), and passed down.
 */
export interface LauncherConfig {
  /** Owner connection; when unset an embedded Postgres is started. */
  databaseUrl: string | undefined;
  /** When unset an embedded Redis is started. */
  redisUrl: string | undefined;
  port: number;
  host: string | undefined;
  publicUrl: string;
  /** Root of the launcher's persistent state (`<repo>/.data` by default). */
  dataDir: string;
  embeddedPgPort: number;
  /** Explicit redis-server binary for the embedded Redis. */
  redisServerBinary: string | undefined;
  appDbPassword: string;
  logLevel: string;
  /** Everything else, passed through to the API and the worker. */
  env: Record<string, string | undefined>;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function portOf(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new ConfigError(`Invalid configuration:\n  ${name}: must be a port number (1-65535), got "${value}"`);
  }
  return port;
}

export function loadLauncherConfig(env: Record<string, string | undefined> = readProcessEnv()): LauncherConfig {
  const port = portOf('PORT', nonEmpty(env.PORT), 3000);
  const dataDir = nonEmpty(env.DATA_DIR) ?? '.data';
  return {
    databaseUrl: nonEmpty(env.DATABASE_URL),
    redisUrl: nonEmpty(env.REDIS_URL),
    port,
    host: nonEmpty(env.HOST),
    publicUrl: (nonEmpty(env.PUBLIC_URL) ?? `http://localhost:${port}`).replace(/\/$/, ''),
    dataDir: isAbsolute(dataDir) ? dataDir : resolve(REPO_ROOT, dataDir),
    embeddedPgPort: portOf('EMBEDDED_PG_PORT', nonEmpty(env.EMBEDDED_PG_PORT), 54_329),
    redisServerBinary: nonEmpty(env.REDISMS_SYSTEM_BINARY),
    appDbPassword: nonEmpty(env.APP_DB_PASSWORD) ?? 'affnet_app',
    logLevel: nonEmpty(env.LOG_LEVEL) ?? 'info',
    env,
  };
}

/** The address the launcher itself polls: loopback unless the API binds one host. */
export function localApiUrl(config: Pick<LauncherConfig, 'host' | 'port'>): string {
  const { host, port } = config;
  if (host === undefined || ['0.0.0.0', '::', '[::]'].includes(host)) return `http://127.0.0.1:${port}`;
  return `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}
