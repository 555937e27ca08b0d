/**
 * Connection settings for test runs: the machine's Postgres and Redis services by
 * default (127.0.0.1:5432 as postgres, 127.0.0.1:6379), overridable through
 * TEST_DATABASE_URL / TEST_REDIS_URL.
 */
export interface TestEnv {
  adminUrl: string;
  redisUrl: string;
  appPassword: string;
}

export function loadTestEnv(env: Record<string, string | undefined> = process.env): TestEnv {
  return {
    adminUrl: env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
    redisUrl: env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    appPassword: env.APP_DB_PASSWORD ?? 'affnet_app',
  };
}
