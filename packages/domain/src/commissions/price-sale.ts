import type { CommissionPlan } from '@app/contracts/commission-plans';
import { roundDiv } from '../shared/money';
import type { CommissionItem, CommissionPart } from './commission-types';

const BPS = 10_000n;

/** A percentage and/or a flat amount (sale, tier step, recurring, item rate). */
export interface Rate {
  percentBps?: number | undefined;
  flat?: number | undefined;
}

/** `bps` of `basis`, rounded once, half away from zero — the engine's one rounding of a commission. */
export function percentOf(basis: bigint, bps: number): bigint {
  return roundDiv(basis * BigInt(bps), BPS);
}

export interface PricedSale {
  parts: CommissionPart[];
  /** The base rate's flat amount, when any part of the sale was at the base rate. */
  saleFlat: bigint;
  amount: bigint;
}

type ItemRate = NonNullable<CommissionPlan['items']>[number];

/**
 * Prices a sale: order lines matching an item rate (sku before category) take it, every
 * other line and the amount beyond the lines (shipping, fees) take the base rate (sale,
 * tier step or recurring; null when the plan has none). Each part is rounded once.
 *
 * The sale amount governs: when the lines add up to more than it (an order-level
 * discount), the amount is first shared among the lines in proportion to their totals —
 * integer shares that add up exactly to the amount — so a commission at ≤ 100 % never
 * exceeds the sale.
 */
export function priceSale(amount: bigint, items: CommissionItem[], itemRates: ItemRate[], base: Rate | null): PricedSale {
  const bySku = new Map<string, ItemRate>();
  const byCategory = new Map<string, ItemRate>();
  for (const rate of itemRates) {
    if (rate.match.sku !== undefined) bySku.set(rate.match.sku, rate);
    else if (rate.match.category !== undefined) byCategory.set(rate.match.category, rate);
  }

  const totals = items.map((i) => i.amount * BigInt(i.quantity));
  const bases = shareOut(amount, totals);
  const parts: CommissionPart[] = [];
  let atBase = items.length === 0;

  items.forEach((item, i) => {
    const skuRate = bySku.get(item.sku);
    const categoryRate = item.category ? byCategory.get(item.category) : undefined;
    const matched = skuRate ?? categoryRate;
    const rate = matched ?? base;
    if (!matched) atBase = true;
    const basis = bases[i]!;
    // An item's flat amount is per unit sold; the sale rate's flat is per sale (below).
    const flat = matched?.flat !== undefined ? BigInt(matched.flat) * BigInt(item.quantity) : 0n;
    const percent = rate?.percentBps !== undefined ? percentOf(basis, rate.percentBps) : 0n;
    parts.push({
      source: skuRate ? 'sku' : categoryRate ? 'category' : 'sale',
      sku: item.sku,
      quantity: item.quantity,
      total: totals[i]!,
      basis,
      rateBps: rate?.percentBps ?? null,
      flat,
      amount: percent + flat,
    });
  });

  const lined = totals.reduce((sum, t) => sum + t, 0n);
  const rest = amount > lined ? amount - lined : 0n;
  if (rest > 0n || items.length === 0) {
    atBase = true;
    const percent = base?.percentBps !== undefined ? percentOf(rest, base.percentBps) : 0n;
    parts.push({ source: 'rest', sku: null, quantity: 1, total: rest, basis: rest, rateBps: base?.percentBps ?? null, flat: 0n, amount: percent });
  }

  const saleFlat = atBase && base?.flat !== undefined ? BigInt(base.flat) : 0n;
  return { parts, saleFlat, amount: parts.reduce((sum, p) => sum + p.amount, saleFlat) };
}

/**
 * The lines' totals when they fit in the amount; otherwise the amount split in proportion
 * to them by cumulative rounding (each share = rounded cumulative point − the previous
 * one), so the shares are integers, never exceed their line and add up to the amount.
 */
function shareOut(amount: bigint, totals: bigint[]): bigint[] {
  const sum = totals.reduce((s, t) => s + t, 0n);
  if (sum <= amount) return totals;
  let cumulative = 0n;
  let previous = 0n;
  return totals.map((t) => {
    cumulative += t;
    const point = roundDiv(cumulative * amount, sum);
    const share = point - previous;
    previous = point;
    return share;
  });
}
