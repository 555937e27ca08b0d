import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT } from './deps';

/**
 * In a bench child: counts the SQL statements the process sends to Postgres, by their
 * first word (BEGIN, SELECT, INSERT, …), by wrapping `pg`'s Client#query. Prisma's driver
 * adapter and the pg pools of the apps all go through it (one copy of pg in the
 * workspace), so this counts round trips to Postgres. The parent reads and resets it
 * through the child's `statements` message (see serveParent's handlers).
 */
export function countStatements(): { read(reset?: boolean): Record<string, number> } {
  const pg = createRequire(join(ROOT, 'packages/db/package.json'))('pg') as typeof import('pg');
  const counts = new Map<string, number>();
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function query(this: unknown, config: unknown, ...rest: unknown[]) {
    const text = typeof config === 'string' ? config : ((config as { text?: string } | null)?.text ?? '');
    const verb = /^\s*(?:--[^\n]*\n\s*)*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? '?';
    counts.set(verb, (counts.get(verb) ?? 0) + 1);
    return original.call(this, config, ...rest);
  };
  return {
    read(reset = false) {
      const out = Object.fromEntries(counts);
      if (reset) counts.clear();
      return out;
    },
  };
}
