import { Prisma } from '@app/db/generated/prisma/client';
import { newId } from '@app/db/ids';
import type { Tx } from '@app/db/with-tenant';
import { hashEmail, normalizeEmail, tenantSalt } from '../shared/tenant-salt';

export interface CustomerRef {
  externalId?: string | null;
  email?: string | null;
  stripeCustomerId?: string | null;
}

/** What a conversion knows of its customer, as compared: the e-mail hashed with the
 *  network's salt. `lockKey` names the identity a new customer is made under. */
export interface CustomerIdentity {
  externalId: string | null;
  stripeCustomerId: string | null;
  emailHash: string | null;
  /** Normalised; stored only when the merchant opted in. */
  email: string | null;
  lockKey: string;
}

/** A customer row to insert: what `settleCustomer` leaves to its caller's own statement. */
export interface NewCustomer {
  id: string;
  tenantId: string;
  merchantId: string;
  externalId: string | null;
  stripeCustomerId: string | null;
  emailHash: string | null;
  email: string | null;
}

export interface CustomerPlan {
  id: string;
  emailHash: string | null;
  /** Set when no customer matched: the caller inserts this row in the same transaction
   *  (the identity's lock is held until it ends). */
  create: NewCustomer | null;
}

/** A customer of the merchant that matches one of the identity's ids. */
export interface CustomerCandidate {
  id: string;
  external_id: string | null;
  stripe_customer_id: string | null;
  email_hash: string | null;
  email: string | null;
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
  const plan = await planCustomer(tx, tenantId, merchantId, ref, storeEmail);
  if (!plan) return null;
  if (plan.create) await tx.customer.create({ data: plan.create });
  return { id: plan.id, emailHash: plan.emailHash };
}

/**
 * resolveCustomer without the final insert: the customer found (filled in), or the row of
 * a new one for the caller to insert with its own statement. Two statements when the
 * customer exists or is new: the identity's lock, then the look-up.
 */
export async function planCustomer(tx: Tx, tenantId: string, merchantId: string, ref: CustomerRef, storeEmail: boolean): Promise<CustomerPlan | null> {
  const identity = await customerIdentity(tx, tenantId, ref);
  if (!identity) return null;
  await tx.$executeRaw`SELECT ${customerLock(Prisma.sql`${merchantId}`, identity)}`;
  const [{ candidates }] = await tx.$queryRaw<[{ candidates: CustomerCandidate[] }]>`SELECT ${customerCandidates(merchantId, identity)} AS candidates`;
  return settleCustomer(tx, tenantId, merchantId, identity, candidates, storeEmail);
}

/** The ids a customer reference gives; null when it gives none. */
export async function customerIdentity(tx: Tx, tenantId: string, ref: CustomerRef): Promise<CustomerIdentity | null> {
  const externalId = ref.externalId ?? null;
  const stripeCustomerId = ref.stripeCustomerId ?? null;
  const emailHash = ref.email ? hashEmail(await tenantSalt(tx, tenantId), ref.email) : null;
  if (!externalId && !stripeCustomerId && !emailHash) return null;
  const lockKey = externalId ? `x:${externalId}` : stripeCustomerId ? `s:${stripeCustomerId}` : `e:${emailHash}`;
  return { externalId, stripeCustomerId, emailHash, email: ref.email ? normalizeEmail(ref.email) : null, lockKey };
}

/**
 * One customer is made at a time per merchant and identity: two conversions of a new
 * customer arriving together find one customer, not two. A boolean expression taking the
 * transaction-scoped lock (`merchantId` may be a column of the statement it goes in). The
 * look-up must be a later statement: its snapshot then sees what the lock's last holder
 * committed.
 */
export function customerLock(merchantId: Prisma.Sql, identity: CustomerIdentity): Prisma.Sql {
  return Prisma.sql`(SELECT true FROM pg_advisory_xact_lock(hashtext(${merchantId}), hashtext(${identity.lockKey})))`;
}

/** A JSON array (in id order) of the merchant's customers that match any of the identity's
 *  ids: a sub-select to put in a statement after the one that took the lock. */
export function customerCandidates(merchantId: string, identity: CustomerIdentity): Prisma.Sql {
  return Prisma.sql`(
    SELECT coalesce(json_agg(c ORDER BY c.id), '[]'::json) FROM (
      SELECT id, external_id, stripe_customer_id, email_hash, email FROM customers
       WHERE merchant_id = ${merchantId}
         AND (external_id = ${identity.externalId} OR stripe_customer_id = ${identity.stripeCustomerId} OR email_hash = ${identity.emailHash})) c)`;
}

/**
 * Picks the customer among the candidates — the first match by the merchant's id, else by
 * the Stripe id, else by the e-mail hash — and fills in what it did not know; or plans a
 * new one when none matched.
 */
export async function settleCustomer(
  tx: Tx,
  tenantId: string,
  merchantId: string,
  identity: CustomerIdentity,
  rows: CustomerCandidate[],
  storeEmail: boolean,
): Promise<CustomerPlan> {
  const { externalId, stripeCustomerId, emailHash } = identity;
  const email = storeEmail ? identity.email : null;
  const found =
    (externalId && rows.find((r) => r.external_id === externalId)) ||
    (stripeCustomerId && rows.find((r) => r.stripe_customer_id === stripeCustomerId)) ||
    (emailHash && rows.find((r) => r.email_hash === emailHash)) ||
    null;
  if (!found) {
    const id = newId('customer');
    return { id, emailHash, create: { id, tenantId, merchantId, externalId, stripeCustomerId, emailHash, email } };
  }
  const fill: Record<string, string> = {};
  if (externalId && !found.external_id) fill.externalId = externalId;
  if (stripeCustomerId && !found.stripe_customer_id) fill.stripeCustomerId = stripeCustomerId;
  if (emailHash && !found.email_hash) fill.emailHash = emailHash;
  if (email && !found.email) fill.email = email;
  if (Object.keys(fill).length > 0) {
    // Another customer may already own the id being filled in (it is among the
    // candidates): keep this one as it is then.
    const clash = rows.some(
      (r) =>
        r.id !== found.id &&
        ((fill.externalId && r.external_id === fill.externalId) || (fill.stripeCustomerId && r.stripe_customer_id === fill.stripeCustomerId)),
    );
    if (!clash) await tx.customer.update({ where: { id: found.id }, data: fill });
  }
  return { id: found.id, emailHash: found.email_hash ?? emailHash, create: null };
}
