import { newId } from '@app/db/ids';
import { isUniqueViolation, withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { recordEvent } from '../events/record-event';
import type { Actor, Membership } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { DomainError } from '../shared/errors';
import { type IssuedTokens, issueTokens } from './issue-tokens';
import { hashPassword } from './passwords';
import type { SessionMeta } from './refresh-tokens';

export interface SignUpNetworkInput {
  network: { name: string; slug: string; defaultCurrency: string };
  owner: { name: string; email: string; password: string };
}

export interface SignUpNetworkResult extends IssuedTokens {
  tenant: { id: string; slug: string; name: string };
  user: { id: string; email: string; name: string };
}

/** Creates a network (tenant) and its owner, and signs the owner in. */
export async function signUpNetwork(deps: Deps, input: SignUpNetworkInput, meta: SessionMeta & { requestId?: string } = {}): Promise<SignUpNetworkResult> {
  const tenantId = newId('tenant');
  const userId = newId('user');
  const passwordHash = await hashPassword(input.owner.password);
  const memberships: Membership[] = [{ scope: 'network', role: 'owner' }];
  const actor: Actor = { type: 'user', tenantId, userId, memberships, requestId: meta.requestId, ip: meta.ip };
  try {
    return await withTenant(deps.prisma, tenantId, async (tx) => {
      const tenant = await tx.tenant.create({
        data: { id: tenantId, slug: input.network.slug, name: input.network.name, defaultCurrency: input.network.defaultCurrency },
      });
      const user = await tx.user.create({
        data: { id: userId, tenantId, email: input.owner.email, name: input.owner.name, passwordHash },
      });
      await tx.membership.create({ data: { id: newId('membership'), tenantId, userId, scope: 'network', role: 'owner' } });
      await writeAudit(tx, actor, { action: 'network.created', subjectType: 'tenant', subjectId: tenantId, data: { slug: tenant.slug } });
      await recordEvent(tx, {
        tenantId,
        type: 'network.created',
        subjectType: 'tenant',
        subjectId: tenantId,
        payload: { email: user.email, name: user.name, networkName: tenant.name, networkSlug: tenant.slug },
      });
      const tokens = await issueTokens(tx, deps.tokens, { tenantId, userId, memberships, meta });
      return {
        ...tokens,
        tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name },
        user: { id: user.id, email: user.email, name: user.name },
      };
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new DomainError('already_exists', `The network name "${input.network.slug}" is taken; choose another slug.`, {
        field: 'network.slug',
      });
    }
    throw error;
  }
}
