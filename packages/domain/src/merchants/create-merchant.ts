import { newId } from '@app/db/ids';
import { isUniqueViolation, withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { hashPassword } from '../auth/passwords';
import { recordEvent } from '../events/record-event';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { DomainError } from '../shared/errors';
import { requireNetworkRole } from '../shared/policies';
import { addMembership } from './merchant-team';
import { type MerchantView, toMerchantView } from './merchant-view';

export interface CreateMerchantInput {
  name: string;
  website?: string;
  defaultCurrency?: string;
  owner: { name: string; email: string; password: string };
}

/** A network admin adds a merchant with its first user (the merchant's owner). */
export async function createMerchant(deps: Deps, actor: Actor, input: CreateMerchantInput): Promise<MerchantView> {
  requireNetworkRole(actor, ['owner', 'admin']);
  const passwordHash = await hashPassword(input.owner.password);
  try {
    return await withTenant(deps.prisma, actor.tenantId, async (tx) => {
      const tenant = await tx.tenant.findUniqueOrThrow({ where: { id: actor.tenantId } });
      const merchant = await tx.merchant.create({
        data: {
          id: newId('merchant'),
          tenantId: actor.tenantId,
          name: input.name,
          website: input.website ?? null,
          defaultCurrency: input.defaultCurrency ?? tenant.defaultCurrency,
        },
      });
      const user = await tx.user.create({
        data: { id: newId('user'), tenantId: actor.tenantId, email: input.owner.email, name: input.owner.name, passwordHash },
      });
      await writeAudit(tx, actor, {
        action: 'merchant.created',
        subjectType: 'merchant',
        subjectId: merchant.id,
        data: { name: merchant.name, ownerUserId: user.id },
      });
      await recordEvent(tx, {
        tenantId: actor.tenantId,
        type: 'merchant.created',
        subjectType: 'merchant',
        subjectId: merchant.id,
        payload: { merchantName: merchant.name, networkName: tenant.name },
      });
      await addMembership(tx, actor, { merchant, user, role: 'owner' });
      return toMerchantView(merchant);
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new DomainError(
        'already_exists',
        `A user with the email ${input.owner.email} already exists in this network; add them to the merchant with POST /v1/merchants/{id}/users instead.`,
        {
          field: 'owner.email',
        },
      );
    }
    throw error;
  }
}
