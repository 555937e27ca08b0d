import { newId } from '@app/db/ids';
import { withTenant } from '@app/db/with-tenant';
import { hashPassword } from '../auth/passwords';
import type { Actor, MerchantRole } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { DomainError } from '../shared/errors';
import { requireMerchantWrite } from '../shared/policies';
import { loadMerchantOrThrow } from './get-merchant-or-throw';
import { addMembership, lockMerchant, type MerchantUserView } from './merchant-team';

/** Adds a user to a merchant's team: an existing user of the network by email, or a new
 *  one (then a password is required). Only owners may add owners. */
export async function addMerchantUser(
  deps: Deps,
  actor: Actor,
  merchantId: string,
  input: { name: string; email: string; password?: string; role: MerchantRole },
): Promise<MerchantUserView> {
  requireMerchantWrite(actor, merchantId);
  if (input.role === 'owner') requireMerchantWrite(actor, merchantId, ['owner']);
  const passwordHash = input.password ? await hashPassword(input.password) : null;
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    await lockMerchant(tx, merchantId);
    const merchant = await loadMerchantOrThrow(tx, merchantId);
    let user = await tx.user.findUnique({ where: { tenantId_email: { tenantId: actor.tenantId, email: input.email } } });
    if (!user) {
      if (!passwordHash) {
        throw new DomainError('validation_failed', 'This email has no account in the network yet: give a password for the new user.', {
          errors: [{ path: 'password', message: 'required for a new user' }],
        });
      }
      user = await tx.user.create({ data: { id: newId('user'), tenantId: actor.tenantId, email: input.email, name: input.name, passwordHash } });
    }
    const existing = await tx.membership.findFirst({ where: { userId: user.id, scope: 'merchant', merchantId } });
    if (existing) throw new DomainError('already_exists', `${input.email} is already a member of this merchant.`);
    return addMembership(tx, actor, { merchant, user, role: input.role });
  });
}
