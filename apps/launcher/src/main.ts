import { migrate } from '@app/db/migrate';
import { pino } from 'pino';
import { renderBanner } from './banner';
import { startEmbeddedPostgres } from './embedded-postgres';
import { findRedisServer, startEmbeddedRedis } from './embedded-redis';
import { loadLauncherConfig, localApiUrl } from './launcher-config';
import { type AppProcess, spawnApp, stopApps, waitForReady } from './processes';
import { countNetworks, seedDemo } from './seed-demo';

// `pnpm start`: Postgres and Redis (embedded unless DATABASE_URL / REDIS_URL are given),
// migrations, API + worker, a demo network in an empty database, then a banner.

const config = loadLauncherConfig();
const logger = pino({ level: config.logLevel, base: { service: 'launcher' } });

const apps: AppProcess[] = [];
/** Stops for the embedded servers, run in reverse order of start, after the apps. */
const cleanups: (() => Promise<void>)[] = [];
let stopping: Promise<void> | undefined;
let requestStop: () => void = () => {};
const stopRequested = new Promise<void>((resolve) => {
  requestStop = resolve;
});

function stop(exitCode: number, reason: string): Promise<void> {
  stopping ??= (async () => {
    requestStop();
    logger.info({ reason }, 'stopping');
    await stopApps(apps, logger);
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((err: unknown) => logger.error({ err }, 'stopping an embedded server failed'));
    }
    logger.info({ exitCode }, 'stopped');
    process.exit(exitCode);
  })();
  return stopping;
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => void stop(0, signal));
}

try {
  let databaseUrl = config.databaseUrl;
  let postgresNote = 'from DATABASE_URL';
  if (!databaseUrl) {
    const postgres = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPgPort, logger });
    cleanups.push(() => postgres.stop());
    postgres.onUnexpectedExit((code, signal) => void stop(1, `embedded Postgres exited (code ${code}, signal ${signal})`));
    databaseUrl = postgres.url;
    postgresNote = `embedded, ${postgres.created ? 'new cluster' : 'data'} in ${postgres.directory}`;
  }

  let redisUrl = config.redisUrl;
  let redisNote = 'from REDIS_URL';
  if (!redisUrl) {
    const binary = await findRedisServer({ explicit: config.redisServerBinary, path: config.env.PATH });
    const redis = await startEmbeddedRedis({ binary, logger });
    cleanups.push(() => redis.stop());
    redis.onUnexpectedExit((code, signal) => void stop(1, `embedded Redis exited (code ${code}, signal ${signal})`));
    redisUrl = redis.url;
    redisNote = `embedded, in memory, ${binary}`;
  }

  const migrated = await migrate({ ownerUrl: databaseUrl, appPassword: config.appDbPassword, log: (m) => logger.info(m) });
  logger.info({ applied: migrated.applied.length, alreadyApplied: migrated.alreadyApplied.length }, 'database migrated');
  const existingNetworks = await countNetworks(databaseUrl);

  const env = {
    ...config.env,
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    PORT: String(config.port),
    PUBLIC_URL: config.publicUrl,
    ...(config.host ? { HOST: config.host } : {}),
  };
  for (const name of ['api', 'worker'] as const) {
    const app = spawnApp(name, env);
    apps.push(app);
    void app.exited.then(({ code, signal }) => {
      if (!stopping) void stop(1, `${name} exited unexpectedly (code ${code}, signal ${signal})`);
    });
  }

  const apiUrl = localApiUrl(config);
  await waitForReady(apiUrl, { timeoutMs: 120_000, abort: stopRequested });
  const seeded = existingNetworks === 0;
  if (seeded) {
    const result = await seedDemo(apiUrl);
    logger.info({ tenantId: result.tenant.id, merchantId: result.merchantId, affiliates: result.affiliateIds.length }, 'demo network seeded');
  }
  process.stdout.write(
    renderBanner({
      publicUrl: config.publicUrl,
      postgres: `${redactPassword(databaseUrl)} (${postgresNote})`,
      redis: `${redactPassword(redisUrl)} (${redisNote})`,
      seeded,
      existingNetworks,
    }),
  );
} catch (error) {
  if (!stopping) {
    process.stderr.write(`\npnpm start failed: ${(error as Error).message}\n\n`);
    logger.debug({ err: error }, 'start-up failed');
  }
  await stop(1, 'start-up failed');
}

function redactPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
