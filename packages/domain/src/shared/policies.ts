import type { Actor, MerchantRole, NetworkRole } from './actor';
import { DomainError, forbidden } from './errors';

/**
 * Role checks, one place. Network roles: owner and admin manage everything in the
 * network, finance handles money, analyst reads. Merchant roles mirror them inside one
 * merchant. Affiliates act only on their own account. A secret API key acts as its
 * merchant's admin; a publishable key may only report tracking events.
 */

export function networkRole(actor: Actor): NetworkRole | null {
  if (actor.type !== 'user') return null;
  const m = actor.memberships.find((x) => x.scope === 'network');
  return m ? m.role : null;
}

export function merchantRole(actor: Actor, merchantId: string): MerchantRole | null {
  if (actor.type === 'api_key') return actor.keyType === 'secret' && actor.merchantId === merchantId ? 'admin' : null;
  if (actor.type !== 'user') return null;
  const m = actor.memberships.find((x) => x.scope === 'merchant' && x.merchantId === merchantId);
  return m && m.scope === 'merchant' ? m.role : null;
}

/** Merchant ids the actor belongs to as a member (not through a network role). */
export function memberMerchantIds(actor: Actor): string[] {
  if (actor.type === 'api_key') return actor.keyType === 'secret' ? [actor.merchantId] : [];
  if (actor.type !== 'user') return [];
  return actor.memberships.flatMap((m) => (m.scope === 'merchant' ? [m.merchantId] : []));
}

export function affiliateIdOf(actor: Actor): string | null {
  if (actor.type !== 'user') return null;
  const m = actor.memberships.find((x) => x.scope === 'affiliate');
  return m && m.scope === 'affiliate' ? m.affiliateId : null;
}

export function requireUser(actor: Actor): asserts actor is Extract<Actor, { type: 'user' }> {
  if (actor.type !== 'user') throw forbidden('This action needs a signed-in user, not an API key.');
}

export function requireNetworkRole(actor: Actor, allowed: NetworkRole[] = ['owner', 'admin']): NetworkRole {
  const role = networkRole(actor);
  if (!role || !allowed.includes(role)) {
    throw forbidden(`This action needs the network role ${allowed.join(' or ')}.`);
  }
  return role;
}

/** Read access to a merchant's data: any network role, or any member of that merchant. */
export function requireMerchantRead(actor: Actor, merchantId: string): void {
  if (networkRole(actor) || merchantRole(actor, merchantId)) return;
  throw new DomainError('not_found', `Merchant ${merchantId} was not found.`, { id: merchantId });
}

/** Write access to a merchant: network owner/admin, or the merchant's owner/admin (or the
 *  roles given). Members of the merchant without the role get 403; others see 404. */
export function requireMerchantWrite(actor: Actor, merchantId: string, allowed: MerchantRole[] = ['owner', 'admin']): void {
  const nRole = networkRole(actor);
  if (nRole === 'owner' || nRole === 'admin') return;
  const mRole = merchantRole(actor, merchantId);
  if (mRole && allowed.includes(mRole)) return;
  if (mRole || nRole) throw forbidden(`This action needs the merchant role ${allowed.join(' or ')}.`);
  throw new DomainError('not_found', `Merchant ${merchantId} was not found.`, { id: merchantId });
}
