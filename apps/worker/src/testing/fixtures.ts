import { randomBytes } from 'node:crypto';
import type { PrismaClient } from '@app/db/client';
import { newId } from '@app/db/ids';
import { withTenant } from '@app/db/with-tenant';
import type { Redis } from 'ioredis';
import pg from 'pg';

/** A REDIS_PREFIX no other test run uses. */
export function uniqueRedisPrefix(label: string): string {
  return `test:${label}:${randomBytes(4).toString('hex')}`;
}

/** Deletes every key under `prefix` (the queues of one test file). */
export async function deleteRedisKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

export async function createTenant(prisma: PrismaClient, name = 'Acme Network'): Promise<string> {
  const id = newId('tenant');
  await withTenant(prisma, id, (tx) => tx.tenant.create({ data: { id, slug: `t-${randomBytes(4).toString('hex')}`, name, defaultCurrency: 'EUR' } }));
  return id;
}

/** Runs one query as the database owner (bypasses RLS): for inspecting what was written. */
export async function ownerQuery<R extends pg.QueryResultRow>(ownerUrl: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Polls `probe` until it returns a value that is not undefined/null/false. */
export async function waitFor<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
