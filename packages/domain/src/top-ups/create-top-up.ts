import { withTenant } from '@app/db/with-tenant';
import { loadMerchantOrThrow } from '../merchants/get-merchant-or-throw';
import type { StripeApiOptions } from '../network-stripe/network-stripe-client';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { type IdempotencyRequest, type IdempotentAnswer, idempotent } from '../shared/idempotency';
import { creditManualTopUp } from './credit-manual-top-up';
import { requireKnownCurrency } from './require-known-currency';
import { startStripeTopUp } from './start-stripe-top-up';
import { requireTopUpWrite } from './top-up-access';
import { type TopUpView, toTopUpView } from './top-up-view';

export type CreateTopUpInput = { method: 'stripe'; amount: number; currency: string } | { method: 'manual'; amount: number; currency: string; reason: string };

/**
 * `POST /v1/merchants/{id}/top-ups`. `stripe`: a Checkout Session in the network's own
 * Stripe account, the top-up pending until Stripe's webhook confirms the payment
 * (merchant or network owner/admin/finance). `manual`: network owner/admin/finance credit
 * money that reached the network another way, at once, with a reason (audited).
 *
 * Honours Idempotency-Key: the key's row, the top-up and (manual) its credit commit
 * together, so a repeat answers the first answer and never credits twice. The Stripe
 * call happens inside that transaction (a concurrent repeat waits for it), under the
 * top-up's own Stripe idempotency key; if anything after it fails, the session is left
 * unused at Stripe and its events name no top-up.
 */
export async function createTopUp(
  deps: Deps,
  actor: Actor,
  merchantId: string,
  input: CreateTopUpInput,
  idempotency?: Omit<IdempotencyRequest, 'scope'>,
  stripeApi: StripeApiOptions = {},
): Promise<IdempotentAnswer<TopUpView>> {
  requireTopUpWrite(actor, merchantId, input.method);
  requireKnownCurrency(input.currency);
  const amount = BigInt(input.amount);
  const scope = actor.type === 'api_key' ? actor.keyId : actor.type === 'user' ? actor.userId : 'system';
  return withTenant(
    deps.prisma,
    actor.tenantId,
    async (tx) => {
      const merchant = await loadMerchantOrThrow(tx, merchantId);
      return idempotent(tx, actor.tenantId, idempotency && { ...idempotency, scope }, async () => {
        const topUp =
          input.method === 'manual'
            ? await creditManualTopUp(tx, actor, merchant.id, { amount, currency: input.currency, reason: input.reason })
            : await startStripeTopUp(tx, deps.publicUrl, actor, merchant, { amount, currency: input.currency }, stripeApi);
        return { statusCode: 201, body: toTopUpView(topUp) };
      });
    },
    // Room for Stripe's answer (one retry) inside the transaction.
    { timeoutMs: 2 * (stripeApi.timeoutMs ?? 8_000) + 10_000 },
  );
}
