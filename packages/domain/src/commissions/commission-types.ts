import type { PlanMetric, PlanPeriod } from './periods';

/** One order line of a conversion; `amount` is the unit price in minor units of the program's currency. */
export interface CommissionItem {
  sku: string;
  category?: string | null;
  amount: bigint;
  quantity: number;
}

/** An attributed conversion, amounts already in the program's currency. */
export interface CommissionConversion {
  type: 'lead' | 'sale';
  /** Required for a sale; a lead may have none. */
  amount: bigint | null;
  currency: string;
  items: CommissionItem[];
  occurredAt: Date;
  /** A later sale of a customer bound to the affiliate (attribution through the binding). */
  recurring: boolean;
  /** When the customer was bound (its first attributed sale); null when not bound. */
  boundAt: Date | null;
}

/** The affiliate's counts in one period, before this conversion. */
export interface PeriodStats {
  sales: number;
  revenue: bigint;
}

export interface CommissionContext {
  /**
   * Counts before this conversion, for each period the plan's tiers and bonuses use
   * (`periodsUsed(plan)`), in the UTC calendar period containing `occurredAt` (`periodOf`).
   */
  periodStats: Partial<Record<PlanPeriod, PeriodStats>>;
  /** The recruiting affiliate, who receives `secondTierBps` of the affiliate's commissions. */
  parentAffiliateId: string | null;
}

export type CommissionKind = 'primary' | 'bonus' | 'second_tier' | 'network_fee';
export type Beneficiary = 'affiliate' | 'parent' | 'network';

export interface CommissionLine {
  kind: CommissionKind;
  beneficiary: Beneficiary;
  /** Minor units of the conversion's currency; always > 0 (zero lines are left out). */
  amount: bigint;
  /** What the percentage was taken of: the sale amount, the commissions a share or fee is of; 0 for a bonus. */
  basis: bigint;
  /** The percentage applied to `basis` (for a primary sale line: the rate of the parts at the sale rate; item rates are in `explain.parts`). */
  rateBps: number | null;
  /** The flat part included in `amount`. */
  flat: bigint;
  /** Index of the tier step that replaced the sale rate, if one did. */
  tierStep: number | null;
  /**
   * Deterministic idempotency key. Lines with `bonusKey === null` are unique per
   * (conversion, key); a bonus and the lines derived from it are unique per (program,
   * affiliate, key), so a bonus is held once per period whichever conversion crossed first.
   */
  key: string;
  /** The key of the bonus this line stands or falls with (the bonus itself, its second-tier share, its fee). */
  bonusKey: string | null;
}

export type RateSource = 'lead' | 'sale' | 'tier' | 'recurring' | 'none';

/** One priced part of the primary commission. */
export interface CommissionPart {
  /** `sku` / `category`: an item rate matched; `sale`: an order line at the sale (tier, recurring) rate; `rest`: the sale amount beyond its lines; `lead`. */
  source: 'sku' | 'category' | 'sale' | 'rest' | 'lead';
  sku: string | null;
  quantity: number;
  /** Unit price × quantity as reported. */
  total: bigint;
  /** The part of the sale amount the rate was applied to (equals `total` unless the lines add up to more than the sale). */
  basis: bigint;
  rateBps: number | null;
  flat: bigint;
  amount: bigint;
}

export interface BonusCheck {
  index: number;
  key: string;
  metric: PlanMetric;
  period: PlanPeriod;
  periodKey: string;
  threshold: bigint;
  before: bigint;
  after: bigint;
  crossed: boolean;
}

export interface CommissionExplain {
  type: 'lead' | 'sale';
  rate: RateSource;
  /** `active` (within the recurring window), `expired`, `lifetime`, `no_rate` (the plan has no `recurring`: an ordinary sale), or `not_recurring`. */
  recurring: 'not_recurring' | 'active' | 'lifetime' | 'expired' | 'no_rate';
  recurringEndsAt: Date | null;
  tier: { metric: PlanMetric; period: PlanPeriod; periodKey: string; reached: bigint; step: number } | null;
  parts: CommissionPart[];
  /** The sale rate's flat amount, paid once per sale when any part of it is at the sale rate. */
  saleFlat: bigint;
  bonuses: BonusCheck[];
  contribution: { sales: number; revenue: bigint };
}

export interface CommissionResult {
  currency: string;
  lines: CommissionLine[];
  /** Total of the `network_fee` lines: what the network charges the merchant on top. */
  networkFee: bigint;
  /** Total of every line: what the merchant pays for this conversion. */
  merchantTotal: bigint;
  explain: CommissionExplain;
}
