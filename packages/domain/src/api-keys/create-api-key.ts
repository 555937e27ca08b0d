import { newId } from '@app/db/ids';
import { withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { hashToken } from '../auth/refresh-tokens';
import { recordEvent } from '../events/record-event';
import { loadMerchantOrThrow } from '../merchants/get-merchant-or-throw';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { requireMerchantWrite, requireUser } from '../shared/policies';
import { type ApiKeyView, generateApiKey, toApiKeyView } from './api-key-view';

export async function createApiKey(
  deps: Deps,
  actor: Actor,
  input: { merchantId: string; type: 'secret' | 'publishable'; name: string },
): Promise<ApiKeyView & { key: string }> {
  requireUser(actor); // keys do not mint keys
  requireMerchantWrite(actor, input.merchantId);
  const key = generateApiKey(input.type);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const merchant = await loadMerchantOrThrow(tx, input.merchantId);
    const row = await tx.apiKey.create({
      data: {
        id: newId('apiKey'),
        tenantId: actor.tenantId,
        merchantId: merchant.id,
        type: input.type,
        name: input.name,
        prefix: key.slice(0, 10),
        keyHash: hashToken(key),
        createdByUserId: actor.userId,
      },
    });
    await writeAudit(tx, actor, {
      action: 'api_key.created',
      subjectType: 'api_key',
      subjectId: row.id,
      data: { merchantId: merchant.id, type: input.type, name: input.name },
    });
    const creator = await tx.user.findUnique({ where: { id: actor.userId } });
    await recordEvent(tx, {
      tenantId: actor.tenantId,
      type: 'api_key.created',
      subjectType: 'api_key',
      subjectId: row.id,
      payload: {
        merchantId: merchant.id,
        merchantName: merchant.name,
        keyName: input.name,
        keyType: input.type,
        keyPrefix: row.prefix,
        email: creator?.email,
        name: creator?.name,
      },
    });
    return { ...toApiKeyView(row), key };
  });
}
