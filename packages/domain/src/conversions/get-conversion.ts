import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { notFound } from '../shared/errors';
import { affiliateIdOf, requireMerchantRead } from '../shared/policies';
import { type ConversionView, type PartnerConversionView, toConversionView, toPartnerConversionView } from './conversion-view';

/** A conversion: in full for its merchant and network staff; an affiliate sees the ones
 *  attributed to it, without customer data. Anything else is 404. */
export async function getConversion(deps: Deps, actor: Actor, id: string): Promise<ConversionView | PartnerConversionView> {
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const c = await tx.conversion.findUnique({ where: { id } });
    if (!c) throw notFound('Conversion', id);
    const selfId = affiliateIdOf(actor);
    if (selfId) {
      if (c.affiliateId !== selfId || c.attribution !== 'attributed') throw notFound('Conversion', id);
      return toPartnerConversionView(c);
    }
    try {
      requireMerchantRead(actor, c.merchantId);
    } catch {
      throw notFound('Conversion', id);
    }
    const customer = c.customerId ? await tx.customer.findUnique({ where: { id: c.customerId }, select: { id: true, externalId: true, email: true } }) : null;
    return toConversionView(c, customer);
  });
}
