import { withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { recordEvent } from '../events/record-event';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { requireMerchantWrite, requireNetworkRole } from '../shared/policies';
import { loadMerchantOrThrow } from './get-merchant-or-throw';
import { type MerchantView, toMerchantView } from './merchant-view';

export interface UpdateMerchantInput {
  name?: string;
  website?: string | null;
  defaultCurrency?: string;
  status?: 'active' | 'suspended';
  storeCustomerEmails?: boolean;
}

/** Merchant owners/admins edit their profile; only network owners/admins change status. */
export async function updateMerchant(deps: Deps, actor: Actor, merchantId: string, input: UpdateMerchantInput): Promise<MerchantView> {
  requireMerchantWrite(actor, merchantId);
  if (input.status !== undefined) requireNetworkRole(actor, ['owner', 'admin']);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const before = await loadMerchantOrThrow(tx, merchantId);
    const merchant = await tx.merchant.update({ where: { id: merchantId }, data: input });
    const changed = Object.keys(input).filter((k) => (before as Record<string, unknown>)[k] !== (merchant as Record<string, unknown>)[k]);
    await writeAudit(tx, actor, { action: 'merchant.updated', subjectType: 'merchant', subjectId: merchantId, data: { changed, ...input } });
    await recordEvent(tx, { tenantId: actor.tenantId, type: 'merchant.updated', subjectType: 'merchant', subjectId: merchantId, payload: { changed } });
    return toMerchantView(merchant);
  });
}
