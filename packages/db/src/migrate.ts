import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';

/**
 * Applies the hand-written SQL migrations in prisma/migrations and records them in
 * Prisma's own `_prisma_migrations` table (same columns, SHA-256 checksums), so that
 * `prisma migrate status/deploy` agree with it on a machine that has Prisma's engine.
 *
 * - Each migration runs in its own transaction; a failure rolls it back and stops.
 * - An applied migration whose file changed is refused (checksum mismatch).
 * - A session-level advisory lock keeps two runners from migrating at once.
 * - Before the first file it makes sure the platform's roles exist: `affnet_app` (the
 *   application: LOGIN, no BYPASSRLS, owns nothing) and `affnet_system` (NOLOGIN, owns
 *   the narrow cross-tenant functions).
 */

export class MigrationError extends Error {
  override name = 'MigrationError';
  constructor(
    readonly code: 'checksum_mismatch' | 'failed_migration' | 'apply_failed',
    message: string,
  ) {
    super(message);
  }
}

export interface MigrateOptions {
  /** Connection string of the owner (a role that may create roles and tables). */
  ownerUrl: string;
  /** Password given to the affnet_app role when it is created. */
  appPassword: string;
  migrationsDir?: string;
  log?: (message: string) => void;
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: string[];
}

export const DEFAULT_MIGRATIONS_DIR = new URL('../../../prisma/migrations', import.meta.url).pathname;
const LOCK_KEY = 7_202_611_21; // any constant: identifies the migration lock

export function checksum(sql: string): string {
  return createHash('sha256').update(sql).digest('hex');
}

export async function listMigrations(dir = DEFAULT_MIGRATIONS_DIR): Promise<{ name: string; sql: string }[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(names.map(async (name) => ({ name, sql: await readFile(join(dir, name, 'migration.sql'), 'utf8') })));
}

export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const log = options.log ?? (() => {});
  const client = new pg.Client({ connectionString: options.ownerUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await ensureRoles(client, options.appPassword);
    await client.query(`CREATE TABLE IF NOT EXISTS _prisma_migrations (
      id                  varchar(36) PRIMARY KEY NOT NULL,
      checksum            varchar(64) NOT NULL,
      finished_at         timestamptz,
      migration_name      varchar(255) NOT NULL,
      logs                text,
      rolled_back_at      timestamptz,
      started_at          timestamptz NOT NULL DEFAULT now(),
      applied_steps_count integer NOT NULL DEFAULT 0)`);

    const { rows } = await client.query<{ migration_name: string; checksum: string; finished_at: Date | null; rolled_back_at: Date | null }>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY started_at',
    );
    const recorded = new Map(rows.filter((r) => r.rolled_back_at === null).map((r) => [r.migration_name, r]));
    const result: MigrateResult = { applied: [], alreadyApplied: [] };

    for (const migration of await listMigrations(options.migrationsDir)) {
      const sum = checksum(migration.sql);
      const row = recorded.get(migration.name);
      if (row?.finished_at) {
        if (row.checksum !== sum) {
          throw new MigrationError(
            'checksum_mismatch',
            `Migration ${migration.name} was edited after it was applied (checksum ${sum.slice(0, 12)}… ≠ recorded ${row.checksum.slice(0, 12)}…). Write a new migration instead.`,
          );
        }
        result.alreadyApplied.push(migration.name);
        continue;
      }
      if (row) {
        throw new MigrationError(
          'failed_migration',
          `Migration ${migration.name} started earlier and did not finish; inspect the database, then mark it rolled back in _prisma_migrations.`,
        );
      }
      log(`applying ${migration.name}`);
      try {
        await client.query('BEGIN');
        await client.query(migration.sql);
        await client.query(
          `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
           VALUES ($1, $2, $3, now(), now(), 1)`,
          [randomUUID(), sum, migration.name],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new MigrationError('apply_failed', `Migration ${migration.name} failed: ${(error as Error).message}`);
      }
      result.applied.push(migration.name);
    }
    return result;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => {});
    await client.end();
  }
}

/**
 * Roles are cluster-wide while the advisory lock is per database: runners migrating two
 * databases of one cluster at once (the launcher and a test run, two test templates)
 * update the same pg_authid rows, and Postgres answers the loser with "tuple concurrently
 * updated" or a duplicate-role error. The role set-up is one transaction, retried then.
 */
async function ensureRoles(client: pg.Client, appPassword: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.query('BEGIN');
      await setUpRoles(client, appPassword);
      await client.query('COMMIT');
      return;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      if (attempt >= ROLE_SETUP_ATTEMPTS || !isConcurrentRoleChange(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt + Math.random() * 50));
    }
  }
}

const ROLE_SETUP_ATTEMPTS = 8;

function isConcurrentRoleChange(error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string };
  return (
    code === '23505' || // unique_violation on pg_authid / pg_auth_members
    code === '42710' || // duplicate_object
    code === '40001' ||
    (code === 'XX000' && /concurrently/.test(message ?? ''))
  );
}

async function setUpRoles(client: pg.Client, appPassword: string): Promise<void> {
  await client.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'affnet_system') THEN
        CREATE ROLE affnet_system NOLOGIN NOBYPASSRLS;
      END IF;
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'affnet_app') THEN
        CREATE ROLE affnet_app LOGIN NOBYPASSRLS NOSUPERUSER NOCREATEDB NOCREATEROLE;
      END IF;
    END $$`);
  await client.query(`ALTER ROLE affnet_app PASSWORD ${pg.escapeLiteral(appPassword)}`);
  // The owner must be a member of affnet_system to hand it the functions it owns.
  const { rows } = await client.query<{ member: boolean }>("SELECT pg_has_role(current_user, 'affnet_system', 'MEMBER') AS member");
  if (!rows[0]?.member) await client.query('GRANT affnet_system TO current_user');
  const db = await client.query<{ db: string }>('SELECT current_database() AS db');
  await client.query(`GRANT CONNECT ON DATABASE ${pg.escapeIdentifier(db.rows[0]!.db)} TO affnet_app`);
}
