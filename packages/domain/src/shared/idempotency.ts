import { createHash } from 'node:crypto';
import { Prisma } from '@app/db/generated/prisma/client';
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
  const claimed = await tx.$queryRaw<{ key: string }[]>(claimKey(tenantId, request));
  if (claimed.length === 0) return replayAnswer(tx, tenantId, request);
  const answer = await run();
  await storeAnswer(tx, tenantId, request, answer);
  return { ...answer, replayed: false };
}

/*
 * The three steps of `idempotent`, for a use case that makes the claim within a statement
 * of its own (one round trip fewer per request): claim, then either replay or run and
 * store the answer, all in one transaction.
 */

/** Claims the key: an INSERT that returns the key when this request is the first with it
 *  (usable as a data-modifying CTE). A request that finds the key taken by one not yet
 *  committed waits for it. */
export function claimKey(tenantId: string, request: IdempotencyRequest): Prisma.Sql {
  return Prisma.sql`
    INSERT INTO idempotency_keys (tenant_id, scope, key, request_hash)
    VALUES (${tenantId}, ${request.scope}, ${request.key}, ${request.requestHash})
    ON CONFLICT DO NOTHING RETURNING key`;
}

/** The answer stored for a key that was already claimed; 409 when it was claimed by
 *  another request body. */
export async function replayAnswer<T>(tx: Tx, tenantId: string, request: IdempotencyRequest): Promise<IdempotentAnswer<T>> {
  const stored = await tx.idempotencyKey.findUnique({ where: { tenantId_scope_key: { tenantId, scope: request.scope, key: request.key } } });
  if (!stored || stored.requestHash !== request.requestHash || stored.statusCode === null) {
    throw new DomainError('idempotency_conflict', 'This Idempotency-Key was used with a different request; use a new key for a new request.', {
      idempotencyKey: request.key,
    });
  }
  return { statusCode: stored.statusCode, body: stored.response as T, replayed: true };
}

/** Keeps the answer of the request that claimed the key, for its repeats. */
export async function storeAnswer(tx: Tx, tenantId: string, request: IdempotencyRequest, answer: { statusCode: number; body: unknown }): Promise<void> {
  await tx.$executeRaw(storeAnswerSql(tenantId, request, answer.statusCode, Prisma.sql`${JSON.stringify(answer.body)}::jsonb`));
}

/** storeAnswer as an UPDATE to put in a statement of the use case (a data-modifying
 *  CTE): `body` is a jsonb expression, and the answer is stored only if `when` holds. */
export function storeAnswerSql(tenantId: string, request: IdempotencyRequest, statusCode: number, body: Prisma.Sql, when?: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    UPDATE idempotency_keys SET status_code = ${statusCode}, response = ${body}
     WHERE tenant_id = ${tenantId} AND scope = ${request.scope} AND key = ${request.key} ${when ? Prisma.sql`AND ${when}` : Prisma.empty}`;
}
