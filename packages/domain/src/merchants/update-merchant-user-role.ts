import { withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { recordEvent } from '../events/record-event';
import type { Actor, MerchantRole } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { notFound } from '../shared/errors';
import { requireMerchantWrite } from '../shared/policies';
import { assertKeepsAnOwner, lockMerchant, type MerchantUserView, membershipOrThrow, teamOf } from './merchant-team';

/** Changes a member's role. Granting or taking away ownership is for owners (or network
 *  admins), and a merchant always keeps one owner. */
export async function updateMerchantUserRole(deps: Deps, actor: Actor, merchantId: string, userId: string, role: MerchantRole): Promise<MerchantUserView> {
  requireMerchantWrite(actor, merchantId);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    await lockMerchant(tx, merchantId);
    const m = await membershipOrThrow(tx, merchantId, userId);
    if (role === 'owner' || m.role === 'owner') requireMerchantWrite(actor, merchantId, ['owner']);
    if (m.role === 'owner' && role !== 'owner') await assertKeepsAnOwner(tx, merchantId, userId);
    await tx.membership.update({ where: { id: m.id }, data: { role } });
    await writeAudit(tx, actor, { action: 'member.role_changed', subjectType: 'merchant', subjectId: merchantId, data: { userId, from: m.role, to: role } });
    await recordEvent(tx, {
      tenantId: actor.tenantId,
      type: 'member.role_changed',
      subjectType: 'user',
      subjectId: userId,
      payload: { merchantId, from: m.role, to: role },
    });
    const view = (await teamOf(tx, merchantId)).find((u) => u.userId === userId);
    if (!view) throw notFound('Member', userId);
    return view;
  });
}
