import { withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { recordEvent } from '../events/record-event';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { notFound } from '../shared/errors';
import { requireMerchantWrite, requireUser } from '../shared/policies';
import { type ApiKeyView, toApiKeyView } from './api-key-view';

/** Revokes a key at once; revoking twice is harmless and answers the same. */
export async function revokeApiKey(deps: Deps, actor: Actor, keyId: string): Promise<ApiKeyView> {
  requireUser(actor);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const key = await tx.apiKey.findUnique({ where: { id: keyId } });
    if (!key) throw notFound('API key', keyId);
    requireMerchantWrite(actor, key.merchantId);
    if (key.revokedAt) return toApiKeyView(key);
    const revoked = await tx.apiKey.update({ where: { id: keyId }, data: { revokedAt: new Date() } });
    await writeAudit(tx, actor, { action: 'api_key.revoked', subjectType: 'api_key', subjectId: keyId, data: { merchantId: key.merchantId } });
    await recordEvent(tx, {
      tenantId: actor.tenantId,
      type: 'api_key.revoked',
      subjectType: 'api_key',
      subjectId: keyId,
      payload: { merchantId: key.merchantId, prefix: key.prefix },
    });
    return toApiKeyView(revoked);
  });
}
