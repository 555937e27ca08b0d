import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { Logger } from 'pino';

export interface EmbeddedRedis {
  url: string;
  binary: string;
  onUnexpectedExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  stop(): Promise<void>;
}

export class RedisBinaryNotFoundError extends Error {
  override name = 'RedisBinaryNotFoundError';
}

/**
 * Finds a redis-server to run. redis-memory-server would otherwise download and compile
 * Redis, which cannot work offline, so the launcher always hands it a system binary.
 */
export async function findRedisServer(options: { explicit: string | undefined; path: string | undefined; standardLocations?: string[] }): Promise<string> {
  const candidates = [
    ...(options.explicit ? [options.explicit] : []),
    ...(options.standardLocations ?? ['/usr/bin/redis-server', '/usr/local/bin/redis-server']),
    ...(options.path ?? '')
      .split(delimiter)
      .filter(Boolean)
      .map((dir) => join(dir, 'redis-server')),
  ];
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here, or not executable: try the next one
    }
  }
  throw new RedisBinaryNotFoundError(
    'No redis-server binary found (looked in /usr/bin, /usr/local/bin and PATH). ' +
      'Install one ("apt-get install redis-server") or set REDIS_URL to a running Redis.',
  );
}

/** An in-memory Redis (no RDB, no AOF) on a free loopback port, for `pnpm start`. */
export async function startEmbeddedRedis(options: { binary: string; logger: Logger }): Promise<EmbeddedRedis> {
  const { RedisMemoryServer } = await import('redis-memory-server');
  const server = await RedisMemoryServer.create({
    autoStart: true,
    binary: { systemBinary: options.binary },
    // Same eviction policy as production: BullMQ must never lose keys to eviction.
    instance: { ip: '127.0.0.1', args: ['--maxmemory-policy', 'noeviction'] },
    // Its own session, so a Ctrl-C meant for the launcher reaches Redis only after the apps stopped.
    spawn: { detached: true },
  });
  const info = server.getInstanceInfo();
  if (!info) throw new Error('embedded Redis did not start');
  let stopping = false;
  let exitListener: ((code: number | null, signal: NodeJS.Signals | null) => void) | undefined;
  info.childProcess?.once('exit', (code, signal) => {
    if (!stopping) exitListener?.(code, signal);
  });
  options.logger.debug({ binary: options.binary, port: info.port }, 'embedded Redis started');
  return {
    url: `redis://127.0.0.1:${info.port}`,
    binary: options.binary,
    onUnexpectedExit: (listener) => {
      exitListener = listener;
    },
    stop: async () => {
      stopping = true;
      await server.stop();
    },
  };
}
