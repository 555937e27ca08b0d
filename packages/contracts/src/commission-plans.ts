import { z } from 'zod';

/**
 * The commission plan language: what a program pays its affiliates and what the network
 * charges the merchant on top. Money is integer minor units of the program's currency
 * (the plan carries no currency); rates are integer basis points (10000 = 100 %).
 * See docs/commission-plans.md for the language key by key.
 */

/** Largest money amount a plan may name: 10^12 minor units (10 billion in a 2-decimal currency). */
export const MAX_PLAN_AMOUNT = 1_000_000_000_000;
export const MAX_BPS = 10_000;
export const MAX_TIER_STEPS = 20;
export const MAX_RECURRING_MONTHS = 120;

/** Names what was wrong with a value that is not a finite number: missing, a string, or something else. */
const notANumber = (what: string) => (issue: { input?: unknown }) => {
  if (issue.input === undefined) return `required: ${what}`;
  if (typeof issue.input === 'string') return `must be ${what} as a JSON number, not a string`;
  return `must be ${what}`;
};

const amountAtLeast = (minimum: 0 | 1) =>
  z
    .number({ error: notANumber('an integer amount in minor units') })
    .int({ error: 'must be a whole number of minor units (no decimals)' })
    .min(minimum, { error: minimum === 0 ? 'must not be negative' : 'must be at least 1' })
    .max(MAX_PLAN_AMOUNT, { error: `must be at most ${MAX_PLAN_AMOUNT} minor units` });

const amount = amountAtLeast(0);

const bps = z
  .number({ error: notANumber('an integer rate in basis points') })
  .int({ error: 'must be a whole number of basis points (100 bps = 1 %)' })
  .min(0, { error: 'must not be negative' })
  .max(MAX_BPS, { error: 'must be at most 10000 basis points (100 %)' });

const metric = z.enum(['sales', 'revenue'], { error: 'must be "sales" (a count) or "revenue" (minor units)' });
const period = z.enum(['month', 'quarter', 'year', 'lifetime'], { error: 'must be one of month, quarter, year, lifetime' });

const hasRate = (v: { percentBps?: number; flat?: number }) => v.percentBps !== undefined || v.flat !== undefined;
const rateMissing = { error: 'give percentBps, flat, or both' };

/** Pay per lead (CPL): a fixed amount per lead conversion. */
export const leadRateSchema = z.object({ flat: amount }).strict();

/** Pay per sale (CPS): a percentage of the sale amount, a fixed amount, or both added together. */
export const saleRateSchema = z.object({ percentBps: bps.optional(), flat: amount.optional() }).strict().refine(hasRate, rateMissing);

/** Later sales of a customer bound to the affiliate; `months: null` pays for the customer's lifetime. */
export const recurringRateSchema = z
  .object({
    percentBps: bps,
    flat: amount.optional(),
    months: z
      .number({ error: notANumber('a number of months (1–120), or null for lifetime') })
      .int({ error: 'must be a whole number of months' })
      .min(1, { error: 'must be at least 1 month; use null for lifetime' })
      .max(MAX_RECURRING_MONTHS, { error: `must be at most ${MAX_RECURRING_MONTHS} months; use null for lifetime` })
      .nullable(),
  })
  .strict();

const matchName = z.string({ error: 'must be a string' }).trim().min(1, { error: 'must not be empty' }).max(200);

export const itemMatchSchema = z
  .object({ sku: matchName.optional(), category: matchName.optional() })
  .strict()
  .refine((m) => (m.sku === undefined) !== (m.category === undefined), { error: 'give exactly one of sku or category' });

/** A product (sku) or category rate; it replaces the sale rate for matching order lines. */
export const itemRateSchema = z.object({ match: itemMatchSchema, percentBps: bps.optional(), flat: amount.optional() }).strict().refine(hasRate, rateMissing);

export const itemRatesSchema = z
  .array(itemRateSchema)
  .max(500, { error: 'at most 500 item rates' })
  .superRefine((items, ctx) => {
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      const { sku, category } = item.match;
      // A match naming both or neither is already refused on its own; comparing it would blame its neighbours.
      if ((sku === undefined) === (category === undefined)) return;
      const key = sku !== undefined ? `sku:${sku}` : `category:${category}`;
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: [i, 'match'], message: `same match as items.${first}; give each sku or category one rate` });
      } else {
        seen.set(key, i);
      }
    });
  });

export const tierStepSchema = z
  .object({
    /** Sales counted, or revenue (minor units) reached, in the period before this step applies. */
    from: amount,
    percentBps: bps.optional(),
    flat: amount.optional(),
  })
  .strict()
  .refine(hasRate, rateMissing);

/** A performance ladder: the step reached in the period replaces the sale rate. */
export const tiersSchema = z
  .object({
    metric,
    period,
    steps: z
      .array(tierStepSchema)
      .min(1, { error: 'give at least one step, starting at from: 0' })
      .max(MAX_TIER_STEPS, { error: `at most ${MAX_TIER_STEPS} steps` }),
  })
  .strict()
  .superRefine((tiers, ctx) => {
    tiers.steps.forEach((step, i) => {
      if (i === 0) {
        if (step.from !== 0) ctx.addIssue({ code: 'custom', path: ['steps', 0, 'from'], message: 'the first step must start at 0' });
        return;
      }
      const previous = tiers.steps[i - 1]!.from;
      if (step.from === previous) {
        ctx.addIssue({ code: 'custom', path: ['steps', i, 'from'], message: `overlaps steps.${i - 1}: two steps start at ${previous}` });
      } else if (step.from < previous) {
        ctx.addIssue({ code: 'custom', path: ['steps', i, 'from'], message: `steps must ascend by from; ${step.from} comes after ${previous}` });
      }
    });
  });

/** A one-off amount paid once per period when the affiliate's sales count or revenue crosses the threshold. */
export const bonusSchema = z
  .object({
    metric,
    period,
    /** Sales count or revenue (minor units) to cross; 0 would be crossed by nothing. */
    threshold: amountAtLeast(1),
    amount: amountAtLeast(1),
  })
  .strict();

export const bonusesSchema = z
  .array(bonusSchema)
  .max(50, { error: 'at most 50 bonuses' })
  .superRefine((bonuses, ctx) => {
    const seen = new Map<string, number>();
    bonuses.forEach((b, i) => {
      const key = `${b.metric}|${b.period}|${b.threshold}`;
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: [i], message: `same metric, period and threshold as bonuses.${first}` });
      } else {
        seen.set(key, i);
      }
    });
  });

/** The network's fee, charged to the merchant on top of the commission (never taken from the affiliate). */
export const networkFeeSchema = z
  .object({
    percentBps: bps,
    of: z.enum(['commission', 'sale'], { error: 'must be "commission" or "sale"' }),
    flat: amount.optional(),
  })
  .strict();

const planShape = {
  lead: leadRateSchema.optional(),
  sale: saleRateSchema.optional(),
  recurring: recurringRateSchema.optional(),
  items: itemRatesSchema.optional(),
  tiers: tiersSchema.optional(),
  bonuses: bonusesSchema.optional(),
  /** The parent affiliate's share of the child's commission. */
  secondTierBps: bps.optional(),
  networkFee: networkFeeSchema.optional(),
};

export const PLAN_KEYS = Object.keys(planShape) as (keyof typeof planShape)[];

/** Whether a plan pays for anything: a lead, a sale, a recurring sale or an item. */
export function planPays(plan: Partial<Record<keyof typeof planShape, unknown>>): boolean {
  return (
    (plan.lead !== undefined && plan.lead !== null) ||
    (plan.sale !== undefined && plan.sale !== null) ||
    (plan.recurring !== undefined && plan.recurring !== null) ||
    (Array.isArray(plan.items) && plan.items.length > 0)
  );
}

export const commissionPlanSchema = z
  .object(planShape)
  .strict()
  .refine(planPays, { error: 'a plan must pay for something: give at least one of lead, sale, recurring, items' })
  .describe('Commission plan');

/**
 * A partial plan stored on a partner group or an enrollment. Each key given replaces the
 * program's key of the same name (no deep merge); `null` removes the key. Precedence:
 * enrollment > group > program. The merged result must still be a valid plan.
 */
export const planOverrideSchema = z
  .object({
    lead: leadRateSchema.nullable().optional(),
    sale: saleRateSchema.nullable().optional(),
    recurring: recurringRateSchema.nullable().optional(),
    items: itemRatesSchema.nullable().optional(),
    tiers: tiersSchema.nullable().optional(),
    bonuses: bonusesSchema.nullable().optional(),
    secondTierBps: bps.nullable().optional(),
    networkFee: networkFeeSchema.nullable().optional(),
  })
  .strict()
  .describe('Commission plan override');

export type CommissionPlan = z.infer<typeof commissionPlanSchema>;
export type PlanOverride = z.infer<typeof planOverrideSchema>;

/**
 * The effective plan for one enrollment: top-level keys of the enrollment override win over
 * the group's, which win over the program's; `null` removes a key. Pure; does not validate —
 * parse the result with `commissionPlanSchema` when saving an override (it may pay nothing).
 */
export function mergePlans(program: CommissionPlan, group?: PlanOverride | null, enrollment?: PlanOverride | null): CommissionPlan {
  const merged: Record<string, unknown> = { ...program };
  for (const override of [group, enrollment]) {
    if (!override) continue;
    for (const key of PLAN_KEYS) {
      const value = override[key];
      if (value === undefined) continue;
      if (value === null) delete merged[key];
      else merged[key] = value;
    }
  }
  return merged as CommissionPlan;
}
