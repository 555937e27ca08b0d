import type { Program } from '@app/db/generated/prisma/client';
import type { Tx } from '@app/db/with-tenant';
import type { StripeMerchant } from './stripe-event-context';

/**
 * The program a Stripe conversion goes to: the one the event names (metadata.program_id)
 * when it is this merchant's, else the one set with the signing secret.
 */
export async function stripeProgram(tx: Tx, merchant: StripeMerchant, named: string | null): Promise<Program> {
  if (named && named !== merchant.stripeProgramId) {
    const program = await tx.program.findFirst({ where: { id: named, merchantId: merchant.id } });
    if (program) return program;
  }
  const configured = await tx.program.findFirst({ where: { id: merchant.stripeProgramId, merchantId: merchant.id } });
  // Programs are never deleted nor moved to another merchant, and the setting is checked
  // when saved: a miss here is a broken invariant, not a client error.
  if (!configured) throw new Error(`the Stripe program ${merchant.stripeProgramId} of merchant ${merchant.id} is missing`);
  return configured;
}

/** The program a subscription's earlier conversions (its checkout, earlier invoices) went to. */
export async function programOfSubscription(tx: Tx, merchantId: string, subscription: string): Promise<string | null> {
  const [row] = await tx.$queryRaw<{ program_id: string }[]>`
    SELECT program_id FROM conversions
     WHERE merchant_id = ${merchantId} AND source = 'stripe' AND metadata->>'subscription' = ${subscription}
     ORDER BY created_at, id LIMIT 1`;
  return row?.program_id ?? null;
}
