import type { PrismaClient } from './client';
import { Prisma } from './generated/prisma/client';

/** A Prisma transaction client: what use cases receive as `db`. */
export type Tx = Prisma.TransactionClient;

export interface TenantTxOptions {
  isolationLevel?: Prisma.TransactionIsolationLevel;
  timeoutMs?: number;
}

/**
 * Runs `fn` in one transaction in which Postgres row-level security sees only the rows of
 * `tenantId`. The setting is transaction-local (`set_config(…, true)`), so it ends with
 * the transaction, committed or rolled back, and never leaks to the next user of the
 * pooled connection.
 */
export async function withTenant<T>(prisma: PrismaClient, tenantId: string, fn: (tx: Tx) => Promise<T>, options: TenantTxOptions = {}): Promise<T> {
  return prisma.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT set_config('app.tenant_id', ${tenantId}, true)`;
      return fn(tx);
    },
    {
      isolationLevel: options.isolationLevel ?? Prisma.TransactionIsolationLevel.ReadCommitted,
      timeout: options.timeoutMs ?? 15_000,
      maxWait: 10_000,
    },
  );
}

/**
 * Postgres SQLSTATE of a failed query, from a pg error or a Prisma error wrapping one.
 * Prisma's own codes (P2002, P2010, P2039…) have the same five-character shape as a
 * SQLSTATE and sit on the outer error, so the driver adapter's original code is looked
 * at first and a Prisma code is never returned for a SQLSTATE.
 */
export function pgErrorCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 5 && e && typeof e === 'object'; depth++) {
    const obj = e as Record<string, unknown>;
    const meta = obj.meta as Record<string, unknown> | undefined;
    const driverError = meta?.driverAdapterError as Record<string, unknown> | undefined;
    const cause = driverError?.cause as Record<string, unknown> | undefined;
    if (typeof cause?.originalCode === 'string') return cause.originalCode;
    if (typeof obj.originalCode === 'string') return obj.originalCode;
    if (isSqlState(obj.code)) return obj.code;
    if (isSqlState(meta?.code)) return meta.code;
    e = driverError ?? obj.cause;
  }
  return undefined;
}

// PL/pgSQL's P0001…P0004 are SQLSTATEs; Prisma's P1xxx–P6xxx are not.
function isSqlState(code: unknown): code is string {
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !/^P[1-9][0-9]{3}$/.test(code);
}

/** True for a unique-constraint violation, from Prisma (P2002) or Postgres (23505). */
export function isUniqueViolation(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') return true;
  return pgErrorCode(error) === '23505';
}
