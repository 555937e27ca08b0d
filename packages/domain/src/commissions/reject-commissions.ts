import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { type CommissionSelection, type DecisionItem, decideCommissions } from './decide-commissions';

/**
 * The merchant rejects commissions with a reason the affiliate sees: a pending one's
 * reservation is voided (the funds go back to the merchant's available balance), one
 * awaiting funds is closed without the ledger; both become `rejected`. Per item:
 * `rejected`, `already_rejected`, `not_pending` (approved, reversed, paid) or `not_found`.
 * Funds freed for a merchant held for funds schedule `commissions.resume`.
 */
export async function rejectCommissions(deps: Deps, actor: Actor, selection: CommissionSelection): Promise<{ data: DecisionItem[] }> {
  return decideCommissions(deps, actor, 'reject', selection);
}
