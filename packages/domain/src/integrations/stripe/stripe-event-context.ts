import type { StripeOutcome } from '@app/contracts/stripe';
import type { Tx } from '@app/db/with-tenant';
import type { StripeEvent } from './stripe-objects';

/** The merchant a Stripe webhook belongs to, as its handlers need it. */
export interface StripeMerchant {
  id: string;
  tenantId: string;
  status: string;
  /** The program events go to unless one names another of the merchant's programs. */
  stripeProgramId: string;
  storeCustomerEmails: boolean;
}

/** One verified, not yet handled event, inside the merchant's tenant transaction. */
export interface StripeEventContext {
  tx: Tx;
  merchant: StripeMerchant;
  event: StripeEvent;
}

/** What handling an event did; kept with the event id for de-duplication. */
export interface StripeEffect {
  outcome: StripeOutcome;
  conversionId?: string;
  /** An invoice and the payment that paid it, when the event names both (or one). */
  invoiceId?: string | null;
  paymentRef?: string | null;
}

/** When the event happened at Stripe (its `created`, seconds). */
export function eventTime(event: StripeEvent): Date {
  return new Date(event.created * 1000);
}
