import { isId } from '@app/db/ids';
import { withTenant } from '@app/db/with-tenant';
import { eventTime } from '../integrations/stripe/stripe-event-context';
import { parseStripeEvent } from '../integrations/stripe/stripe-objects';
import { verifyStripeSignature } from '../integrations/stripe/stripe-signature';
import type { Deps } from '../shared/deps';
import { DomainError } from '../shared/errors';
import { settleTopUpCheckout, type TopUpEventEffect, type TopUpEventOutcome } from '../top-ups/settle-top-up-checkout';
import { NETWORK_STRIPE_EVENTS } from './network-stripe-view';

export interface NetworkStripeWebhookAnswer {
  received: true;
  duplicate?: true;
  outcome: TopUpEventOutcome;
  topUpId?: string;
}

const HANDLED: ReadonlySet<string> = new Set(NETWORK_STRIPE_EVENTS);

/**
 * The network's own Stripe account reports an event (top-up payments). Checks, in order:
 * the network has a Stripe account saved (else 404, the same for an unknown network),
 * the signature over the raw body with its webhook secret and the signature's time
 * (±300 s), then the event's shape. Nothing is written before all three pass.
 *
 * Handling runs in one transaction with the row that marks the event id as seen for the
 * network: a failure stores nothing (Stripe retries), a repeat of the id — a replayed
 * delivery — finds the row and does nothing (`duplicate: true`).
 */
export async function receiveNetworkStripeWebhook(
  deps: Deps,
  tenantId: string,
  rawBody: string | Uint8Array,
  signatureHeader: string | undefined,
  options: { now?: number } = {},
): Promise<NetworkStripeWebhookAnswer> {
  const [row] = isId('tenant', tenantId)
    ? await deps.prisma.$queryRaw<{ tenant_id: string; webhook_secret: string }[]>`
        SELECT tenant_id, webhook_secret FROM network_stripe_for_webhook(${tenantId})`
    : [];
  if (!row) throw new DomainError('not_found', `No Stripe account is connected for network ${tenantId}.`, { id: tenantId });
  const event = parseStripeEvent(verifyStripeSignature(rawBody, signatureHeader, row.webhook_secret, options.now));

  return withTenant(deps.prisma, row.tenant_id, async (tx) => {
    // Deliveries of one event queue here; the second then finds the first's row.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${row.tenant_id}), hashtext(${`network-stripe-event:${event.id}`}))`;
    const seen = await tx.networkStripeEvent.findUnique({
      where: { tenantId_eventId: { tenantId: row.tenant_id, eventId: event.id } },
      select: { outcome: true, topUpId: true },
    });
    if (seen) {
      return { received: true, duplicate: true, outcome: seen.outcome as TopUpEventOutcome, ...(seen.topUpId ? { topUpId: seen.topUpId } : {}) };
    }
    const effect: TopUpEventEffect = HANDLED.has(event.type) ? await settleTopUpCheckout(tx, row.tenant_id, event) : { outcome: 'ignored' };
    await tx.networkStripeEvent.create({
      data: {
        tenantId: row.tenant_id,
        eventId: event.id,
        type: event.type,
        eventCreated: eventTime(event),
        outcome: effect.outcome,
        topUpId: effect.topUpId ?? null,
        amount: effect.amount ?? null,
        currency: effect.currency ?? null,
      },
    });
    return { received: true, outcome: effect.outcome, ...(effect.topUpId ? { topUpId: effect.topUpId } : {}) };
  });
}
