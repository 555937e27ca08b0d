import { once } from 'node:events';
import { type ApiEnv, appDatabaseUrl } from '@app/config/env';
import { createPrisma, type PrismaClient } from '@app/db/client';
import { clickStreamKey } from '@app/domain/clicks/click-event';
import type { BlobStorage } from '@app/domain/creatives/blob-storage';
import { createStorage } from '@app/domain/creatives/create-storage';
import type { Deps } from '@app/domain/shared/deps';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { registerAuth } from './plugins/auth';
import { registerErrorHandling } from './plugins/errors';
import { registerMetrics } from './plugins/metrics';
import { registerOpenApi } from './plugins/openapi';
import { parseTrustProxy, requestIds } from './plugins/request-basics';
import { affiliateRoutes } from './routes/affiliates';
import { apiKeyRoutes } from './routes/api-keys';
import { authRoutes } from './routes/auth';
import { balanceRoutes } from './routes/balances';
import { clickRoutes } from './routes/clicks';
import { commissionDecisionRoutes } from './routes/commission-decisions';
import { commissionReadRoutes } from './routes/commissions';
import { conversionRoutes } from './routes/conversions';
import { couponRoutes } from './routes/coupons';
import { creativeRoutes } from './routes/creatives';
import { enrollmentRoutes } from './routes/enrollments';
import { fxRateRoutes } from './routes/fx-rates';
import { healthRoutes } from './routes/health';
import { linkRoutes } from './routes/links';
import { merchantRoutes } from './routes/merchants';
import { networkRoutes } from './routes/network';
import { postbackRoutes } from './routes/postback';
import { programRoutes } from './routes/programs';
import { reportRoutes } from './routes/reports';
import { stripeRoutes } from './routes/stripe';
import { topUpRoutes } from './routes/top-ups';
import { trackerRoutes } from './routes/tracker';
import { trackingDomainRoutes } from './routes/tracking-domains';
import { ClickRecorder } from './tracking/click-recorder';
import { buildEdgeApp, edgeServerFactory } from './tracking/edge-app';
import { LinkCache } from './tracking/link-cache';

export interface BuildAppOptions {
  config: ApiEnv;
  logger: Logger;
  /** Injected in tests that share one client; otherwise created and closed by the app. */
  prisma?: PrismaClient;
  redis?: Redis;
  storage?: BlobStorage;
}

/** Builds the API without listening, so tests use `app.inject` or their own port. */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { config } = options;
  const prisma = options.prisma ?? createPrisma({ url: appDatabaseUrl(config), poolSize: config.DATABASE_POOL_SIZE });
  const redis = options.redis ?? new Redis(config.REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  redis.on('error', (error) => options.logger.warn({ err: error }, 'redis connection error'));
  // Give Redis a moment to connect so the first requests see it; the API still starts
  // (and the tracking edge still redirects) when Redis is down.
  if (redis.status !== 'ready') {
    await Promise.race([once(redis, 'ready'), new Promise((resolve) => setTimeout(resolve, 3_000).unref())]).catch(() => {});
  }

  // The tracking edge has a Redis connection of its own: auto-pipelined stream writes,
  // and a short command timeout so a stalled Redis sends clicks to the spool quickly.
  const clickRedis = new Redis(config.REDIS_URL, { enableAutoPipelining: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 500 });
  clickRedis.on('error', (error) => options.logger.warn({ err: error }, 'click stream redis connection error'));
  const links = new LinkCache({
    prisma,
    redis: clickRedis,
    redisPrefix: config.REDIS_PREFIX,
    listenUrl: appDatabaseUrl(config),
    logger: options.logger,
    maxEntries: config.LINK_CACHE_SIZE,
  });
  const recorder = new ClickRecorder({
    redis: clickRedis,
    streamKey: clickStreamKey(config.REDIS_PREFIX),
    spoolDir: config.CLICK_SPOOL_DIR,
    logger: options.logger,
  });
  const edgeDeps = { links, recorder, countryHeader: config.CLICK_COUNTRY_HEADER ?? null };
  const trustProxy = parseTrustProxy(config.TRUST_PROXY);
  const edge = await buildEdgeApp({ logger: options.logger, trustProxy, edge: edgeDeps });

  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    trustProxy,
    // Clicks arriving over HTTP go to the edge instance; `inject` (tests) reaches the
    // same click route registered below.
    serverFactory: edgeServerFactory(edge),
    bodyLimit: 1024 * 1024,
    requestIdHeader: false,
    genReqId: requestIds('req_'),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });

  const deps: Deps = {
    prisma,
    tokens: {
      secret: config.JWT_SECRET,
      accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      refreshTtlDays: config.REFRESH_TOKEN_TTL_DAYS,
    },
    storage: options.storage ?? createStorage(config),
    publicUrl: (config.PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/+$/, ''),
  };

  registerErrorHandling(app);
  await app.register(helmet, { global: true, contentSecurityPolicy: { useDefaults: true } });
  // The browser tracker's endpoints answer every origin (merchants' sites, checked against
  // the program's allowed domains by the endpoints themselves) without credentials; the
  // rest of the API only the configured front-end origins.
  const apiCors = {
    origin: config.CORS_ORIGINS.split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    credentials: true,
    exposedHeaders: ['x-request-id', 'retry-after'],
  };
  const trackerCors = {
    origin: true,
    credentials: false,
    methods: ['POST'],
    allowedHeaders: ['authorization', 'content-type'],
    exposedHeaders: ['x-request-id', 'retry-after'],
    maxAge: 600,
  };
  await app.register(cors, {
    delegator: (request, callback) => callback(null, request.url.startsWith('/v1/track/') ? trackerCors : apiCors),
  });
  await app.register(rateLimit, {
    global: true,
    max: config.RATE_LIMIT_MAX,
    timeWindow: '1 minute',
    redis,
    nameSpace: `${config.REDIS_PREFIX}:rl:`,
    hook: 'preHandler',
    // Redis down must not take the API down: count nothing rather than refuse.
    skipOnError: true,
    keyGenerator: (request) => request.ip,
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      code: 'rate_limited',
      message: `Too many requests: the limit is ${context.max} per ${context.after}. Retry after ${Math.ceil(context.ttl / 1000)} s.`,
    }),
  });
  registerMetrics(app);
  await registerOpenApi(app, { publicUrl: config.PUBLIC_URL, docsUi: config.ENABLE_DOCS });
  registerAuth(app, deps);

  healthRoutes(app, { prisma, redis });
  authRoutes(app, deps, { loginMax: config.LOGIN_RATE_LIMIT_MAX });
  merchantRoutes(app, deps);
  affiliateRoutes(app, deps);
  apiKeyRoutes(app, deps);
  networkRoutes(app, deps);
  programRoutes(app, deps);
  enrollmentRoutes(app, deps);
  linkRoutes(app, deps);
  couponRoutes(app, deps);
  creativeRoutes(app, deps);
  trackingDomainRoutes(app, deps);
  reportRoutes(app, deps);
  conversionRoutes(app, deps);
  commissionDecisionRoutes(app, deps);
  commissionReadRoutes(app, deps);
  balanceRoutes(app, deps);
  fxRateRoutes(app, deps);
  postbackRoutes(app, deps);
  stripeRoutes(app, deps);
  topUpRoutes(app, deps, { stripeApi: { apiBase: config.STRIPE_API_BASE, timeoutMs: config.STRIPE_TIMEOUT_MS } });
  trackerRoutes(app, deps, edgeDeps);
  clickRoutes(app, edgeDeps);
  app.decorate('clickRecorder', recorder);

  app.addHook('onClose', async () => {
    await edge.close();
    await recorder.close();
    await links.close();
    clickRedis.disconnect();
    if (!options.prisma) await prisma.$disconnect();
    if (!options.redis) redis.disconnect();
  });
  return app;
}
