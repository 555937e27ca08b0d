import { newId } from '@app/db/ids';
import type { Tx } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { recordEvent } from '../events/record-event';
import type { Actor, MerchantRole } from '../shared/actor';
import { DomainError, notFound } from '../shared/errors';

// Shared pieces of the merchant-team use cases (list, add, change role, remove).

export interface MerchantUserView {
  userId: string;
  name: string;
  email: string;
  role: MerchantRole;
  addedAt: string;
}

export async function teamOf(tx: Tx, merchantId: string): Promise<MerchantUserView[]> {
  const memberships = await tx.membership.findMany({ where: { scope: 'merchant', merchantId }, orderBy: { createdAt: 'asc' } });
  const users = await tx.user.findMany({ where: { id: { in: memberships.map((m) => m.userId) } } });
  const byId = new Map(users.map((u) => [u.id, u]));
  return memberships.flatMap((m) => {
    const u = byId.get(m.userId);
    return u ? [{ userId: u.id, name: u.name, email: u.email, role: m.role as MerchantRole, addedAt: m.createdAt.toISOString() }] : [];
  });
}

/** Locks the merchant row for the rest of the transaction, so that team changes running
 *  at once are serialised (two owners demoting each other cannot leave none). */
export async function lockMerchant(tx: Tx, merchantId: string): Promise<void> {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM merchants WHERE id = ${merchantId} FOR UPDATE`;
  if (rows.length === 0) throw notFound('Merchant', merchantId);
}

export async function membershipOrThrow(tx: Tx, merchantId: string, userId: string) {
  const m = await tx.membership.findFirst({ where: { userId, scope: 'merchant', merchantId } });
  if (!m) throw notFound('Member', userId);
  return m;
}

export async function assertKeepsAnOwner(tx: Tx, merchantId: string, leavingUserId: string): Promise<void> {
  const owners = await tx.membership.count({ where: { scope: 'merchant', merchantId, role: 'owner', userId: { not: leavingUserId } } });
  if (owners === 0) throw new DomainError('invalid_state', 'A merchant must keep at least one owner; make someone else owner first.');
}

/** Makes `user` a member of `merchant` with `role`: membership, audit entry and the
 *  `member.added` event (which mails the new member). */
export async function addMembership(
  tx: Tx,
  actor: Actor,
  input: { merchant: { id: string; name: string }; user: { id: string; email: string; name: string }; role: MerchantRole },
): Promise<MerchantUserView> {
  const { merchant, user, role } = input;
  const membership = await tx.membership.create({
    data: { id: newId('membership'), tenantId: actor.tenantId, userId: user.id, scope: 'merchant', merchantId: merchant.id, role },
  });
  await writeAudit(tx, actor, { action: 'member.added', subjectType: 'merchant', subjectId: merchant.id, data: { userId: user.id, role } });
  const tenant = await tx.tenant.findUniqueOrThrow({ where: { id: actor.tenantId } });
  await recordEvent(tx, {
    tenantId: actor.tenantId,
    type: 'member.added',
    subjectType: 'user',
    subjectId: user.id,
    payload: {
      email: user.email,
      name: user.name,
      merchantId: merchant.id,
      merchantName: merchant.name,
      role,
      networkName: tenant.name,
      networkSlug: tenant.slug,
    },
  });
  return { userId: user.id, name: user.name, email: user.email, role, addedAt: membership.createdAt.toISOString() };
}
