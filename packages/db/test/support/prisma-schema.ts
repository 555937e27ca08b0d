import { readFile } from 'node:fs/promises';

/**
 * A small reader of the model blocks of schema.prisma: names, `@map`/`@@map`, scalar
 * types, optionality, native types, defaults and unique/index attributes. It is enough
 * for the drift test; the test cross-checks it against the generated client (model and
 * field names), so a model or field it failed to read makes the test fail, not pass.
 */

export interface SchemaField {
  name: string;
  column: string;
  type: string;
  optional: boolean;
  list: boolean;
  /** `@db.Char(3)` → { name: 'Char', args: ['3'] } */
  nativeType?: { name: string; args: string[] };
  hasDefault: boolean;
  updatedAt: boolean;
  id: boolean;
  unique: boolean;
}

export interface SchemaModel {
  name: string;
  table: string;
  fields: SchemaField[];
  /** Column lists of @id/@@id and @unique/@@unique. */
  uniques: string[][];
  /** Column lists of @@index. */
  indexes: string[][];
}

const SCALARS = new Set(['String', 'Int', 'BigInt', 'Float', 'Decimal', 'Boolean', 'DateTime', 'Json', 'Bytes']);

export const DEFAULT_SCHEMA_PATH = new URL('../../../../prisma/schema.prisma', import.meta.url).pathname;

/** Removes `//` and `///` comments outside string literals. */
function stripComment(line: string): string {
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"' && line[i - 1] !== '\\') inString = !inString;
    if (!inString && c === '/' && line[i + 1] === '/') return line.slice(0, i);
  }
  return line;
}

function mapName(attrs: string): string | undefined {
  return /@map\(\s*(?:name:\s*)?"([^"]+)"/.exec(attrs)?.[1];
}

function fieldList(args: string): string[] {
  const inner = /\[([^\]]*)\]/.exec(args)?.[1] ?? '';
  return inner
    .split(',')
    .map((s) => s.trim().replace(/\(.*\)$/, ''))
    .filter(Boolean);
}

export function parsePrismaSchema(source: string): SchemaModel[] {
  const models: SchemaModel[] = [];
  const lines = source.split('\n').map(stripComment);
  for (let i = 0; i < lines.length; i++) {
    const header = /^\s*model\s+(\w+)\s*\{\s*$/.exec(lines[i]!);
    if (!header) continue;
    const name = header[1]!;
    const fields: SchemaField[] = [];
    const blockAttrs: string[] = [];
    for (i++; i < lines.length && !/^\s*\}\s*$/.test(lines[i]!); i++) {
      const line = lines[i]!.trim();
      if (!line) continue;
      if (line.startsWith('@@')) {
        blockAttrs.push(line);
        continue;
      }
      const m = /^(\w+)\s+(\w+)(\[\])?(\?)?\s*(.*)$/.exec(line);
      if (!m) throw new Error(`model ${name}: cannot read field line "${line}"`);
      const [, fieldName, type, list, optional, attrs = ''] = m;
      if (!SCALARS.has(type!)) throw new Error(`model ${name}.${fieldName}: type ${type} is not a scalar this reader knows (relation or enum?)`);
      const native = /@db\.(\w+)(?:\(([^)]*)\))?/.exec(attrs);
      fields.push({
        name: fieldName!,
        column: mapName(attrs) ?? fieldName!,
        type: type!,
        optional: optional === '?',
        list: list === '[]',
        ...(native ? { nativeType: { name: native[1]!, args: native[2] ? native[2].split(',').map((s) => s.trim()) : [] } } : {}),
        hasDefault: /@default\(/.test(attrs),
        updatedAt: /@updatedAt\b/.test(attrs),
        id: /@id\b/.test(attrs),
        unique: /@unique\b/.test(attrs),
      });
    }
    const columnOf = (field: string) => {
      const f = fields.find((x) => x.name === field);
      if (!f) throw new Error(`model ${name}: attribute names unknown field ${field}`);
      return f.column;
    };
    const uniques = fields.filter((f) => f.id || f.unique).map((f) => [f.column]);
    const indexes: string[][] = [];
    let table = name;
    for (const attr of blockAttrs) {
      const kind = /^@@(\w+)\((.*)\)$/.exec(attr);
      if (!kind) throw new Error(`model ${name}: cannot read "${attr}"`);
      const [, what, args] = kind;
      if (what === 'map') table = /"([^"]+)"/.exec(args!)![1]!;
      else if (what === 'unique' || what === 'id') uniques.push(fieldList(args!).map(columnOf));
      else if (what === 'index') indexes.push(fieldList(args!).map(columnOf));
      else throw new Error(`model ${name}: block attribute @@${what} is not handled by the drift test yet`);
    }
    models.push({ name, table, fields, uniques, indexes });
  }
  return models;
}

export async function readPrismaSchema(path = DEFAULT_SCHEMA_PATH): Promise<SchemaModel[]> {
  return parsePrismaSchema(await readFile(path, 'utf8'));
}
