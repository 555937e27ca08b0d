import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrisma, type PrismaClient } from '../src/client';
import { Prisma } from '../src/generated/prisma/client';
import { createTestDatabase, type TestDatabase } from '../src/testing/test-database';
import { withTenant } from '../src/with-tenant';
import { readPrismaSchema, type SchemaField, type SchemaModel } from './support/prisma-schema';
import { roundTripPlan } from './support/round-trip-plan';

/**
 * schema.prisma and the migrated database must agree: migrations are hand-written SQL
 * (Prisma's schema engine cannot run offline), so nothing else keeps them in step.
 *
 * Why a small reader of schema.prisma rather than getDMMF: @prisma/internals is not a
 * dependency here (it is a large, unversioned internal API, and adding it would pull a
 * second copy of Prisma's WASM). The reader is checked against the generated client's
 * own model and field lists below, and the round-trip through that client catches any
 * mapping the reader and the column comparison could both miss.
 */

// Tables the schema deliberately does not model.
const UNMODELLED_TABLES = new Set(['_prisma_migrations']);

interface ColumnInfo {
  table_name: string;
  column_name: string;
  data_type: string;
  udt_name: string;
  is_nullable: 'YES' | 'NO';
  column_default: string | null;
  character_maximum_length: number | null;
  datetime_precision: number | null;
}

interface IndexInfo {
  table: string;
  name: string;
  unique: boolean;
  columns: string[];
}

let db: TestDatabase;
let models: SchemaModel[];
let columns: ColumnInfo[];
let tables: string[];
let indexes: IndexInfo[];

async function ownerQuery<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: db.ownerUrl });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  db = await createTestDatabase('drift');
  models = await readPrismaSchema();
  columns = await ownerQuery<ColumnInfo>(
    `SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default,
            character_maximum_length, datetime_precision
       FROM information_schema.columns WHERE table_schema = 'public'`,
  );
  // Plain and partitioned tables, but not the partitions themselves.
  tables = (
    await ownerQuery<{ relname: string }>(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition`,
    )
  ).map((r) => r.relname);
  // Non-partial indexes, columns in key order (expression indexes have no column names).
  indexes = await ownerQuery<IndexInfo>(
    `SELECT t.relname AS table, i.relname AS name, x.indisunique AS unique,
            array_agg(a.attname::text ORDER BY k.ord) AS columns
       FROM pg_index x
       JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
       CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
       LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
      WHERE n.nspname = 'public' AND x.indpred IS NULL
      GROUP BY t.relname, i.relname, x.indisunique`,
  );
});

afterAll(async () => {
  await db?.drop();
});

const columnsOf = (table: string) => columns.filter((c) => c.table_name === table);
const lowerFirst = (s: string) => s[0]!.toLowerCase() + s.slice(1);
const snakeCase = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** What information_schema must say for a field, from its Prisma type and native type. */
function expectedColumnType(field: SchemaField): Partial<ColumnInfo> {
  const native = field.nativeType;
  const precision = native?.args[0] ? Number(native.args[0]) : 3;
  let type: Partial<ColumnInfo>;
  switch (field.type) {
    case 'String':
      if (native?.name === 'Char') type = { data_type: 'character', character_maximum_length: Number(native.args[0]) };
      else if (native?.name === 'VarChar') type = { data_type: 'character varying', character_maximum_length: native.args[0] ? Number(native.args[0]) : null };
      else type = { data_type: 'text' };
      break;
    case 'Int':
      type = { data_type: 'integer' };
      break;
    case 'BigInt':
      type = { data_type: 'bigint' };
      break;
    case 'Boolean':
      type = { data_type: 'boolean' };
      break;
    case 'Float':
      type = { data_type: 'double precision' };
      break;
    case 'Decimal':
      type = { data_type: 'numeric' };
      break;
    case 'Bytes':
      type = { data_type: 'bytea' };
      break;
    case 'Json':
      type = { data_type: native?.name === 'Json' ? 'json' : 'jsonb' };
      break;
    case 'DateTime':
      type =
        native?.name === 'Date'
          ? { data_type: 'date' }
          : native?.name === 'Timestamptz'
            ? { data_type: 'timestamp with time zone', datetime_precision: precision }
            : { data_type: 'timestamp without time zone', datetime_precision: precision };
      break;
    default:
      throw new Error(`${field.name}: no column type known for Prisma type ${field.type}`);
  }
  return field.list ? { data_type: 'ARRAY' } : type;
}

describe('the schema reader', () => {
  it('reads the same models and fields as the generated Prisma client', () => {
    expect(models.map((m) => m.name).sort()).toEqual(Object.values(Prisma.ModelName).sort());
    const namespace = Prisma as unknown as Record<string, Record<string, string> | undefined>;
    for (const model of models) {
      const generated = namespace[`${model.name}ScalarFieldEnum`];
      expect(generated, `Prisma.${model.name}ScalarFieldEnum`).toBeDefined();
      expect(model.fields.map((f) => f.name).sort(), model.name).toEqual(Object.keys(generated!).sort());
    }
  });
});

describe('schema.prisma against the migrated database', () => {
  it('maps every model to a table, and every table but the deliberately unmodelled ones to a model', () => {
    const modelled = models.map((m) => m.table).sort();
    expect(modelled.length).toBeGreaterThan(5);
    expect(tables.filter((t) => !UNMODELLED_TABLES.has(t)).sort()).toEqual(modelled);
  });

  it('maps every field to a column of a compatible type and the same nullability', () => {
    const mismatches: string[] = [];
    for (const model of models) {
      const cols = columnsOf(model.table);
      for (const field of model.fields) {
        const col = cols.find((c) => c.column_name === field.column);
        if (!col) {
          mismatches.push(`${model.name}.${field.name}: no column ${model.table}.${field.column}`);
          continue;
        }
        for (const [key, want] of Object.entries(expectedColumnType(field))) {
          const got = col[key as keyof ColumnInfo];
          if (got !== want) mismatches.push(`${model.name}.${field.name}: ${key} is ${got}, schema says ${want}`);
        }
        const nullable = col.is_nullable === 'YES';
        if (nullable !== field.optional)
          mismatches.push(`${model.name}.${field.name}: column is ${nullable ? 'NULL' : 'NOT NULL'}, field is ${field.optional ? 'optional' : 'required'}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('has no column that its model lacks', () => {
    const extra: string[] = [];
    for (const model of models) {
      const fieldColumns = new Set(model.fields.map((f) => f.column));
      for (const col of columnsOf(model.table)) {
        if (!fieldColumns.has(col.column_name)) extra.push(`${model.table}.${col.column_name}`);
      }
    }
    expect(extra).toEqual([]);
  });

  it('declares a default exactly where the database has one', () => {
    const mismatches: string[] = [];
    for (const model of models) {
      for (const field of model.fields) {
        const col = columnsOf(model.table).find((c) => c.column_name === field.column);
        if (!col) continue; // reported above
        const dbDefault = col.column_default !== null;
        if (dbDefault !== field.hasDefault)
          mismatches.push(
            `${model.table}.${field.column}: database default ${col.column_default ?? 'none'}, schema ${field.hasDefault ? 'has @default' : 'has none'}`,
          );
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('backs every @id/@unique with a unique index and every @@index with an index, and declares every full index', () => {
    const key = (table: string, unique: boolean, cols: string[]) => `${table}${unique ? ' unique' : ''} (${cols.join(', ')})`;
    const declared = models.flatMap((m) => [...m.uniques.map((cols) => key(m.table, true, cols)), ...m.indexes.map((cols) => key(m.table, false, cols))]);
    const actual = indexes.filter((i) => !UNMODELLED_TABLES.has(i.table)).map((i) => key(i.table, i.unique, i.columns));
    expect(declared.length).toBeGreaterThan(models.length);
    expect([...actual].sort()).toEqual([...declared].sort());
  });

  it('follows the naming and type conventions: snake_case columns, timestamptz timestamps', () => {
    const offenders: string[] = [];
    for (const model of models) {
      for (const field of model.fields) {
        if (field.column !== snakeCase(field.name)) offenders.push(`${model.name}.${field.name} → ${field.column}`);
        // Instants are timestamptz; a calendar day (rollups) may be a date.
        if (field.type === 'DateTime' && field.nativeType?.name !== 'Timestamptz' && field.nativeType?.name !== 'Date') {
          offenders.push(`${model.name}.${field.name} is neither @db.Timestamptz nor @db.Date`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });
});

describe('every model round-trips every field through the generated client', () => {
  let prisma: PrismaClient;

  beforeAll(async () => {
    prisma = createPrisma({ url: db.appUrl, poolSize: 2 });
    // Clicks are partitioned by month: the plan's clicks need their partition.
    await ownerQuery(`SELECT ensure_click_partitions('2026-01-01', 1)`);
  });

  afterAll(async () => {
    await prisma?.$disconnect();
  });

  it('writes and reads back every field of every model as the application role, inside withTenant', async () => {
    const plan = roundTripPlan(models);
    expect(plan.steps.map((step) => step.model).sort(), 'every model has a place in the round-trip plan').toEqual(models.map((m) => m.name).sort());

    const written = await withTenant(prisma, plan.tenantId, async (tx) => {
      const done: { model: SchemaModel; key: string[]; row: Record<string, unknown>; readBack: Record<string, unknown> }[] = [];
      for (const step of plan.steps) {
        const model = models.find((m) => m.name === step.model)!;
        const delegate = (tx as unknown as Record<string, Delegate>)[lowerFirst(model.name)]!;
        for (const row of step.rows) {
          await delegate.create({ data: row });
          const readBack = await delegate.findUniqueOrThrow({ where: uniqueWhere(step.key, row) });
          done.push({ model, key: step.key, row, readBack });
        }
      }
      return done;
    });

    for (const { model, row, readBack } of written) {
      expect(readBack, `${model.name} ${String(row.id)} read back`).toEqual(row);
    }

    // Every field was exercised with a value (not only null) in at least one row.
    for (const model of models) {
      const rows = written.filter((w) => w.model === model).map((w) => w.row);
      const unset = model.fields.filter((f) => rows.every((r) => r[f.name] === null || r[f.name] === undefined));
      expect(
        unset.map((f) => f.name),
        `${model.name} fields never given a value`,
      ).toEqual([]);
    }

    // The values landed in the columns schema.prisma names (read as the owner, bypassing Prisma).
    for (const { model, key, row } of written) {
      const keyColumns = key.map((name) => model.fields.find((f) => f.name === name)!.column);
      const [raw] = await ownerQuery<Record<string, unknown>>(
        `SELECT * FROM ${pg.escapeIdentifier(model.table)} WHERE ${keyColumns.map((c, i) => `${pg.escapeIdentifier(c)} = $${i + 1}`).join(' AND ')}`,
        key.map((name) => row[name]),
      );
      expect(raw, `${model.table} ${String(row.id)}`).toBeDefined();
      for (const field of model.fields) {
        const want = row[field.name];
        const got = raw![field.column];
        const label = `${model.table}.${field.column}`;
        if (want instanceof Date) expect((got as Date).getTime(), label).toBe(want.getTime());
        else if (typeof want === 'bigint') expect(String(got), label).toBe(String(want));
        else expect(got, label).toEqual(want);
      }
    }
  });
});

interface Delegate {
  create(args: { data: Record<string, unknown> }): Promise<unknown>;
  findUniqueOrThrow(args: { where: Record<string, unknown> }): Promise<Record<string, unknown>>;
}

/** Prisma's unique selector for a primary key: `{ id }`, or `{ a_b: { a, b } }` for a compound one. */
function uniqueWhere(key: string[], row: Record<string, unknown>): Record<string, unknown> {
  if (key.length === 1) return { [key[0]!]: row[key[0]!] };
  return { [key.join('_')]: Object.fromEntries(key.map((name) => [name, row[name]])) };
}
