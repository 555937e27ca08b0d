import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { DomainError } from '../shared/errors';
import { verifyAccessToken } from './access-tokens';
import { hashToken } from './refresh-tokens';

interface KeyRow {
  id: string;
  tenant_id: string;
  merchant_id: string;
  type: 'secret' | 'publishable';
  revoked_at: Date | null;
}

const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Turns a bearer credential into an Actor: an API key (`sk_…` / `pk_…`) or a session
 * access token (JWT).
 */
export async function authenticateBearer(deps: Deps, token: string, context: { requestId?: string; ip?: string } = {}): Promise<Actor> {
  if (token.startsWith('sk_') || token.startsWith('pk_')) return authenticateApiKey(deps, token, context);
  const claims = await verifyAccessToken(deps.tokens, token);
  return { type: 'user', tenantId: claims.tenantId, userId: claims.userId, memberships: claims.memberships, ...context };
}

async function authenticateApiKey(deps: Deps, key: string, context: { requestId?: string; ip?: string }): Promise<Actor> {
  const hash = hashToken(key);
  const [row] = await deps.prisma.$queryRaw<KeyRow[]>`SELECT id, tenant_id, merchant_id, type, revoked_at FROM auth_api_key_lookup(${hash})`;
  if (!row) throw new DomainError('invalid_token', 'The API key is not valid.');
  if (row.revoked_at) throw new DomainError('api_key_revoked', 'This API key has been revoked; create a new one.');
  const merchant = await withTenant(deps.prisma, row.tenant_id, async (tx) => {
    const threshold = new Date(Date.now() - LAST_USED_RESOLUTION_MS);
    await tx.apiKey.updateMany({
      where: { id: row.id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: threshold } }] },
      data: { lastUsedAt: new Date() },
    });
    return tx.merchant.findUnique({ where: { id: row.merchant_id }, select: { status: true } });
  });
  if (merchant?.status !== 'active') throw new DomainError('account_suspended', 'The merchant of this API key is suspended.');
  return { type: 'api_key', tenantId: row.tenant_id, keyId: row.id, merchantId: row.merchant_id, keyType: row.type, ...context };
}
