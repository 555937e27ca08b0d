import type { CommissionPlan } from '@app/contracts/commission-plans';
import { newId } from '@app/db/ids';
import { withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { recordEvent } from '../events/record-event';
import { loadMerchantOrThrow } from '../merchants/get-merchant-or-throw';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { requireMerchantWrite } from '../shared/policies';
import { type ProgramView, toProgramView, validateProgramUrls } from './program-view';

export interface CreateProgramInput {
  merchantId: string;
  name: string;
  description?: string;
  category?: string;
  landingUrl: string;
  allowedDomains: string[];
  trackingParam?: string;
  cookieDays?: number;
  attributionModel?: 'last_click' | 'first_click';
  enrollmentMode?: 'auto' | 'manual' | 'invite_only';
  approvalMode?: 'auto' | 'manual';
  holdDays?: number;
  currency?: string;
  status?: 'draft' | 'active';
  visibility?: 'public' | 'private';
  terms?: string;
  exclusivityNote?: string;
  fallbackUrl?: string | null;
  browserSales?: boolean;
  plan: CommissionPlan;
}

/** A merchant opens a program; its plan becomes version 1, in force at once. */
export async function createProgram(deps: Deps, actor: Actor, input: CreateProgramInput): Promise<ProgramView> {
  requireMerchantWrite(actor, input.merchantId);
  const urls = validateProgramUrls(input);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const merchant = await loadMerchantOrThrow(tx, input.merchantId);
    const { plan, ...fields } = input;
    const program = await tx.program.create({
      data: {
        ...fields,
        ...urls,
        id: newId('program'),
        tenantId: actor.tenantId,
        currency: input.currency ?? merchant.defaultCurrency,
      },
    });
    await tx.programPlanVersion.create({
      data: {
        id: newId('planVersion'),
        tenantId: actor.tenantId,
        programId: program.id,
        version: 1,
        plan: plan as object,
        effectiveFrom: program.createdAt,
        createdByUserId: actor.type === 'user' ? actor.userId : null,
      },
    });
    await writeAudit(tx, actor, {
      action: 'program.created',
      subjectType: 'program',
      subjectId: program.id,
      data: { name: program.name, merchantId: merchant.id },
    });
    await recordEvent(tx, {
      tenantId: actor.tenantId,
      type: 'program.created',
      subjectType: 'program',
      subjectId: program.id,
      payload: { merchantId: merchant.id, name: program.name, status: program.status },
    });
    return toProgramView(tx, program);
  });
}
