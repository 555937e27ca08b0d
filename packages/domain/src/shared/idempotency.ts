import { createHash } from 'node:crypto';
import type { Tx } from '@app/db/with-tenant';
import { DomainError } from './errors';

/**
 * `Idempotency-Key` of API requests that create money or conversions: the first request
 * stores its body hash and its answer in the same transaction as its effects; a repeat
 * with the same key and body gets that answer again, a repeat with another body gets 409.
 * Two concurrent requests with one key: the second waits on the key's row until the
 * first commits, then replays it (or runs, if the first rolled back).
 */
export interface IdempotencyRequest {
  key: string;
  /** Whose key space: the API key or user id (two clients may use the same key). */
  scope: string;
  requestHash: string;
}

export interface IdempotentAnswer<T> {
  statusCode: number;
  body: T;
  replayed: boolean;
}

/** Hash of what makes a request the same request: method, path and body (keys sorted). */
export function requestHash(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method.toUpperCase()} ${path}\n${canonicalJson(body)}`)
    .digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** Runs `run` once per key (inside the caller's transaction), or replays its stored answer. */
export async function idempotent<T>(
  tx: Tx,
  tenantId: string,
  request: IdempotencyRequest | undefined,
  run: () => Promise<{ statusCode: number; body: T }>,
): Promise<IdempotentAnswer<T>> {
  if (!request) return { ...(await run()), replayed: false };
  const inserted = await tx.$queryRaw<{ key: string }[]>`
    INSERT INTO idempotency_keys (tenant_id, scope, key, request_hash)
    VALUES (${tenantId}, ${request.scope}, ${request.key}, ${request.requestHash})
    ON CONFLICT DO NOTHING RETURNING key`;
  if (inserted.length === 0) {
    const stored = await tx.idempotencyKey.findUnique({ where: { tenantId_scope_key: { tenantId, scope: request.scope, key: request.key } } });
    if (!stored || stored.requestHash !== request.requestHash || stored.statusCode === null) {
      throw new DomainError('idempotency_conflict', 'This Idempotency-Key was used with a different request; use a new key for a new request.', {
        idempotencyKey: request.key,
      });
    }
    return { statusCode: stored.statusCode, body: stored.response as T, replayed: true };
  }
  const answer = await run();
  await tx.idempotencyKey.update({
    where: { tenantId_scope_key: { tenantId, scope: request.scope, key: request.key } },
    data: { statusCode: answer.statusCode, response: answer.body as object },
  });
  return { ...answer, replayed: false };
}
