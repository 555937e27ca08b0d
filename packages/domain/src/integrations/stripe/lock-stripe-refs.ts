import type { Tx } from '@app/db/with-tenant';

/**
 * Serialises the events of one merchant that name the same Stripe objects (a payment
 * intent, an invoice, a charge, a checkout session) until the transaction ends: a refund
 * and its sale handled at the same moment then see each other — the refund applies to
 * the sale, or waits and the sale picks it up — instead of missing each other. Locks are
 * taken in a fixed order so two events never wait on each other.
 */
export async function lockStripeRefs(tx: Tx, merchantId: string, refs: string[]): Promise<void> {
  for (const ref of [...new Set(refs)].sort()) {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${merchantId}), hashtext(${`stripe:${ref}`}))`;
  }
}
