/**
 * The rules of attribution, without I/O: which signal wins and what disqualifies one.
 * Priority: (1) an explicit click id, (2) a coupon code, (3) the customer's binding to
 * the affiliate of its first attributed conversion. A first-click program resolves the
 * click to the visitor's earliest click in the program within the cookie window (the
 * visitor-cookie history). The first signal that passes every check wins; when none
 * does, the reason is that of the highest-priority signal present.
 */

export type AttributionReason = 'click' | 'first_click' | 'coupon' | 'customer';

export type UnattributedReason =
  | 'no_signal'
  | 'program_inactive'
  | 'click_not_found'
  | 'click_other_program'
  | 'conversion_before_click'
  | 'click_expired'
  | 'coupon_not_found'
  | 'binding_expired'
  | 'link_inactive'
  | 'enrollment_inactive'
  | 'affiliate_inactive';

const DAY_MS = 86_400_000;

/** A click counts when the conversion happened at or after it and at most cookieDays later. */
export function clickWindowFailure(occurredAt: Date, clickedAt: Date, cookieDays: number): 'conversion_before_click' | 'click_expired' | null {
  const elapsed = occurredAt.getTime() - clickedAt.getTime();
  if (elapsed < 0) return 'conversion_before_click';
  if (elapsed > cookieDays * DAY_MS) return 'click_expired';
  return null;
}

/** Where the click's window opens for a conversion at `occurredAt`. */
export function windowStart(occurredAt: Date, cookieDays: number): Date {
  return new Date(occurredAt.getTime() - cookieDays * DAY_MS);
}

export interface PartnerState {
  /** Null for signals without a link (coupons, bindings). */
  linkStatus: string | null;
  enrollmentStatus: string | null;
  affiliateStatus: string | null;
}

/** The affiliate must still be approved in the program, its account active, its link on. */
export function partnerFailure(state: PartnerState): 'link_inactive' | 'enrollment_inactive' | 'affiliate_inactive' | null {
  if (state.linkStatus !== null && state.linkStatus !== 'active') return 'link_inactive';
  if (state.enrollmentStatus !== 'approved') return 'enrollment_inactive';
  if (state.affiliateStatus !== 'active') return 'affiliate_inactive';
  return null;
}

export type Candidate<T> = { ok: true; value: T } | { ok: false; reason: UnattributedReason };

/** The first candidate that passed, or the reason of the first (highest-priority) one that did not. */
export function pickAttribution<T>(candidates: Candidate<T>[]): Candidate<T> {
  const winner = candidates.find((c) => c.ok);
  if (winner) return winner;
  return candidates[0] ?? { ok: false, reason: 'no_signal' };
}

/** When a customer binding made now ends: after the plan's recurring months, or never. */
export function bindingExpiry(boundAt: Date, recurringMonths: number | null | undefined): Date | null {
  if (!recurringMonths) return null;
  // Same day of month N months on, clamped to the month's end (31 Jan + 1 → 28/29 Feb).
  const end = new Date(boundAt.getTime());
  const day = end.getUTCDate();
  end.setUTCDate(1);
  end.setUTCMonth(end.getUTCMonth() + recurringMonths);
  const lastDay = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() + 1, 0)).getUTCDate();
  end.setUTCDate(Math.min(day, lastDay));
  return end;
}
