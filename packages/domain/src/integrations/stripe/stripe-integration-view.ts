import type { Merchant } from '@app/db/generated/prisma/client';

/** The Stripe events a merchant's endpoint should send (what each does: docs/stripe.md). */
export const STRIPE_EVENTS = [
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'invoice.paid',
  'invoice_payment.paid',
  'charge.refunded',
] as const;

/** A merchant's Stripe webhook setting as its team sees it: never the signing secret. */
export interface StripeIntegrationView {
  merchantId: string;
  programId: string | null;
  webhookUrl: string;
  configured: boolean;
  events: string[];
}

export function stripeWebhookUrl(publicUrl: string, merchantId: string): string {
  return `${publicUrl}/v1/integrations/stripe/${encodeURIComponent(merchantId)}/webhook`;
}

export function toStripeIntegrationView(publicUrl: string, merchant: Pick<Merchant, 'id' | 'stripeWebhookSecret' | 'stripeProgramId'>): StripeIntegrationView {
  const configured = merchant.stripeWebhookSecret !== null && merchant.stripeProgramId !== null;
  return {
    merchantId: merchant.id,
    programId: configured ? merchant.stripeProgramId : null,
    webhookUrl: stripeWebhookUrl(publicUrl, merchant.id),
    configured,
    events: [...STRIPE_EVENTS],
  };
}
