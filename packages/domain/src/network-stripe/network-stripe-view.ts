import type { NetworkStripeAccount } from '@app/db/generated/prisma/client';

/** The events the network's Stripe webhook endpoint should send (docs/top-ups.md). */
export const NETWORK_STRIPE_EVENTS = [
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'checkout.session.expired',
] as const;

/** The network's Stripe setting as its staff see it: never either secret. */
export interface NetworkStripeView {
  configured: boolean;
  /** `test` or `live`, from the saved key's prefix; null when none is saved. */
  mode: 'test' | 'live' | null;
  webhookUrl: string;
  events: string[];
  updatedAt: string | null;
}

/** The URL to give Stripe: by tenant id, which never changes (a slug might). */
export function networkStripeWebhookUrl(publicUrl: string, tenantId: string): string {
  return `${publicUrl}/v1/integrations/stripe/network/${encodeURIComponent(tenantId)}/webhook`;
}

export function toNetworkStripeView(
  publicUrl: string,
  tenantId: string,
  account: Pick<NetworkStripeAccount, 'secretKey' | 'updatedAt'> | null,
): NetworkStripeView {
  return {
    configured: account !== null,
    mode: account ? (/^(sk|rk)_live_/.test(account.secretKey) ? 'live' : 'test') : null,
    webhookUrl: networkStripeWebhookUrl(publicUrl, tenantId),
    events: [...NETWORK_STRIPE_EVENTS],
    updatedAt: account ? account.updatedAt.toISOString() : null,
  };
}
