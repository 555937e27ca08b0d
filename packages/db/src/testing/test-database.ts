import { randomBytes } from 'node:crypto';
import { appDatabaseUrl } from '@app/config/env';
import { loadTestEnv } from '@app/config/test-env';
import pg from 'pg';
import { checksum, listMigrations, migrate } from '../migrate';

/**
 * Isolated databases for integration tests: one template database is migrated once per
 * set of migrations (its name carries their checksum), and every test file gets its own
 * copy (`CREATE DATABASE … TEMPLATE …`, a file-level copy: milliseconds).
 */

export interface TestDatabase {
  name: string;
  /** Owner connection string (migrations, raw inspection). */
  ownerUrl: string;
  /** Application role connection string (what the platform uses). */
  appUrl: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: loadTestEnv().adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function templateName(): Promise<string> {
  const all = (await listMigrations()).map((m) => `${m.name}:${checksum(m.sql)}`).join('\n');
  return `affnet_tpl_${checksum(all).slice(0, 16)}`;
}

/** Creates (once) and returns the migrated template database. Safe to call concurrently
 *  from several processes: creation is serialised with an advisory lock. */
export async function ensureTemplate(): Promise<string> {
  const env = loadTestEnv();
  const name = await templateName();
  const client = new pg.Client({ connectionString: env.adminUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock(4242)');
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      const building = `${name}_build`;
      await client.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
      await client.query(`CREATE DATABASE ${building}`);
      await migrate({ ownerUrl: withDatabase(env.adminUrl, building), appPassword: env.appPassword });
      await client.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
      await client.query(`ALTER DATABASE ${name} WITH IS_TEMPLATE true`);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock(4242)').catch(() => {});
    await client.end();
  }
  return name;
}

export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
  const env = loadTestEnv();
  const template = await ensureTemplate();
  const safeLabel = label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 30);
  const name = `affnet_t_${safeLabel}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  const ownerUrl = withDatabase(env.adminUrl, name);
  return {
    name,
    ownerUrl,
    appUrl: appDatabaseUrl({ DATABASE_URL: ownerUrl, APP_DB_PASSWORD: env.appPassword }),
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** An empty (unmigrated) database, for migration-runner tests. */
export async function createEmptyDatabase(label = 'empty'): Promise<TestDatabase> {
  const env = loadTestEnv();
  const name = `affnet_t_${label}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const ownerUrl = withDatabase(env.adminUrl, name);
  return {
    name,
    ownerUrl,
    appUrl: appDatabaseUrl({ DATABASE_URL: ownerUrl, APP_DB_PASSWORD: env.appPassword }),
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
