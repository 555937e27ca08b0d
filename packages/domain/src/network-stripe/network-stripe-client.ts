import Stripe from 'stripe';
import { DomainError } from '../shared/errors';
import { amountToNumber } from '../shared/money';

/** Where and how the platform calls Stripe's API for networks (config, passed down). */
export interface StripeApiOptions {
  /** Base URL of Stripe's API (`STRIPE_API_BASE`); unset: Stripe itself. */
  apiBase?: string;
  /** Per call (`STRIPE_TIMEOUT_MS`). */
  timeoutMs?: number;
}

export interface CheckoutSessionRequest {
  topUpId: string;
  tenantId: string;
  merchantId: string;
  merchantName: string;
  amount: bigint;
  currency: string;
  successUrl: string;
  cancelUrl: string;
}

export interface CreatedCheckoutSession {
  id: string;
  url: string;
}

/** The stripe library's connection options for an API base URL (host, port, protocol). */
export function stripeHostOptions(apiBase: string | undefined): Pick<Stripe.StripeConfig, 'host' | 'port' | 'protocol'> {
  if (!apiBase) return {};
  const url = new URL(apiBase);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { host: url.hostname, port: url.port || (protocol === 'http' ? 80 : 443), protocol };
}

/**
 * Creates a Checkout Session in the network's own Stripe account for one top-up: one
 * line item of exactly the top-up's amount and currency, the top-up id as
 * `client_reference_id` and in the metadata (with the merchant and network), Adaptive
 * Pricing off so the customer pays in the top-up's currency. The idempotency key is the
 * top-up's: the library's retry of a call that timed out cannot make a second session.
 *
 * Stripe's refusals become domain errors: a key Stripe rejects is `invalid_state` (a
 * network admin must save a valid one), a parameter it rejects (an amount below its
 * minimum, a currency it does not support) `validation_failed`, anything else
 * (unreachable, 5xx, rate-limited) `service_unavailable`.
 */
export async function createTopUpCheckoutSession(
  secretKey: string,
  request: CheckoutSessionRequest,
  options: StripeApiOptions = {},
): Promise<CreatedCheckoutSession> {
  const stripe = new Stripe(secretKey, {
    ...stripeHostOptions(options.apiBase),
    timeout: options.timeoutMs ?? 8_000,
    maxNetworkRetries: 1,
    telemetry: false,
  });
  const metadata = { topUpId: request.topUpId, merchantId: request.merchantId, tenantId: request.tenantId };
  let session: Stripe.Checkout.Session;
  try {
    session = await stripe.checkout.sessions.create(
      {
        mode: 'payment',
        line_items: [
          {
            quantity: 1,
            price_data: {
              currency: request.currency.toLowerCase(),
              unit_amount: amountToNumber(request.amount),
              product_data: { name: `Prepaid balance top-up: ${request.merchantName}`.slice(0, 250) },
            },
          },
        ],
        adaptive_pricing: { enabled: false },
        client_reference_id: request.topUpId,
        metadata,
        success_url: request.successUrl,
        cancel_url: request.cancelUrl,
      },
      { idempotencyKey: `top_up:${request.topUpId}` },
    );
  } catch (error) {
    throw stripeFailure(error);
  }
  if (!session.id || !session.url) {
    throw new DomainError('service_unavailable', 'Stripe answered a Checkout Session without a URL to pay at; try again.');
  }
  return { id: session.id, url: session.url };
}

function stripeFailure(error: unknown): DomainError {
  if (error instanceof Stripe.errors.StripeAuthenticationError || error instanceof Stripe.errors.StripePermissionError) {
    return new DomainError(
      'invalid_state',
      "The network's Stripe account refused the saved secret key; a network owner or admin must save a valid one (PUT /v1/network/integrations/stripe).",
      { stripeRequestId: error.requestId ?? null },
    );
  }
  if (error instanceof Stripe.errors.StripeInvalidRequestError) {
    return new DomainError('validation_failed', `Stripe refused the payment: ${error.message}`, {
      errors: [{ path: stripeParamPath(error.param), message: error.message }],
      stripeParam: error.param ?? null,
      stripeRequestId: error.requestId ?? null,
    });
  }
  if (error instanceof Stripe.errors.StripeError) {
    return new DomainError('service_unavailable', `Stripe could not create the payment page (${error.type}); try again.`, {
      stripeRequestId: error.requestId ?? null,
    });
  }
  return new DomainError('service_unavailable', 'Stripe could not be reached to create the payment page; try again.');
}

/** The request field a Stripe parameter error is about. */
function stripeParamPath(param: string | undefined): string {
  if (param?.includes('currency')) return 'currency';
  if (param?.includes('amount')) return 'amount';
  return 'body';
}
