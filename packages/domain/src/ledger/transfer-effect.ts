import type { AccountSums } from './account-balance';

/** A transfer with what its effect needs: for a resolution, the pending amount it releases. */
export type TransferMovement =
  | { kind: 'single_phase' | 'pending'; amount: bigint }
  | { kind: 'post_pending'; amount: bigint; pendingAmount: bigint }
  | { kind: 'void_pending'; pendingAmount: bigint };

/**
 * Adds a transfer's effect to its two accounts' sums, in place. Both sides move by the
 * same amounts, so per currency the debits always equal the credits:
 * - single_phase a: posted += a;
 * - pending a:      pending += a;
 * - post_pending a of pending p: pending −= p, posted += a (a ≤ p; p − a is released);
 * - void_pending of pending p:   pending −= p.
 */
export function applyMovement(debit: AccountSums, credit: AccountSums, movement: TransferMovement): void {
  let pending = 0n;
  let posted = 0n;
  switch (movement.kind) {
    case 'single_phase':
      posted = movement.amount;
      break;
    case 'pending':
      pending = movement.amount;
      break;
    case 'post_pending':
      pending = -movement.pendingAmount;
      posted = movement.amount;
      break;
    case 'void_pending':
      pending = -movement.pendingAmount;
      break;
  }
  debit.debitsPending += pending;
  debit.debitsPosted += posted;
  credit.creditsPending += pending;
  credit.creditsPosted += posted;
}
