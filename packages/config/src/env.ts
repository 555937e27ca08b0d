import { z } from 'zod';

/**
 * Every setting the platform reads from the environment. Each app parses its slice once
 * at start-up (`loadApiConfig`, `loadWorkerConfig`) and passes the result down; nothing
 * else reads process.env.
 */
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

const shared = {
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Owner connection: migrations, and creating the application role. */
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  /** Application connection (a role without BYPASSRLS that owns no table). Derived from
   *  DATABASE_URL with user affnet_app when not given. */
  APP_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  APP_DB_PASSWORD: z.string().min(1).default('affnet_app'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }),
  /** Prefix for every Redis key (queues, rate limits): lets several deployments or
   *  test runs share one Redis. */
  REDIS_PREFIX: z
    .string()
    .regex(/^[a-z0-9:_-]+$/)
    .default('affnet'),
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  MAIL_FROM: z.string().default('Affiliate Network <no-reply@localhost>'),
};

const api = {
  ...shared,
  HOST: z.string().default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_URL: z.url().optional(),
  /** Secret for signing access tokens (HS256); at least 32 characters. */
  JWT_SECRET: z.string().min(32).default('dev-only-secret-change-me-in-production-0123456789'),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(900),
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  /** Comma-separated origins allowed by CORS (the web app). */
  CORS_ORIGINS: z.string().default('http://localhost:5173,http://127.0.0.1:5173'),
  /** Trust X-Forwarded-* from this many proxies / these addresses (Fastify trustProxy). */
  TRUST_PROXY: z.string().default('false'),
  RATE_LIMIT_MAX: z.coerce.number().int().min(1).default(600),
  LOGIN_RATE_LIMIT_MAX: z.coerce.number().int().min(1).default(10),
  ENABLE_DOCS: bool.default(true),
  /** Where uploaded creatives are kept: `local` (a directory, STORAGE_DIR) or `s3` (a
   *  bucket on AWS S3 or any S3-compatible service: MinIO, Cloudflare R2, …). */
  STORAGE_DRIVER: z.enum(['local', 's3']).default('local'),
  /** Directory of the local driver. */
  STORAGE_DIR: z.string().min(1).default('.data/uploads'),
  /** Bucket of the s3 driver; required with it. */
  S3_BUCKET: z.string().min(1).optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  /** Endpoint of an S3-compatible service (`http://minio:9000`); unset for AWS itself. */
  S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  /** Credentials of the s3 driver; required with it. */
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /** Address objects as `endpoint/bucket/key` instead of `bucket.endpoint/key`. Unset: on
   *  when S3_ENDPOINT is set (self-hosted services rarely have per-bucket host names). */
  S3_FORCE_PATH_STYLE: bool.optional(),
  /** Folder inside the bucket for every key (`affnet/prod`), so deployments can share one. */
  S3_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, 'path segments of letters, digits, _ . - separated by /')
    .refine((v) => !v.split('/').some((segment) => segment === '.' || segment === '..'), 'no . or .. segments')
    .optional(),
  /** Where the tracking edge keeps clicks while Redis cannot take them (replayed once it
   *  can). Must survive restarts, and belong to one API instance. */
  CLICK_SPOOL_DIR: z.string().min(1).default('.data/click-spool'),
  /** Header in which a trusted proxy or CDN gives the visitor's country (`cf-ipcountry`,
   *  `cloudfront-viewer-country`). Unset: clicks carry no country. */
  CLICK_COUNTRY_HEADER: z
    .string()
    .regex(/^[a-z0-9-]+$/)
    .optional(),
  /** Links the edge keeps in memory per instance. */
  LINK_CACHE_SIZE: z.coerce.number().int().min(100).max(5_000_000).default(100_000),
  /** Base URL of Stripe's API for the networks' top-up Checkout Sessions (unset:
   *  https://api.stripe.com). Tests and local set-ups point it at a fake Stripe server. */
  STRIPE_API_BASE: z.url({ protocol: /^https?$/ }).optional(),
  /** How long (ms) one call to Stripe's API may take before it is given up (and retried
   *  once, under the same idempotency key). */
  STRIPE_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(8_000),
};

export const apiEnvSchema = z.object(api).superRefine(
  (env, ctx) => {
    // Fail at start-up, not at the first upload.
    if (env.STORAGE_DRIVER !== 's3') return;
    for (const name of ['S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const) {
      if (env[name] === undefined) ctx.addIssue({ code: 'custom', path: [name], message: 'required when STORAGE_DRIVER=s3' });
    }
  },
  // Also when other settings are invalid, so one start-up lists every problem.
  { when: (payload) => !payload.issues.some((issue) => issue.path?.[0] === 'STORAGE_DRIVER') },
);

export const workerEnvSchema = z.object({
  ...shared,
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  OUTBOX_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(500),
  HEALTH_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** Clicks the consumer takes from the stream per batch (one transaction each). */
  CLICK_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(1_000),
  /** Clicks another consumer took but did not acknowledge for this long are taken over. */
  CLICK_CLAIM_IDLE_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  /** A visitor's repeat clicks on one link within this window are not unique. */
  CLICK_UNIQUE_WINDOW_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(30 * 86_400)
    .default(86_400),
  /** Clicks per minute from one IP in one network above which they are flagged `flood`. */
  CLICK_FLOOD_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(60),
  /** Monthly click partitions kept made ahead of time. */
  CLICK_PARTITIONS_AHEAD: z.coerce.number().int().min(1).max(24).default(3),
  /** Detach click partitions older than this many months (unset: keep every month). */
  CLICK_RETENTION_MONTHS: z.coerce.number().int().min(1).max(120).optional(),
  /** Fault injection for tests: wait this long between storing a batch and acknowledging
   *  it, to kill a consumer in that window. Never set in production. */
  CLICK_ACK_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  /** How long a job's lock lasts before another worker may take the job over as stalled
   *  (its worker died); also how often stalled jobs are looked for. */
  WORKER_LOCK_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
  /** Fault injection for tests: the worker kills itself right after an attribution has
   *  committed, before the job is marked done. Never set in production. */
  FAULT_KILL_AFTER_ATTRIBUTION: bool.default(false),
  /** Fault injection for tests: the worker kills itself right after an accrual has
   *  committed, before the job is marked done. Never set in production. */
  FAULT_KILL_AFTER_ACCRUAL: bool.default(false),
});

export type ApiEnv = z.infer<typeof apiEnvSchema>;
export type WorkerEnv = z.infer<typeof workerEnvSchema>;
export type SharedEnv = Pick<ApiEnv, keyof typeof shared>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function parse<T extends z.ZodType>(schema: T, env: Record<string, string | undefined>): z.infer<T> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}

export function loadApiConfig(env: Record<string, string | undefined> = process.env): ApiEnv {
  return parse(apiEnvSchema, env);
}

export function loadWorkerConfig(env: Record<string, string | undefined> = process.env): WorkerEnv {
  return parse(workerEnvSchema, env);
}

/** The application role's connection string: APP_DATABASE_URL, or DATABASE_URL with the
 *  affnet_app role's credentials. */
export function appDatabaseUrl(env: Pick<SharedEnv, 'DATABASE_URL' | 'APP_DATABASE_URL' | 'APP_DB_PASSWORD'>): string {
  if (env.APP_DATABASE_URL) return env.APP_DATABASE_URL;
  const url = new URL(env.DATABASE_URL);
  url.username = APP_ROLE;
  url.password = env.APP_DB_PASSWORD;
  return url.toString();
}

export const APP_ROLE = 'affnet_app';
export const SYSTEM_ROLE = 'affnet_system';

/** Raw environment access for launch scripts that spawn the apps. */
export function readProcessEnv(): Record<string, string | undefined> {
  return process.env;
}
