import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTestEnv } from '@app/config/test-env';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MIGRATIONS_DIR, MigrationError, migrate } from '../src/migrate';
import { createEmptyDatabase, type TestDatabase } from '../src/testing/test-database';

const { appPassword } = loadTestEnv();
const databases: TestDatabase[] = [];
const tempDirs: string[] = [];

async function emptyDatabase(): Promise<TestDatabase> {
  const db = await createEmptyDatabase('migrate');
  databases.push(db);
  return db;
}

async function copyOfMigrations(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'affnet-migrations-'));
  tempDirs.push(dir);
  await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

async function addMigration(dir: string, name: string, sql: string): Promise<void> {
  await mkdir(join(dir, name));
  await writeFile(join(dir, name, 'migration.sql'), sql);
}

/** The migration directories on disk with the SHA-256 of their file's bytes, as Prisma computes it. */
async function migrationsOnDisk(dir = DEFAULT_MIGRATIONS_DIR): Promise<{ name: string; checksum: string }[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name);
  names.sort();
  return Promise.all(
    names.map(async (name) => ({
      name,
      checksum: createHash('sha256')
        .update(await readFile(join(dir, name, 'migration.sql')))
        .digest('hex'),
    })),
  );
}

async function query<R extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

interface MigrationRow {
  id: string;
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  applied_steps_count: number;
}

const migrationRows = (url: string) =>
  query<MigrationRow>(
    url,
    `SELECT id, migration_name, checksum, finished_at, rolled_back_at, applied_steps_count
       FROM _prisma_migrations ORDER BY migration_name, id`,
  );

const publicTables = async (url: string) =>
  (await query<{ table_name: string }>(url, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`)).map(
    (r) => r.table_name,
  );

const tableExists = async (url: string, table: string) =>
  (await query<{ oid: string | null }>(url, 'SELECT to_regclass($1)::text AS oid', [table]))[0]?.oid !== null;

async function expectMigrationError(promise: Promise<unknown>, code: MigrationError['code']): Promise<MigrationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MigrationError);
  expect((error as MigrationError).code).toBe(code);
  return error as MigrationError;
}

afterAll(async () => {
  for (const db of databases) await db.drop();
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

describe('migrate', () => {
  let db: TestDatabase;
  let expected: { name: string; checksum: string }[];

  beforeAll(async () => {
    db = await emptyDatabase();
    expected = await migrationsOnDisk();
  });

  it('applies every migration to an empty database and records each once, finished, with its checksum', async () => {
    expect(expected.length).toBeGreaterThan(0);
    expect(await tableExists(db.ownerUrl, 'tenants')).toBe(false);

    const result = await migrate({ ownerUrl: db.ownerUrl, appPassword });

    expect(result.applied).toEqual(expected.map((m) => m.name));
    expect(result.alreadyApplied).toEqual([]);
    const rows = await migrationRows(db.ownerUrl);
    expect(rows.map((r) => ({ name: r.migration_name, checksum: r.checksum }))).toEqual(expected);
    for (const row of rows) {
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(await tableExists(db.ownerUrl, 'tenants')).toBe(true);
    expect(await tableExists(db.ownerUrl, 'emails')).toBe(true);
  });

  it('applies nothing on a second run', async () => {
    const before = await migrationRows(db.ownerUrl);

    const result = await migrate({ ownerUrl: db.ownerUrl, appPassword });

    expect(result.applied).toEqual([]);
    expect(result.alreadyApplied).toEqual(expected.map((m) => m.name));
    expect(await migrationRows(db.ownerUrl)).toEqual(before);
  });

  it('lets the application role connect once the database is migrated', async () => {
    const rows = await query<{ who: string }>(db.appUrl, 'SELECT current_user AS who');
    expect(rows[0]?.who).toBe('affnet_app');
  });
});

describe('migrate with an edited migration', () => {
  it('refuses a migration edited after it was applied and changes nothing', async () => {
    const db = await emptyDatabase();
    const dir = await copyOfMigrations();
    const first = (await migrationsOnDisk(dir))[0]!;
    await migrate({ ownerUrl: db.ownerUrl, appPassword, migrationsDir: dir });
    const rowsBefore = await migrationRows(db.ownerUrl);
    const tablesBefore = await publicTables(db.ownerUrl);

    // Change one byte of the applied file, and queue a new migration behind it.
    const file = join(dir, first.name, 'migration.sql');
    const bytes = await readFile(file);
    const at = bytes.indexOf('-- ') + 3;
    bytes[at] = bytes[at] === 0x78 ? 0x79 : 0x78;
    await writeFile(file, bytes);
    await addMigration(dir, '29991231000000_later', 'CREATE TABLE later_marker (id integer);');

    const error = await expectMigrationError(migrate({ ownerUrl: db.ownerUrl, appPassword, migrationsDir: dir }), 'checksum_mismatch');
    expect(error.message).toContain(first.name);

    expect(await migrationRows(db.ownerUrl)).toEqual(rowsBefore);
    expect(await publicTables(db.ownerUrl)).toEqual(tablesBefore);
    expect(await tableExists(db.ownerUrl, 'later_marker')).toBe(false);
  });
});

describe('migrate with a failing migration', () => {
  it('rolls the failing migration back entirely, records nothing for it and reports apply_failed', async () => {
    const db = await emptyDatabase();
    const dir = await copyOfMigrations();
    const good = await migrationsOnDisk(dir);
    const broken = '29991231000000_broken';
    await addMigration(
      dir,
      broken,
      `CREATE TABLE broken_marker (id integer PRIMARY KEY);
       INSERT INTO broken_marker VALUES (1);
       ALTER TABLE tenants ADD COLUMN broken_column text;
       SELECT * FROM table_that_does_not_exist;`,
    );

    const error = await expectMigrationError(migrate({ ownerUrl: db.ownerUrl, appPassword, migrationsDir: dir }), 'apply_failed');
    expect(error.message).toContain(broken);
    expect(error.message).toContain('table_that_does_not_exist');

    // The migrations before it are applied and recorded; the broken one left no trace.
    const rows = await migrationRows(db.ownerUrl);
    expect(rows.map((r) => r.migration_name)).toEqual(good.map((m) => m.name));
    expect(rows.every((r) => r.finished_at !== null)).toBe(true);
    expect(await tableExists(db.ownerUrl, 'broken_marker')).toBe(false);
    const columns = await query(db.ownerUrl, `SELECT 1 FROM information_schema.columns WHERE table_name = 'tenants' AND column_name = 'broken_column'`);
    expect(columns).toHaveLength(0);

    // Once fixed, the same migration applies: the failure did not leave it stuck.
    await writeFile(join(dir, broken, 'migration.sql'), 'CREATE TABLE broken_marker (id integer PRIMARY KEY);');
    const retry = await migrate({ ownerUrl: db.ownerUrl, appPassword, migrationsDir: dir });
    expect(retry.applied).toEqual([broken]);
    expect(await tableExists(db.ownerUrl, 'broken_marker')).toBe(true);
  });
});

describe('migrate run concurrently', () => {
  it('lets two runners on a fresh database both succeed, applying each migration exactly once', async () => {
    const db = await emptyDatabase();
    const expected = (await migrationsOnDisk()).map((m) => m.name);

    const results = await Promise.all([migrate({ ownerUrl: db.ownerUrl, appPassword }), migrate({ ownerUrl: db.ownerUrl, appPassword })]);

    const applied = results.flatMap((r) => r.applied).sort();
    expect(applied).toEqual(expected);
    // Whichever runner waited found everything done.
    const waiter = results.find((r) => r.applied.length === 0);
    expect(waiter?.alreadyApplied).toEqual(expected);
    const counts = await query<{ migration_name: string; n: number }>(
      db.ownerUrl,
      'SELECT migration_name, count(*)::int AS n FROM _prisma_migrations GROUP BY migration_name ORDER BY migration_name',
    );
    expect(counts).toEqual(expected.map((name) => ({ migration_name: name, n: 1 })));
  });
});

describe('migrate run on several databases of one cluster at once', () => {
  it('succeeds on each although the roles they set up are shared by the cluster', async () => {
    const dbs = await Promise.all([emptyDatabase(), emptyDatabase(), emptyDatabase()]);
    const expected = (await migrationsOnDisk()).map((m) => m.name);

    const results = await Promise.allSettled(dbs.map((db) => migrate({ ownerUrl: db.ownerUrl, appPassword })));

    expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : r.value.applied))).toEqual(dbs.map(() => expected));
  });
});
