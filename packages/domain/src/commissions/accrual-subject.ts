import { type CommissionPlan, commissionPlanSchema, mergePlans, type PlanOverride } from '@app/contracts/commission-plans';
import type { Tx } from '@app/db/with-tenant';
import { DomainError, notFound } from '../shared/errors';
import type { CommissionConversion } from './commission-types';

/** The conversion being accrued, locked, with what its program, enrollment and affiliate say about it. */
export interface AccrualSubject {
  id: string;
  tenantId: string;
  merchantId: string;
  programId: string;
  type: 'lead' | 'sale';
  status: string;
  attribution: string;
  amount: bigint | null;
  currency: string | null;
  refundedAmount: bigint;
  items: { sku: string; category?: string | null; amount: number; quantity: number }[];
  occurredAt: Date;
  affiliateId: string | null;
  recurring: boolean;
  programCurrency: string;
  holdDays: number;
  boundAt: Date | null;
  groupOverride: PlanOverride | null;
  enrollmentOverride: PlanOverride | null;
  parentId: string | null;
  parentStatus: string | null;
}

/**
 * Locks the conversion row (FOR UPDATE: a concurrent accrual of it, a refund or a
 * rejection waits for this transaction) and reads, in the same statement, its program's
 * currency and hold days, its customer's binding date, the group and enrollment plan
 * overrides of its affiliate, and the affiliate's parent. Another tenant's conversion is
 * invisible here (row-level security) and answers not_found.
 */
export async function lockAccrualSubject(tx: Tx, conversionId: string): Promise<AccrualSubject> {
  const [row] = await tx.$queryRaw<AccrualSubject[]>`
    SELECT c.id, c.tenant_id AS "tenantId", c.merchant_id AS "merchantId", c.program_id AS "programId", c.type, c.status,
           c.attribution, c.amount, c.currency, c.refunded_amount AS "refundedAmount", c.items, c.occurred_at AS "occurredAt",
           c.affiliate_id AS "affiliateId", c.recurring, p.currency AS "programCurrency", p.hold_days AS "holdDays",
           b.bound_at AS "boundAt", g.plan_override AS "groupOverride", e.plan_override AS "enrollmentOverride",
           pa.id AS "parentId", pa.status AS "parentStatus"
      FROM conversions c
      JOIN programs p ON p.id = c.program_id
      LEFT JOIN customer_bindings b ON b.id = c.binding_id
      LEFT JOIN enrollments e ON e.program_id = c.program_id AND e.affiliate_id = c.affiliate_id
      LEFT JOIN program_groups g ON g.id = e.group_id
      LEFT JOIN affiliates a ON a.id = c.affiliate_id
      LEFT JOIN affiliates pa ON pa.id = a.parent_affiliate_id
     WHERE c.id = ${conversionId}
       FOR UPDATE OF c`;
  if (!row) throw notFound('Conversion', conversionId);
  return row;
}

/** A plan version as the accrual uses it. */
export interface PlanVersionRef {
  id: string;
  plan: unknown;
}

export interface AccrualStart {
  /** What an earlier run decided for this conversion, if one did. */
  decided: { outcome: 'accrued' | 'skipped'; reason: string | null } | null;
  /** The plan version in force when the conversion occurred — the newest whose effectiveFrom is at or before
   *  occurredAt (the later version on a tie) — or the program's first one when the conversion predates it. */
  version: PlanVersionRef | null;
}

/**
 * Read in one statement after the conversion's lock (a later statement: it sees an accrual
 * of the conversion that committed while this one waited for the lock).
 */
export async function accrualStart(tx: Tx, subject: Pick<AccrualSubject, 'id' | 'programId' | 'occurredAt'>): Promise<AccrualStart> {
  const [row] = await tx.$queryRaw<{ decided: AccrualStart['decided']; current: PlanVersionRef | null; first: PlanVersionRef | null }[]>`
    SELECT (SELECT json_build_object('outcome', outcome, 'reason', reason) FROM conversion_accruals WHERE conversion_id = ${subject.id}) AS decided,
           (SELECT json_build_object('id', id, 'plan', plan) FROM program_plan_versions
             WHERE program_id = ${subject.programId} AND effective_from <= ${subject.occurredAt}
             ORDER BY effective_from DESC, version DESC LIMIT 1) AS current,
           (SELECT json_build_object('id', id, 'plan', plan) FROM program_plan_versions
             WHERE program_id = ${subject.programId} AND effective_from > ${subject.occurredAt}
             ORDER BY effective_from ASC, version ASC LIMIT 1) AS first`;
  return { decided: row?.decided ?? null, version: row?.current ?? row?.first ?? null };
}

/**
 * The plan that pays this affiliate: the version's plan with the affiliate's group
 * override and then its enrollment override applied (`mergePlans`: enrollment > group >
 * program, whole keys). Overrides are read as they are now — they are not versioned.
 * A merged plan that is not valid (it cannot happen through the API, which checks every
 * override against the plan) fails the job for good rather than paying by guesswork.
 */
export function effectivePlan(version: PlanVersionRef, subject: Pick<AccrualSubject, 'groupOverride' | 'enrollmentOverride'>): CommissionPlan {
  const merged = mergePlans(version.plan as CommissionPlan, subject.groupOverride, subject.enrollmentOverride);
  const parsed = commissionPlanSchema.safeParse(merged);
  if (!parsed.success) {
    throw new DomainError('validation_failed', `The plan of version ${version.id} with this affiliate's overrides is not valid.`, {
      errors: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  return parsed.data;
}

/** The conversion as the engine takes it: amounts in the program's currency, items as bigints. */
export function engineConversion(subject: AccrualSubject): CommissionConversion {
  if (subject.currency !== null && subject.currency !== subject.programCurrency) {
    throw new Error(`conversion ${subject.id} is in ${subject.currency}, its program in ${subject.programCurrency}`);
  }
  return {
    type: subject.type,
    amount: subject.amount,
    currency: subject.programCurrency,
    items: (subject.items ?? []).map((i) => ({ sku: i.sku, category: i.category ?? null, amount: BigInt(i.amount), quantity: i.quantity })),
    occurredAt: subject.occurredAt,
    recurring: subject.recurring,
    boundAt: subject.boundAt,
  };
}
