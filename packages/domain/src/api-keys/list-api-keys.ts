import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { forbidden } from '../shared/errors';
import { decodeCursor, pageOf } from '../shared/pagination';
import { memberMerchantIds, networkRole, requireMerchantRead, requireUser } from '../shared/policies';
import { type ApiKeyView, toApiKeyView } from './api-key-view';

export async function listApiKeys(
  deps: Deps,
  actor: Actor,
  input: { limit: number; cursor?: string; merchantId?: string; includeRevoked?: boolean },
): Promise<{ data: ApiKeyView[]; nextCursor: string | null }> {
  requireUser(actor);
  let merchantIds: string[] | null;
  if (input.merchantId) {
    requireMerchantRead(actor, input.merchantId);
    merchantIds = [input.merchantId];
  } else if (networkRole(actor)) {
    merchantIds = null;
  } else {
    merchantIds = memberMerchantIds(actor);
    if (merchantIds.length === 0) throw forbidden('Only merchant members and network staff can list API keys.');
  }
  const before = decodeCursor(input.cursor);
  const rows = await withTenant(deps.prisma, actor.tenantId, (tx) =>
    tx.apiKey.findMany({
      where: {
        ...(merchantIds ? { merchantId: { in: merchantIds } } : {}),
        ...(input.includeRevoked ? {} : { revokedAt: null }),
        ...(before ? { id: { lt: before } } : {}),
      },
      orderBy: { id: 'desc' },
      take: input.limit + 1,
    }),
  );
  const page = pageOf(rows, input.limit);
  return { data: page.data.map(toApiKeyView), nextCursor: page.nextCursor };
}
