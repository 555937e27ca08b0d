import { commissionPlanSchema, mergePlans, type PlanOverride } from '@app/contracts/commission-plans';
import type { ProgramGroup } from '@app/db/generated/prisma/client';
import type { Tx } from '@app/db/with-tenant';
import { DomainError, notFound } from '../shared/errors';
import { planVersionsAround } from './program-view';

// Shared pieces of the partner-group use cases.

export interface GroupView {
  id: string;
  programId: string;
  name: string;
  planOverride: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export function toGroupView(g: ProgramGroup): GroupView {
  return {
    id: g.id,
    programId: g.programId,
    name: g.name,
    planOverride: g.planOverride as Record<string, unknown>,
    createdAt: g.createdAt.toISOString(),
    updatedAt: g.updatedAt.toISOString(),
  };
}

export async function loadGroupOrThrow(tx: Tx, programId: string, groupId: string): Promise<ProgramGroup> {
  const group = await tx.programGroup.findFirst({ where: { id: groupId, programId } });
  if (!group) throw notFound('Group', groupId);
  return group;
}

/** An override must leave a plan that still pays something once merged over the
 *  program's current plan (an override alone may remove keys with null). */
export async function assertOverridePays(tx: Tx, programId: string, override: PlanOverride): Promise<void> {
  const { current } = await planVersionsAround(tx, programId);
  if (!current) return;
  const merged = mergePlans(current.plan as never, override);
  const result = commissionPlanSchema.safeParse(merged);
  if (!result.success) {
    throw new DomainError('validation_failed', 'With this override the plan would not be valid.', {
      errors: result.error.issues.map((i) => ({ path: ['planOverride', ...i.path].join('.'), message: i.message })),
    });
  }
}
