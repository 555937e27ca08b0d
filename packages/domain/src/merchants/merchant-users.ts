import { newId } from '@app/db/ids';
import { type Tx, withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { hashPassword } from '../auth/passwords';
import { recordEvent } from '../events/record-event';
import type { Actor, MerchantRole } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { DomainError, notFound } from '../shared/errors';
import { requireMerchantRead, requireMerchantWrite } from '../shared/policies';
import { loadMerchantOrThrow } from './get-merchant-or-throw';

// The team of a merchant: list, add, change role, remove. One file because the four
// share the same loading and the "a merchant keeps at least one owner" rule.

export interface MerchantUserView {
  userId: string;
  name: string;
  email: string;
  role: MerchantRole;
  addedAt: string;
}

async function teamOf(tx: Tx, merchantId: string): Promise<MerchantUserView[]> {
  const memberships = await tx.membership.findMany({ where: { scope: 'merchant', merchantId }, orderBy: { createdAt: 'asc' } });
  const users = await tx.user.findMany({ where: { id: { in: memberships.map((m) => m.userId) } } });
  const byId = new Map(users.map((u) => [u.id, u]));
  return memberships.flatMap((m) => {
    const u = byId.get(m.userId);
    return u ? [{ userId: u.id, name: u.name, email: u.email, role: m.role as MerchantRole, addedAt: m.createdAt.toISOString() }] : [];
  });
}

export async function listMerchantUsers(deps: Deps, actor: Actor, merchantId: string): Promise<MerchantUserView[]> {
  requireMerchantRead(actor, merchantId);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    await loadMerchantOrThrow(tx, merchantId);
    return teamOf(tx, merchantId);
  });
}

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
    const membership = await tx.membership.create({
      data: { id: newId('membership'), tenantId: actor.tenantId, userId: user.id, scope: 'merchant', merchantId, role: input.role },
    });
    await writeAudit(tx, actor, { action: 'member.added', subjectType: 'merchant', subjectId: merchantId, data: { userId: user.id, role: input.role } });
    const tenant = await tx.tenant.findUniqueOrThrow({ where: { id: actor.tenantId } });
    await recordEvent(tx, {
      tenantId: actor.tenantId,
      type: 'member.added',
      subjectType: 'user',
      subjectId: user.id,
      payload: {
        email: user.email,
        name: user.name,
        merchantId,
        merchantName: merchant.name,
        role: input.role,
        networkName: tenant.name,
        networkSlug: tenant.slug,
      },
    });
    return { userId: user.id, name: user.name, email: user.email, role: input.role, addedAt: membership.createdAt.toISOString() };
  });
}

async function membershipOrThrow(tx: Tx, merchantId: string, userId: string) {
  const m = await tx.membership.findFirst({ where: { userId, scope: 'merchant', merchantId } });
  if (!m) throw notFound('Member', userId);
  return m;
}

async function assertKeepsAnOwner(tx: Tx, merchantId: string, leavingUserId: string): Promise<void> {
  const owners = await tx.membership.count({ where: { scope: 'merchant', merchantId, role: 'owner', userId: { not: leavingUserId } } });
  if (owners === 0) throw new DomainError('invalid_state', 'A merchant must keep at least one owner; make someone else owner first.');
}

export async function updateMerchantUserRole(deps: Deps, actor: Actor, merchantId: string, userId: string, role: MerchantRole): Promise<MerchantUserView> {
  requireMerchantWrite(actor, merchantId);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    await loadMerchantOrThrow(tx, merchantId);
    const m = await membershipOrThrow(tx, merchantId, userId);
    // Granting or taking away ownership is for owners (or network admins).
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

export async function removeMerchantUser(deps: Deps, actor: Actor, merchantId: string, userId: string): Promise<void> {
  requireMerchantWrite(actor, merchantId);
  await withTenant(deps.prisma, actor.tenantId, async (tx) => {
    await loadMerchantOrThrow(tx, merchantId);
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
