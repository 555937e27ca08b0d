import { withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { recordEvent } from '../events/record-event';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { requireMerchantWrite } from '../shared/policies';
import { assertKeepsAnOwner, lockMerchant, membershipOrThrow } from './merchant-team';

/** Removes a member from a merchant's team (the user keeps its other memberships). */
export async function removeMerchantUser(deps: Deps, actor: Actor, merchantId: string, userId: string): Promise<void> {
  requireMerchantWrite(actor, merchantId);
  await withTenant(deps.prisma, actor.tenantId, async (tx) => {
    await lockMerchant(tx, merchantId);
    const m = await membershipOrThrow(tx, merchantId, userId);
    if (m.role === 'owner') {
      requireMerchantWrite(actor, merchantId, ['owner']);
      await assertKeepsAnOwner(tx, merchantId, userId);
    }
    await tx.membership.delete({ where: { id: m.id } });
    await writeAudit(tx, actor, { action: 'member.removed', subjectType: 'merchant', subjectId: merchantId, data: { userId, role: m.role } });
    await recordEvent(tx, { tenantId: actor.tenantId, type: 'member.removed', subjectType: 'user', subjectId: userId, payload: { merchantId } });
  });
}
