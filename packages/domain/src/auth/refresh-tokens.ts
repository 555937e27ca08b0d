import { createHash, randomBytes } from 'node:crypto';
import { newId } from '@app/db/ids';
import type { Tx } from '@app/db/with-tenant';

/**
 * Opaque refresh tokens (`rt_…`, 256 random bits). Only their SHA-256 is stored. Each
 * refresh rotates the token inside its family; presenting a rotated token again revokes
 * the family (it was stolen or replayed).
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function generateRefreshToken(): string {
  return `rt_${randomBytes(32).toString('base64url')}`;
}

export interface SessionMeta {
  ip?: string;
  userAgent?: string;
}

export async function createRefreshSession(
  tx: Tx,
  input: { tenantId: string; userId: string; familyId?: string; ttlDays: number; meta?: SessionMeta },
): Promise<{ refreshToken: string; familyId: string }> {
  const refreshToken = generateRefreshToken();
  const familyId = input.familyId ?? newId('session');
  await tx.authSession.create({
    data: {
      id: newId('session'),
      tenantId: input.tenantId,
      userId: input.userId,
      familyId,
      tokenHash: hashToken(refreshToken),
      expiresAt: new Date(Date.now() + input.ttlDays * 86_400_000),
      ip: input.meta?.ip ?? null,
      userAgent: input.meta?.userAgent?.slice(0, 500) ?? null,
    },
  });
  return { refreshToken, familyId };
}
