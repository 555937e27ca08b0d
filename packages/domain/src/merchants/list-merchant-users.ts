import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { requireMerchantRead } from '../shared/policies';
import { loadMerchantOrThrow } from './get-merchant-or-throw';
import { type MerchantUserView, teamOf } from './merchant-team';

export async function listMerchantUsers(deps: Deps, actor: Actor, merchantId: string): Promise<MerchantUserView[]> {
  requireMerchantRead(actor, merchantId);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    await loadMerchantOrThrow(tx, merchantId);
    return teamOf(tx, merchantId);
  });
}
