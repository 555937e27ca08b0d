import type { LedgerTransfer } from '@app/db/generated/prisma/client';
import { DomainError } from '../shared/errors';
import { MAX_AMOUNT } from '../shared/money';
import type { TransferRefusal } from './ledger-errors';

/** What every transfer carries. The idempotency key is unique per tenant, forever. */
interface TransferCommon {
  idempotencyKey: string;
  /** Why money moves, machine-readable: `top_up`, `accrual`, `clawback`, `payout`… */
  code: string;
  reason?: string | null;
  /** What the transfer is for, e.g. `{ commissionId, conversionId }`. */
  userData?: Record<string, unknown>;
}

/** Moves `amount` now (single_phase) or reserves it until posted or voided (pending). */
export interface DirectTransferInput extends TransferCommon {
  kind: 'single_phase' | 'pending';
  debitAccountId: string;
  creditAccountId: string;
  amount: bigint;
  /** Must be both accounts' currency. */
  currency: string;
}

/** Posts a pending transfer: all of it, or `amount` of it, releasing the rest. */
export interface PostPendingInput extends Omit<TransferCommon, 'code'> {
  kind: 'post_pending';
  pendingId: string;
  amount?: bigint;
  /** Defaults to the pending transfer's code. */
  code?: string;
}

/** Voids a pending transfer: its whole amount is released. */
export interface VoidPendingInput extends Omit<TransferCommon, 'code'> {
  kind: 'void_pending';
  pendingId: string;
  code?: string;
}

export type TransferInput = DirectTransferInput | PostPendingInput | VoidPendingInput;

/** A transfer that names its accounts (rather than a pending transfer it resolves). */
export function isDirectTransfer(input: TransferInput): input is DirectTransferInput {
  return input.kind === 'single_phase' || input.kind === 'pending';
}

/**
 * One outcome per input, in input order: `created`, `existing` (the idempotency key was
 * used before for the same movement: the stored transfer, nothing changed) or `refused`
 * (a funds or exactly-once refusal; nothing written for this one, the others stand).
 */
export type TransferOutcome =
  | { status: 'created'; transfer: LedgerTransfer }
  | { status: 'existing'; transfer: LedgerTransfer }
  | { status: 'refused'; error: TransferRefusal };

const CODE = /^[a-z][a-z0-9_.]{0,63}$/;
const CURRENCY = /^[A-Z]{3}$/;

/** Refuses the whole batch when any input is malformed: that is a bug in the caller, not a state of the ledger. */
export function validateTransferInputs(inputs: readonly TransferInput[]): void {
  const errors: { path: string; message: string }[] = [];
  inputs.forEach((input, i) => {
    const fail = (field: string, message: string) => errors.push({ path: `[${i}].${field}`, message });
    if (typeof input.idempotencyKey !== 'string' || input.idempotencyKey.length < 1 || input.idempotencyKey.length > 200) {
      fail('idempotencyKey', 'must be 1 to 200 characters');
    }
    if (input.code !== undefined && (typeof input.code !== 'string' || !CODE.test(input.code))) fail('code', 'must match ^[a-z][a-z0-9_.]{0,63}$');
    if (input.reason != null && (typeof input.reason !== 'string' || input.reason.length > 1000)) fail('reason', 'must be at most 1000 characters');
    if (input.userData !== undefined && (input.userData === null || typeof input.userData !== 'object' || Array.isArray(input.userData))) {
      fail('userData', 'must be an object');
    }
    switch (input.kind) {
      case 'single_phase':
      case 'pending':
        if (input.code === undefined) fail('code', 'is required');
        checkAmount(input.amount, fail);
        if (typeof input.currency !== 'string' || !CURRENCY.test(input.currency)) fail('currency', 'must be an upper-case ISO 4217 code');
        if (typeof input.debitAccountId !== 'string' || typeof input.creditAccountId !== 'string') fail('debitAccountId', 'both accounts are required');
        else if (input.debitAccountId === input.creditAccountId) fail('creditAccountId', 'must differ from the debit account');
        break;
      case 'post_pending':
        if (input.amount !== undefined) checkAmount(input.amount, fail);
        if (typeof input.pendingId !== 'string') fail('pendingId', 'is required');
        break;
      case 'void_pending':
        if (typeof input.pendingId !== 'string') fail('pendingId', 'is required');
        break;
      default:
        fail('kind', 'must be single_phase, pending, post_pending or void_pending');
    }
  });
  if (errors.length > 0) throw new DomainError('validation_failed', `${errors.length} transfer field(s) are invalid; see errors.`, { errors });
}

function checkAmount(amount: unknown, fail: (field: string, message: string) => void): void {
  if (typeof amount !== 'bigint') fail('amount', 'must be a bigint of minor units');
  else if (amount <= 0n || amount > MAX_AMOUNT) fail('amount', `must be between 1 and ${MAX_AMOUNT} minor units`);
}
