import type { Tx } from '@app/db/with-tenant';
import { withTenant } from '@app/db/with-tenant';
import type { Deps } from '../shared/deps';
import { DomainError } from '../shared/errors';
import { type IssuedTokens, issueTokens } from './issue-tokens';
import { loadMemberships } from './load-memberships';
import { assertAffiliateNotSuspended } from './log-in';
import { hashToken, type SessionMeta } from './refresh-tokens';

interface SessionRow {
  id: string;
  user_id: string;
  family_id: string;
  expires_at: Date;
  rotated_at: Date | null;
  revoked_at: Date | null;
}

const INVALID = () => new DomainError('invalid_token', 'The refresh token is not valid; sign in again.');

async function tenantOfToken(deps: Deps, tokenHash: string): Promise<string | null> {
  const rows = await deps.prisma.$queryRaw<{ t: string | null }[]>`SELECT auth_session_tenant(${tokenHash}) AS t`;
  return rows[0]?.t ?? null;
}

async function revokeFamily(tx: Tx, familyId: string): Promise<void> {
  await tx.authSession.updateMany({ where: { familyId, revokedAt: null }, data: { revokedAt: new Date() } });
}

/**
 * Exchanges a refresh token for a new pair (rotation). A token that was already rotated
 * is a replay: the whole family is revoked and the caller must sign in again.
 */
export async function refreshSession(deps: Deps, refreshToken: string, meta: SessionMeta = {}): Promise<IssuedTokens> {
  const tokenHash = hashToken(refreshToken);
  const tenantId = await tenantOfToken(deps, tokenHash);
  if (!tenantId) throw INVALID();

  const outcome = await withTenant(deps.prisma, tenantId, async (tx) => {
    const [session] = await tx.$queryRaw<SessionRow[]>`
      SELECT id, user_id, family_id, expires_at, rotated_at, revoked_at
      FROM auth_sessions WHERE token_hash = ${tokenHash} FOR UPDATE`;
    if (!session || session.revoked_at || session.expires_at.getTime() <= Date.now()) return { kind: 'invalid' as const };
    if (session.rotated_at) {
      await revokeFamily(tx, session.family_id);
      return { kind: 'reused' as const };
    }
    const user = await tx.user.findUnique({ where: { id: session.user_id } });
    if (user?.status !== 'active') return { kind: 'invalid' as const };
    await tx.authSession.update({ where: { id: session.id }, data: { rotatedAt: new Date() } });
    const memberships = await loadMemberships(tx, user.id);
    await assertAffiliateNotSuspended(tx, memberships);
    const tokens = await issueTokens(tx, deps.tokens, { tenantId, userId: user.id, memberships, familyId: session.family_id, meta });
    return { kind: 'ok' as const, tokens };
  });

  if (outcome.kind === 'reused') {
    throw new DomainError('refresh_token_reused', 'This refresh token was already used; every session of this sign-in is now revoked. Sign in again.');
  }
  if (outcome.kind === 'invalid') throw INVALID();
  return outcome.tokens;
}

/** Revokes the sign-in (the token's whole family). Unknown tokens are ignored. */
export async function logOut(deps: Deps, refreshToken: string): Promise<void> {
  const tokenHash = hashToken(refreshToken);
  const tenantId = await tenantOfToken(deps, tokenHash);
  if (!tenantId) return;
  await withTenant(deps.prisma, tenantId, async (tx) => {
    const session = await tx.authSession.findUnique({ where: { tokenHash } });
    if (session) await revokeFamily(tx, session.familyId);
  });
}
