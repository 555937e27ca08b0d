import { withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { recordEvent } from '../events/record-event';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { requireMerchantWrite } from '../shared/policies';
import { assertStatusTransition, loadProgramOrThrow, type ProgramView, toProgramView, validateProgramUrls } from './program-view';

/** Every editable field of a program (ids, currency, plan and timestamps are not). */
export type UpdateProgramInput = Partial<Omit<ProgramView, 'id' | 'merchantId' | 'currency' | 'plan' | 'upcomingPlan' | 'createdAt' | 'updatedAt'>>;

/**
 * Edits a program's terms. Status moves draft → active ⇄ paused → archived (archived is
 * final). Pausing keeps links redirecting to the landing page and stops new commissions.
 * URLs are re-checked against the allowed domains after the change.
 */
export async function updateProgram(deps: Deps, actor: Actor, programId: string, input: UpdateProgramInput): Promise<ProgramView> {
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const [locked] = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM programs WHERE id = ${programId} FOR UPDATE`;
    const before = await loadProgramOrThrow(tx, locked?.id ?? programId);
    requireMerchantWrite(actor, before.merchantId);
    if (input.status) assertStatusTransition(before.status, input.status);
    const urls =
      input.allowedDomains || input.landingUrl || input.fallbackUrl !== undefined
        ? validateProgramUrls({
            allowedDomains: input.allowedDomains ?? before.allowedDomains,
            landingUrl: input.landingUrl ?? before.landingUrl,
            fallbackUrl: input.fallbackUrl === undefined ? before.fallbackUrl : input.fallbackUrl,
          })
        : {};
    const program = await tx.program.update({ where: { id: programId }, data: { ...input, ...urls } });
    const changed = Object.keys(input);
    await writeAudit(tx, actor, { action: 'program.updated', subjectType: 'program', subjectId: programId, data: { changed, ...input } });
    await recordEvent(tx, {
      tenantId: actor.tenantId,
      type: 'program.updated',
      subjectType: 'program',
      subjectId: programId,
      payload: { changed, statusFrom: before.status, status: program.status },
    });
    return toProgramView(tx, program);
  });
}
