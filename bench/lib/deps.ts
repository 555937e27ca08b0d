import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * bench/ is not a workspace package, so it has no node_modules: npm packages are loaded
 * from the workspace packages that depend on them (the same installed copies the apps
 * use). Their types come from the `paths` in bench/tsconfig.json.
 */
export const ROOT = findRoot();

/** The workspace root: up from the working directory (pnpm runs scripts there; bench
 *  children inherit it, and in a bundle import.meta.url is the bundle's), else from here. */
function findRoot(): string {
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml')) && existsSync(join(dir, 'bench'))) return dir;
    if (dirname(dir) === dir) return join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  }
}

const fromApi = createRequire(join(ROOT, 'apps/api/package.json'));

export const { fastify } = fromApi('fastify') as typeof import('fastify');
export const { Redis } = fromApi('ioredis') as typeof import('ioredis');
export const { pino } = fromApi('pino') as typeof import('pino');
export const pg = fromApi('pg') as typeof import('pg');
export const helmet = (fromApi('@fastify/helmet') as typeof import('@fastify/helmet')).default;
export const cors = (fromApi('@fastify/cors') as typeof import('@fastify/cors')).default;
export const rateLimit = (fromApi('@fastify/rate-limit') as typeof import('@fastify/rate-limit')).default;

export type { Redis as RedisClient } from 'ioredis';
