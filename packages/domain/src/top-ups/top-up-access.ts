import type { Actor, MerchantRole, NetworkRole } from '../shared/actor';
import { DomainError, forbidden } from '../shared/errors';
import { merchantRole, networkRole } from '../shared/policies';

/** The roles that handle money, in the network and in a merchant. */
const MONEY_ROLES: readonly (NetworkRole & MerchantRole)[] = ['owner', 'admin', 'finance'];

/**
 * Who may top a merchant's balance up, or set its low-balance threshold: network
 * owner/admin/finance always; the merchant's owner/admin/finance (a secret key counts as
 * its admin) for a Stripe payment and the threshold, never for a manual credit, which
 * only network staff make (the money arrived by another way they have checked). Other
 * members of the merchant or network get 403; anyone else 404.
 */
export function requireTopUpWrite(actor: Actor, merchantId: string, what: 'stripe' | 'manual' | 'threshold'): void {
  const nRole = networkRole(actor);
  if (nRole && MONEY_ROLES.includes(nRole)) return;
  const mRole = merchantRole(actor, merchantId);
  if (what !== 'manual' && mRole && MONEY_ROLES.includes(mRole)) return;
  if (mRole || nRole) {
    throw forbidden(
      what === 'manual'
        ? 'A manual credit is made by network owner, admin or finance staff.'
        : 'This action needs the role owner, admin or finance of the merchant or the network.',
    );
  }
  throw new DomainError('not_found', `Merchant ${merchantId} was not found.`, { id: merchantId });
}
