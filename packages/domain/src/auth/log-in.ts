import { type Tx, withTenant } from '@app/db/with-tenant';
import type { Membership } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { DomainError } from '../shared/errors';
import { type IssuedTokens, issueTokens } from './issue-tokens';
import { loadMemberships, primaryRole } from './load-memberships';
import { dummyPasswordHash, verifyPassword } from './passwords';
import type { SessionMeta } from './refresh-tokens';
import { findTenantBySlug } from './resolve-tenant';

export interface LogInResult extends IssuedTokens {
  user: { id: string; email: string; name: string; role: string };
  memberships: Membership[];
}

const INVALID = () => new DomainError('invalid_credentials', 'The network, email or password is wrong.');

/** Signs a user in to a network. Unknown network, unknown email and wrong password give
 *  the same answer, after the same amount of work. */
export async function logIn(deps: Deps, input: { network: string; email: string; password: string }, meta: SessionMeta = {}): Promise<LogInResult> {
  const tenant = await findTenantBySlug(deps.prisma, input.network);
  if (!tenant) {
    await verifyPassword(input.password, await dummyPasswordHash());
    throw INVALID();
  }
  const user = await withTenant(deps.prisma, tenant.id, (tx) => tx.user.findUnique({ where: { tenantId_email: { tenantId: tenant.id, email: input.email } } }));
  const ok = await verifyPassword(input.password, user?.passwordHash ?? (await dummyPasswordHash()));
  if (!user || !ok) throw INVALID();
  if (user.status !== 'active') throw new DomainError('account_suspended', 'This account is disabled. Contact the network.');

  return withTenant(deps.prisma, tenant.id, async (tx) => {
    const memberships = await loadMemberships(tx, user.id);
    await assertAffiliateNotSuspended(tx, memberships);
    await tx.user.update({ where: { id: user.id }, data: { lastLoginAt: new Date() } });
    const tokens = await issueTokens(tx, deps.tokens, { tenantId: tenant.id, userId: user.id, memberships, meta });
    return {
      ...tokens,
      user: { id: user.id, email: user.email, name: user.name, role: primaryRole(memberships) },
      memberships,
    };
  });
}

export async function assertAffiliateNotSuspended(tx: Tx, memberships: Membership[]): Promise<void> {
  if (memberships.some((m) => m.scope !== 'affiliate')) return;
  const ids = memberships.flatMap((m) => (m.scope === 'affiliate' ? [m.affiliateId] : []));
  if (ids.length === 0) return;
  const active = await tx.affiliate.count({ where: { id: { in: ids }, status: { not: 'suspended' } } });
  if (active === 0) throw new DomainError('account_suspended', 'This affiliate account is suspended. Contact the network.');
}
