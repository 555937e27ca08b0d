import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { type CommissionSelection, type DecisionItem, decideCommissions } from './decide-commissions';

/**
 * A merchant (owner, admin, finance or its secret key) or the network's staff approve
 * commissions: each pending one's reservation is posted — the affiliate's pending
 * earnings become available, the merchant's reserved funds are spent — and it becomes
 * `approved`. Allowed before the hold period ends: the merchant validates early.
 * Per item: `approved`, `already_approved`, `awaiting_funds` (no reservation to post
 * yet), `not_pending` (rejected, reversed) or `not_found`.
 */
export async function approveCommissions(deps: Deps, actor: Actor, selection: CommissionSelection): Promise<{ data: DecisionItem[] }> {
  return decideCommissions(deps, actor, 'approve', selection);
}
