import type { Tx } from '@app/db/with-tenant';
import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { notFound } from '../shared/errors';
import { requireMerchantRead } from '../shared/policies';
import { type MerchantView, toMerchantView } from './merchant-view';

/** Loads a merchant of the current tenant (RLS hides other tenants' rows: 404). */
export async function loadMerchantOrThrow(tx: Tx, merchantId: string) {
  const merchant = await tx.merchant.findUnique({ where: { id: merchantId } });
  if (!merchant) throw notFound('Merchant', merchantId);
  return merchant;
}

export async function getMerchantOrThrow(deps: Deps, actor: Actor, merchantId: string): Promise<MerchantView> {
  requireMerchantRead(actor, merchantId);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => toMerchantView(await loadMerchantOrThrow(tx, merchantId)));
}
