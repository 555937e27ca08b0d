import { isId, newId } from '@app/db/ids';
import { isUniqueViolation, withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { recordEvent } from '../events/record-event';
import type { Actor, Membership } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { DomainError } from '../shared/errors';
import { type IssuedTokens, issueTokens } from './issue-tokens';
import { hashPassword } from './passwords';
import type { SessionMeta } from './refresh-tokens';
import { getTenantBySlugOrThrow } from './resolve-tenant';

export interface SignUpPartnerInput {
  network: string;
  name: string;
  email: string;
  password: string;
  website?: string;
  referredBy?: string;
}

export interface SignUpPartnerResult extends IssuedTokens {
  affiliate: { id: string; status: 'pending' | 'active' | 'suspended' };
  user: { id: string; email: string; name: string };
}

/**
 * An affiliate joins a network: one affiliate account and its user. Networks that
 * review partners (`settings.affiliateApproval = "manual"`) start them as `pending`.
 * `referredBy` (a recruit link's affiliate id) becomes the parent for two-tier plans
 * when it names an active affiliate of the same network; anything else is ignored.
 */
export async function signUpPartner(deps: Deps, input: SignUpPartnerInput, meta: SessionMeta & { requestId?: string } = {}): Promise<SignUpPartnerResult> {
  const tenant = await getTenantBySlugOrThrow(deps.prisma, input.network);
  const passwordHash = await hashPassword(input.password);
  const affiliateId = newId('affiliate');
  const userId = newId('user');
  const memberships: Membership[] = [{ scope: 'affiliate', affiliateId, role: 'owner' }];
  const actor: Actor = { type: 'user', tenantId: tenant.id, userId, memberships, requestId: meta.requestId, ip: meta.ip };
  try {
    return await withTenant(deps.prisma, tenant.id, async (tx) => {
      const settings = (await tx.tenant.findUniqueOrThrow({ where: { id: tenant.id } })).settings as Record<string, unknown>;
      const status = settings.affiliateApproval === 'manual' ? 'pending' : 'active';
      let parentAffiliateId: string | null = null;
      if (input.referredBy && isId('affiliate', input.referredBy)) {
        const parent = await tx.affiliate.findFirst({ where: { id: input.referredBy, status: 'active' } });
        parentAffiliateId = parent?.id ?? null;
      }
      const affiliate = await tx.affiliate.create({
        data: { id: affiliateId, tenantId: tenant.id, name: input.name, email: input.email, website: input.website ?? null, status, parentAffiliateId },
      });
      const user = await tx.user.create({ data: { id: userId, tenantId: tenant.id, email: input.email, name: input.name, passwordHash } });
      await tx.membership.create({
        data: { id: newId('membership'), tenantId: tenant.id, userId, scope: 'affiliate', affiliateId, role: 'owner' },
      });
      await writeAudit(tx, actor, { action: 'affiliate.signed_up', subjectType: 'affiliate', subjectId: affiliateId, data: { parentAffiliateId } });
      await recordEvent(tx, {
        tenantId: tenant.id,
        type: 'affiliate.created',
        subjectType: 'affiliate',
        subjectId: affiliateId,
        payload: { email: user.email, name: user.name, networkName: tenant.name, status },
      });
      const tokens = await issueTokens(tx, deps.tokens, { tenantId: tenant.id, userId, memberships, meta });
      return {
        ...tokens,
        affiliate: { id: affiliate.id, status: affiliate.status as SignUpPartnerResult['affiliate']['status'] },
        user: { id: user.id, email: user.email, name: user.name },
      };
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new DomainError('already_exists', 'An account with this email already exists in this network; sign in instead.', { field: 'email' });
    }
    throw error;
  }
}
