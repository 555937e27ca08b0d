import { once } from 'node:events';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { registerAuth } from '../../apps/api/src/plugins/auth';
import { registerErrorHandling } from '../../apps/api/src/plugins/errors';
import { registerMetrics } from '../../apps/api/src/plugins/metrics';
import { parseTrustProxy, requestIds } from '../../apps/api/src/plugins/request-basics';
import { clickRoutes } from '../../apps/api/src/routes/clicks';
import { ClickRecorder } from '../../apps/api/src/tracking/click-recorder';
import { LinkCache } from '../../apps/api/src/tracking/link-cache';
import { type ApiEnv, appDatabaseUrl } from '../../packages/config/src/env';
import { createPrisma } from '../../packages/db/src/client';
import { clickStreamKey } from '../../packages/domain/src/clicks/click-event';
import type { Deps } from '../../packages/domain/src/shared/deps';
import { cors, fastify, helmet, Redis, rateLimit } from '../lib/deps';

/**
 * For `pnpm bench:clicks --diagnose`: what each layer costs per click. `edge` is the click
 * route alone on a bare Fastify instance; `edge-no-xadd` the same with a recorder that
 * writes nothing; then, each including the ones before it, the REST API's layers as
 * apps/api/src/app.ts registers them (until d119f12 the click route sat behind all of
 * them); `edge-app` is the lean instance clicks now go to (buildEdgeApp, on its own), and
 * `full` is buildApp itself (the API, handing /c/… to that instance). Keep in step with
 * app.ts.
 */
export const VARIANTS = [
  'edge',
  'edge-no-xadd',
  '+logger',
  '+trust-proxy',
  '+request-id',
  '+helmet',
  '+cors',
  '+rate-limit',
  '+errors+metrics+auth',
  'edge-app',
  'full',
] as const;
export type Variant = (typeof VARIANTS)[number];

const LADDER: Variant[] = VARIANTS.filter((v) => v !== 'edge-no-xadd' && v !== 'edge-app' && v !== 'full');

export interface EdgeVariant {
  app: FastifyInstance;
  recorder: { spooled(): number; replay(): Promise<number>; backlog(): Promise<number> };
  /** Run after app.close(). */
  afterClose?: () => Promise<void>;
}

export async function buildVariant(variant: Variant, config: ApiEnv, logger: Logger): Promise<EdgeVariant> {
  if (variant === 'full') {
    const { buildApp } = await import('../../apps/api/src/app');
    const app = await buildApp({ config, logger });
    return { app, recorder: app.clickRecorder };
  }
  if (variant === 'edge-app') return buildLeanEdge(config, logger);
  const level = LADDER.indexOf(variant === 'edge-no-xadd' ? 'edge' : variant);
  const at = (layer: Variant) => level >= LADDER.indexOf(layer);

  const prisma = createPrisma({ url: appDatabaseUrl(config), poolSize: config.DATABASE_POOL_SIZE });
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  if (redis.status !== 'ready') await once(redis, 'ready');
  const app = fastify({
    ...(at('+logger') ? { loggerInstance: logger as FastifyBaseLogger } : { logger: false }),
    ...(at('+trust-proxy') ? { trustProxy: parseTrustProxy(config.TRUST_PROXY) } : {}),
    bodyLimit: 1024 * 1024,
    ...(at('+request-id')
      ? {
          requestIdHeader: false as const,
          genReqId: requestIds('req_'),
        }
      : {}),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  });
  if (at('+request-id')) {
    app.addHook('onRequest', (request, reply, done) => {
      reply.header('x-request-id', request.id);
      done();
    });
  }
  if (at('+errors+metrics+auth')) registerErrorHandling(app);
  if (at('+helmet')) await app.register(helmet, { global: true, contentSecurityPolicy: { useDefaults: true } });
  if (at('+cors')) {
    await app.register(cors, {
      origin: config.CORS_ORIGINS.split(',')
        .map((o) => o.trim())
        .filter(Boolean),
      credentials: true,
      exposedHeaders: ['x-request-id', 'retry-after'],
    });
  }
  if (at('+rate-limit')) {
    await app.register(rateLimit, {
      global: true,
      max: config.RATE_LIMIT_MAX,
      timeWindow: '1 minute',
      redis,
      nameSpace: `${config.REDIS_PREFIX}:rl:`,
      hook: 'preHandler',
      skipOnError: true,
      keyGenerator: (request) => request.ip,
    });
  }
  if (at('+errors+metrics+auth')) {
    registerMetrics(app);
    registerAuth(app, { prisma } as unknown as Deps);
  }

  const clickRedis = new Redis(config.REDIS_URL, { enableAutoPipelining: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 500 });
  const links = new LinkCache({
    prisma,
    redis: clickRedis,
    redisPrefix: config.REDIS_PREFIX,
    listenUrl: appDatabaseUrl(config),
    logger,
    maxEntries: config.LINK_CACHE_SIZE,
  });
  const recorder = new ClickRecorder({ redis: clickRedis, streamKey: clickStreamKey(config.REDIS_PREFIX), spoolDir: config.CLICK_SPOOL_DIR, logger });
  const writesNothing = { record: async () => 'stream' as const } as unknown as ClickRecorder;
  clickRoutes(app, { links, recorder: variant === 'edge-no-xadd' ? writesNothing : recorder, countryHeader: config.CLICK_COUNTRY_HEADER ?? null });
  app.addHook('onClose', async () => {
    await recorder.close();
    await links.close();
    clickRedis.disconnect();
    redis.disconnect();
    await prisma.$disconnect();
  });
  return { app, recorder };
}

/** The lean click instance of apps/api/src/tracking/edge-app.ts, listening on its own. */
async function buildLeanEdge(config: ApiEnv, logger: Logger): Promise<EdgeVariant> {
  const { buildEdgeApp } = await import('../../apps/api/src/tracking/edge-app');
  const prisma = createPrisma({ url: appDatabaseUrl(config), poolSize: config.DATABASE_POOL_SIZE });
  const clickRedis = new Redis(config.REDIS_URL, { enableAutoPipelining: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 500 });
  if (clickRedis.status !== 'ready') await once(clickRedis, 'ready');
  const links = new LinkCache({
    prisma,
    redis: clickRedis,
    redisPrefix: config.REDIS_PREFIX,
    listenUrl: appDatabaseUrl(config),
    logger,
    maxEntries: config.LINK_CACHE_SIZE,
  });
  const recorder = new ClickRecorder({ redis: clickRedis, streamKey: clickStreamKey(config.REDIS_PREFIX), spoolDir: config.CLICK_SPOOL_DIR, logger });
  const app = await buildEdgeApp({
    logger,
    trustProxy: parseTrustProxy(config.TRUST_PROXY),
    edge: { links, recorder, countryHeader: config.CLICK_COUNTRY_HEADER ?? null },
  });
  // The instance is ready already (no more hooks): its dependencies close after it.
  const afterClose = async () => {
    await recorder.close();
    await links.close();
    clickRedis.disconnect();
    await prisma.$disconnect();
  };
  return { app, recorder, afterClose };
}
