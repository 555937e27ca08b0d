import type { Tx } from '@app/db/with-tenant';
import { type CustomerRef, resolveCustomer } from '../../conversions/resolve-customer';
import { hashEmail, tenantSalt } from '../../shared/tenant-salt';
import type { StripeMerchant } from './stripe-event-context';

/**
 * The customer a Stripe conversion names. A Stripe customer id must lead to one customer
 * row, since a subscription's invoices find the customer its checkout bound by that id
 * alone. The shared resolution falls back to the e-mail when the id is new, and would
 * then attach the conversion to an earlier customer of the same address that carries
 * another Stripe id (Checkout makes a new Stripe customer per session) — where this id
 * cannot be recorded. So in that one case the id gets a customer of its own first.
 */
export async function stripeCustomerRef(tx: Tx, merchant: StripeMerchant, stripeCustomerId: string | null, email: string | null): Promise<CustomerRef | null> {
  if (!stripeCustomerId && !email) return null;
  if (stripeCustomerId && email) {
    const known = await tx.customer.findFirst({ where: { merchantId: merchant.id, stripeCustomerId }, select: { id: true } });
    if (!known) {
      const emailHash = hashEmail(await tenantSalt(tx, merchant.tenantId), email);
      const sameAddress = await tx.customer.findFirst({
        where: { merchantId: merchant.id, emailHash },
        orderBy: { id: 'asc' },
        select: { stripeCustomerId: true },
      });
      if (sameAddress?.stripeCustomerId && sameAddress.stripeCustomerId !== stripeCustomerId) {
        await resolveCustomer(tx, merchant.tenantId, merchant.id, { stripeCustomerId }, merchant.storeCustomerEmails);
      }
    }
  }
  return { stripeCustomerId, email };
}
