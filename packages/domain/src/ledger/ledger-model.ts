import { isDirectTransfer, type TransferInput } from './transfer-input';

/**
 * Test support: a pure, in-memory model of the ledger for the model-based property test.
 * It knows nothing of the implementation: balances are four sums per account, and a
 * batch is applied transfer by transfer, refusing a debit past a capped account's limit
 * and a second resolution of a pending transfer, answering a known key with its transfer.
 */

export interface ModelAccount {
  id: string;
  kind: string;
  currency: string;
  capped: boolean;
  overdraft: bigint;
  dpe: bigint;
  dpo: bigint;
  cpe: bigint;
  cpo: bigint;
}

export interface ModelPending {
  id: string;
  tenant: number;
  debit: string;
  credit: string;
  amount: bigint;
  state: 'open' | 'posted' | 'voided';
  /** What was posted (0 until then). */
  posted: bigint;
  /** What later clawbacks took back of the posted amount. */
  clawedBack: bigint;
}

export type Expectation = { status: 'created' } | { status: 'existing'; transferId: string } | { status: 'refused'; reason: 'funds' | 'resolved' };

export class LedgerModel {
  readonly accounts = new Map<string, ModelAccount>();
  readonly pendings = new Map<string, ModelPending>();
  /** Transfers created, by tenant and idempotency key, with the input that created them. */
  readonly transfers = new Map<string, { tenant: number; input: TransferInput; transferId: string }>();

  addAccount(account: Omit<ModelAccount, 'dpe' | 'dpo' | 'cpe' | 'cpo'>): void {
    this.accounts.set(account.id, { ...account, dpe: 0n, dpo: 0n, cpe: 0n, cpo: 0n });
  }

  /** What a batch must answer, applying its accepted transfers to the model's sums. */
  expect(tenant: number, inputs: readonly TransferInput[]): Expectation[] {
    const seenInBatch = new Set<string>();
    return inputs.map((input) => {
      const known = this.transfers.get(`${tenant}|${input.idempotencyKey}`);
      if (known) return { status: 'existing', transferId: known.transferId };
      if (seenInBatch.has(input.idempotencyKey)) throw new Error('the model does not repeat keys inside a batch');
      if (isDirectTransfer(input)) {
        const debit = this.accounts.get(input.debitAccountId)!;
        const credit = this.accounts.get(input.creditAccountId)!;
        if (debit.capped && input.amount > debit.cpo + debit.overdraft - debit.dpo - debit.dpe) return { status: 'refused', reason: 'funds' };
        if (input.kind === 'single_phase') {
          debit.dpo += input.amount;
          credit.cpo += input.amount;
        } else {
          debit.dpe += input.amount;
          credit.cpe += input.amount;
        }
      } else {
        const pending = this.pendings.get(input.pendingId)!;
        if (pending.state !== 'open') return { status: 'refused', reason: 'resolved' };
        const debit = this.accounts.get(pending.debit)!;
        const credit = this.accounts.get(pending.credit)!;
        debit.dpe -= pending.amount;
        credit.cpe -= pending.amount;
        if (input.kind === 'post_pending') {
          const amount = input.amount ?? pending.amount;
          debit.dpo += amount;
          credit.cpo += amount;
          pending.state = 'posted';
          pending.posted = amount;
        } else {
          pending.state = 'voided';
        }
      }
      seenInBatch.add(input.idempotencyKey);
      return { status: 'created' };
    });
  }

  /** Records a transfer the database created as the model expected. */
  created(tenant: number, input: TransferInput, transferId: string): ModelPending | null {
    this.transfers.set(`${tenant}|${input.idempotencyKey}`, { tenant, input, transferId });
    if (input.kind !== 'pending') return null;
    const pending: ModelPending = {
      id: transferId,
      tenant,
      debit: input.debitAccountId,
      credit: input.creditAccountId,
      amount: input.amount,
      state: 'open',
      posted: 0n,
      clawedBack: 0n,
    };
    this.pendings.set(transferId, pending);
    return pending;
  }
}
