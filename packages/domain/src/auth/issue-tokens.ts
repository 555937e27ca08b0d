import type { Tx } from '@app/db/with-tenant';
import type { Membership } from '../shared/actor';
import { signAccessToken, type TokenConfig } from './access-tokens';
import { createRefreshSession, type SessionMeta } from './refresh-tokens';

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

export async function issueTokens(
  tx: Tx,
  config: TokenConfig,
  input: { tenantId: string; userId: string; memberships: Membership[]; familyId?: string; meta?: SessionMeta },
): Promise<IssuedTokens> {
  const { refreshToken, familyId } = await createRefreshSession(tx, {
    tenantId: input.tenantId,
    userId: input.userId,
    familyId: input.familyId,
    ttlDays: config.refreshTtlDays,
    meta: input.meta,
  });
  const accessToken = await signAccessToken(config, {
    userId: input.userId,
    tenantId: input.tenantId,
    sessionFamilyId: familyId,
    memberships: input.memberships,
  });
  return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: config.accessTtlSeconds };
}
