import { newId } from '@app/db/ids';
import type { Tx } from '@app/db/with-tenant';
import { hashEmail, tenantSalt } from '../shared/tenant-salt';

export interface CustomerRef {
  externalId?: string | null;
  email?: string | null;
  stripeCustomerId?: string | null;
}

/**
 * Finds or makes the merchant's customer a conversion names: by the merchant's id for it
 * first, then its Stripe id, then its e-mail hash; fills in what an earlier conversion
 * did not know. The e-mail is kept in clear only when the merchant opted in.
 */
export async function resolveCustomer(
  tx: Tx,
  tenantId: string,
  merchantId: string,
  ref: CustomerRef,
  storeEmail: boolean,
): Promise<{ id: string; emailHash: string | null } | null> {
  const externalId = ref.externalId ?? null;
  const stripeCustomerId = ref.stripeCustomerId ?? null;
  const emailHash = ref.email ? hashEmail(await tenantSalt(tx, tenantId), ref.email) : null;
  if (!externalId && !stripeCustomerId && !emailHash) return null;
  const email = storeEmail && ref.email ? ref.email.trim().toLowerCase() : null;

  // One customer is made at a time per merchant and identity: two conversions of a new
  // customer arriving together find one customer, not two.
  const identity = externalId ? `x:${externalId}` : stripeCustomerId ? `s:${stripeCustomerId}` : `e:${emailHash}`;
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${merchantId}), hashtext(${identity}))`;

  const candidates = [externalId ? { externalId } : null, stripeCustomerId ? { stripeCustomerId } : null, emailHash ? { emailHash } : null].filter(
    (c) => c !== null,
  );
  for (const where of candidates) {
    const found = await tx.customer.findFirst({ where: { merchantId, ...where }, orderBy: { id: 'asc' } });
    if (!found) continue;
    const fill: Record<string, string> = {};
    if (externalId && !found.externalId) fill.externalId = externalId;
    if (stripeCustomerId && !found.stripeCustomerId) fill.stripeCustomerId = stripeCustomerId;
    if (emailHash && !found.emailHash) fill.emailHash = emailHash;
    if (email && !found.email) fill.email = email;
    if (Object.keys(fill).length > 0) {
      // Another customer may already own the id being filled in: keep this one as it is then.
      const uniqueIds = Object.entries(fill)
        .filter(([k]) => k === 'externalId' || k === 'stripeCustomerId')
        .map(([k, v]) => ({ [k]: v }));
      const clash = uniqueIds.length
        ? await tx.customer.findFirst({ where: { merchantId, id: { not: found.id }, OR: uniqueIds }, select: { id: true } })
        : null;
      if (!clash) await tx.customer.update({ where: { id: found.id }, data: fill });
    }
    return { id: found.id, emailHash: found.emailHash ?? emailHash };
  }
  const created = await tx.customer.create({
    data: { id: newId('customer'), tenantId, merchantId, externalId, stripeCustomerId, emailHash, email },
  });
  return { id: created.id, emailHash };
}
