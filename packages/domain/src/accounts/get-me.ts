import { withTenant } from '@app/db/with-tenant';
import type { Actor, Membership } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { DomainError } from '../shared/errors';

export interface Me {
  actor: 'user' | 'api_key';
  tenant: { id: string; slug: string; name: string; defaultCurrency: string };
  user: { id: string; email: string; name: string } | null;
  apiKey: { id: string; merchantId: string; type: 'secret' | 'publishable' } | null;
  memberships: Membership[];
}

export async function getMe(deps: Deps, actor: Actor): Promise<Me> {
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const tenant = await tx.tenant.findUniqueOrThrow({ where: { id: actor.tenantId } });
    const base = { tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name, defaultCurrency: tenant.defaultCurrency } };
    if (actor.type === 'api_key') {
      return {
        ...base,
        actor: 'api_key',
        user: null,
        apiKey: { id: actor.keyId, merchantId: actor.merchantId, type: actor.keyType },
        memberships: [{ scope: 'merchant', merchantId: actor.merchantId, role: 'admin' }],
      };
    }
    if (actor.type !== 'user') throw new DomainError('unauthenticated', 'Sign in first.');
    const user = await tx.user.findUnique({ where: { id: actor.userId } });
    if (user?.status !== 'active') throw new DomainError('invalid_token', 'This account no longer exists or is disabled.');
    return { ...base, actor: 'user', user: { id: user.id, email: user.email, name: user.name }, apiKey: null, memberships: actor.memberships };
  });
}
