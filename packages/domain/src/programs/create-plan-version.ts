import type { CommissionPlan } from '@app/contracts/commission-plans';
import { newId } from '@app/db/ids';
import { withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { recordEvent } from '../events/record-event';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { DomainError } from '../shared/errors';
import { requireMerchantWrite } from '../shared/policies';
import { loadProgramOrThrow, type PlanVersionView, toPlanVersionView } from './program-view';

/** Grace for clocks: an effective date up to a minute in the past counts as "now". */
const PAST_TOLERANCE_MS = 60_000;

/**
 * Changes a program's plan by adding a version, in force from `effectiveFrom` (now by
 * default, never earlier: commissions already computed keep the version they used).
 */
export async function createPlanVersion(
  deps: Deps,
  actor: Actor,
  programId: string,
  input: { plan: CommissionPlan; effectiveFrom?: string },
): Promise<PlanVersionView> {
  const now = Date.now();
  const effectiveFrom = input.effectiveFrom ? new Date(input.effectiveFrom) : new Date(now);
  if (effectiveFrom.getTime() < now - PAST_TOLERANCE_MS) {
    throw new DomainError('validation_failed', 'A plan change cannot take effect in the past.', {
      errors: [{ path: 'effectiveFrom', message: 'must be now or later' }],
    });
  }
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    // Serialise version numbering per program.
    await tx.$queryRaw`SELECT id FROM programs WHERE id = ${programId} FOR UPDATE`;
    const program = await loadProgramOrThrow(tx, programId);
    requireMerchantWrite(actor, program.merchantId);
    if (program.status === 'archived') throw new DomainError('invalid_state', 'An archived program cannot change its plan.');
    const last = await tx.programPlanVersion.findFirst({ where: { programId }, orderBy: { version: 'desc' } });
    const version = await tx.programPlanVersion.create({
      data: {
        id: newId('planVersion'),
        tenantId: actor.tenantId,
        programId,
        version: (last?.version ?? 0) + 1,
        plan: input.plan as object,
        effectiveFrom,
        createdByUserId: actor.type === 'user' ? actor.userId : null,
      },
    });
    await writeAudit(tx, actor, {
      action: 'program.plan_changed',
      subjectType: 'program',
      subjectId: programId,
      data: { version: version.version, effectiveFrom },
    });
    await recordEvent(tx, {
      tenantId: actor.tenantId,
      type: 'program.plan_changed',
      subjectType: 'program',
      subjectId: programId,
      payload: { version: version.version, effectiveFrom: effectiveFrom.toISOString() },
    });
    return toPlanVersionView(version);
  });
}
