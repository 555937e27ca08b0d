import type { LedgerAccount, LedgerTransfer } from '@app/db/generated/prisma/client';
import { Prisma } from '@app/db/generated/prisma/client';
import { newId } from '@app/db/ids';
import { isUniqueViolation, type Tx } from '@app/db/with-tenant';
import { DomainError, notFound } from '../shared/errors';
import { type AccountSums, debitHeadroom } from './account-balance';
import { InsufficientFunds, PendingTransferResolved } from './ledger-errors';
import { applyMovement, type TransferMovement } from './transfer-effect';
import { isDirectTransfer, type TransferInput, type TransferOutcome, validateTransferInputs } from './transfer-input';

/**
 * Creates a batch of transfers in the caller's transaction (inside `withTenant`):
 *
 * 1. every account the batch touches is locked ONCE, in one statement, in id order
 *    (`FOR NO KEY UPDATE`), so two batches over the same accounts wait for each other
 *    and never deadlock;
 * 2. with the locks held, the idempotency keys and the resolutions of the pending
 *    transfers named are read (so a concurrent batch that committed first is seen);
 * 3. the transfers are checked and applied in input order against the accounts' sums in
 *    memory: a debit that would take a capped account past its limit, or a second
 *    resolution of a pending transfer, is refused for that transfer only;
 * 4. the accepted transfers are inserted in one statement and each account's sums are
 *    updated once, in one statement.
 *
 * A key used before for the same movement answers `existing` and changes nothing; for a
 * different movement the whole call fails with `idempotency_conflict`. Malformed input,
 * an unknown account or pending transfer (another tenant's included) fail the whole call
 * before anything is written. Returns one outcome per input, in input order.
 */
export async function createTransfers(tx: Tx, tenantId: string, inputs: readonly TransferInput[]): Promise<TransferOutcome[]> {
  if (inputs.length === 0) return [];
  validateTransferInputs(inputs);

  const pendingIds = unique(inputs.flatMap((t) => (isDirectTransfer(t) ? [] : [t.pendingId])));
  const pendings = new Map<string, LedgerTransfer>();
  if (pendingIds.length > 0) {
    for (const p of await tx.ledgerTransfer.findMany({ where: { tenantId, id: { in: pendingIds } } })) pendings.set(p.id, p);
    const missing = pendingIds.filter((id) => !pendings.has(id));
    if (missing.length > 0) throw notFound('Pending transfer', missing[0]);
    const notPending = pendingIds.filter((id) => pendings.get(id)!.kind !== 'pending');
    if (notPending.length > 0) {
      throw new DomainError('validation_failed', `Transfer ${notPending[0]} is not a pending transfer.`, {
        errors: [{ path: 'pendingId', message: 'not a pending transfer' }],
      });
    }
  }

  const accountIds = unique(
    inputs.flatMap((t) => {
      const direct = isDirectTransfer(t) ? t : pendings.get(t.pendingId)!;
      return [direct.debitAccountId, direct.creditAccountId];
    }),
  );
  const accounts = await lockAccounts(tx, tenantId, accountIds);
  for (const t of inputs) {
    if (!isDirectTransfer(t)) continue;
    for (const id of [t.debitAccountId, t.creditAccountId]) {
      if (accounts.get(id)!.currency !== t.currency) {
        throw new DomainError('validation_failed', `Account ${id} is in ${accounts.get(id)!.currency}, the transfer in ${t.currency}.`, {
          errors: [{ path: 'currency', message: 'must be the currency of both accounts' }],
        });
      }
    }
  }

  // Read under the locks: whatever a concurrent batch on these accounts committed is seen.
  const keys = unique(inputs.map((t) => t.idempotencyKey));
  const stored = await tx.ledgerTransfer.findMany({
    where: { tenantId, OR: [{ idempotencyKey: { in: keys } }, ...(pendingIds.length > 0 ? [{ pendingId: { in: pendingIds } }] : [])] },
  });
  const byKey = new Map(stored.map((t) => [t.idempotencyKey, t]));
  const resolutionOf = new Map(stored.filter((t) => t.pendingId !== null).map((t) => [t.pendingId!, t]));

  const sums = new Map<string, AccountSums & { row: LedgerAccount }>();
  for (const [id, row] of accounts) {
    sums.set(id, {
      row,
      debitsPending: row.debitsPending,
      debitsPosted: row.debitsPosted,
      creditsPending: row.creditsPending,
      creditsPosted: row.creditsPosted,
    });
  }
  const outcomes: TransferOutcome[] = [];
  const rows: LedgerTransfer[] = [];
  for (const input of inputs) {
    const pending = isDirectTransfer(input) ? null : pendings.get(input.pendingId)!;
    const movement = movementOf(input, pending);
    const earlier = byKey.get(input.idempotencyKey);
    if (earlier) {
      if (!sameMovement(earlier, input, pending)) {
        throw new DomainError('idempotency_conflict', `Idempotency key ${input.idempotencyKey} was used for another transfer (${earlier.id}).`, {
          idempotencyKey: input.idempotencyKey,
          transferId: earlier.id,
        });
      }
      // Also a repeat inside this batch: the transfer is created once, the repeat answers it.
      outcomes.push({ status: 'existing', transfer: earlier });
      continue;
    }
    const { debitAccountId, creditAccountId } = isDirectTransfer(input) ? input : pending!;
    const debit = sums.get(debitAccountId)!;
    const credit = sums.get(creditAccountId)!;
    if (pending) {
      const resolution = resolutionOf.get(pending.id);
      if (resolution) {
        outcomes.push({
          status: 'refused',
          error: new PendingTransferResolved(pending.id, resolution.kind === 'post_pending' ? 'posted' : 'voided', resolution.id),
        });
        continue;
      }
    } else {
      const headroom = debitHeadroom({ ...debit, debitsMustNotExceedCredits: debit.row.debitsMustNotExceedCredits, overdraftLimit: debit.row.overdraftLimit });
      const amount = (movement as { amount: bigint }).amount;
      if (headroom !== null && amount > headroom) {
        outcomes.push({ status: 'refused', error: new InsufficientFunds(debitAccountId, debit.row.currency, amount, headroom) });
        continue;
      }
    }
    applyMovement(debit, credit, movement);
    const row: LedgerTransfer = {
      id: newId('transfer'),
      tenantId,
      idempotencyKey: input.idempotencyKey,
      kind: input.kind,
      debitAccountId,
      creditAccountId,
      amount: movement.kind === 'void_pending' ? movement.pendingAmount : movement.amount,
      currency: debit.row.currency,
      pendingId: pending?.id ?? null,
      code: input.code ?? pending!.code,
      reason: input.reason ?? null,
      userData: (input.userData ?? {}) as Prisma.JsonObject,
      createdAt: new Date(),
    };
    rows.push(row);
    byKey.set(row.idempotencyKey, row);
    if (pending) resolutionOf.set(pending.id, row);
    outcomes.push({ status: 'created', transfer: row });
  }
  if (rows.length === 0) return outcomes;

  let inserted: LedgerTransfer[];
  try {
    inserted = await tx.ledgerTransfer.createManyAndReturn({
      data: rows.map(({ createdAt: _, userData, ...row }) => ({ ...row, userData: userData as Prisma.InputJsonObject })),
    });
  } catch (error) {
    // Only a concurrent transaction on other accounts using one of these keys gets here.
    // The failed INSERT has aborted the transaction: nothing half-done can be committed.
    if (isUniqueViolation(error)) throw new DomainError('conflict', 'A concurrent transfer took one of these idempotency keys; retry the transaction.');
    throw error;
  }
  const byId = new Map(inserted.map((t) => [t.id, t]));
  await applySums(tx, sums);
  return outcomes.map((o) => (o.status === 'refused' ? o : { status: o.status, transfer: byId.get(o.transfer.id) ?? o.transfer }));
}

function movementOf(input: TransferInput, pending: LedgerTransfer | null): TransferMovement {
  switch (input.kind) {
    case 'single_phase':
    case 'pending':
      return { kind: input.kind, amount: input.amount };
    case 'post_pending': {
      const amount = input.amount ?? pending!.amount;
      if (amount > pending!.amount) {
        throw new DomainError('validation_failed', `Cannot post ${amount} of pending transfer ${pending!.id}, which reserves ${pending!.amount}.`, {
          errors: [{ path: 'amount', message: 'must not exceed the pending amount' }],
        });
      }
      return { kind: 'post_pending', amount, pendingAmount: pending!.amount };
    }
    case 'void_pending':
      return { kind: 'void_pending', pendingAmount: pending!.amount };
  }
}

/** Is a stored transfer the same movement of money as this input? (Code, reason and user data may differ.) */
function sameMovement(stored: LedgerTransfer, input: TransferInput, pending: LedgerTransfer | null): boolean {
  if (stored.kind !== input.kind) return false;
  switch (input.kind) {
    case 'single_phase':
    case 'pending':
      return (
        stored.debitAccountId === input.debitAccountId &&
        stored.creditAccountId === input.creditAccountId &&
        stored.amount === input.amount &&
        stored.currency === input.currency
      );
    case 'post_pending':
      return stored.pendingId === input.pendingId && stored.amount === (input.amount ?? pending!.amount);
    case 'void_pending':
      return stored.pendingId === input.pendingId;
  }
}

interface LockedAccountRow {
  id: string;
  tenant_id: string;
  owner_type: string;
  owner_id: string;
  kind: string;
  currency: string;
  debits_pending: bigint;
  debits_posted: bigint;
  credits_pending: bigint;
  credits_posted: bigint;
  debits_must_not_exceed_credits: boolean;
  overdraft_limit: bigint;
  created_at: Date;
}

/** Locks the accounts in id order, in one statement (the sort sits below the row locks). */
async function lockAccounts(tx: Tx, tenantId: string, ids: string[]): Promise<Map<string, LedgerAccount>> {
  const locked = await tx.$queryRaw<LockedAccountRow[]>`
    SELECT id, tenant_id, owner_type, owner_id, kind, currency, debits_pending, debits_posted, credits_pending,
           credits_posted, debits_must_not_exceed_credits, overdraft_limit, created_at
      FROM ledger_accounts WHERE tenant_id = ${tenantId} AND id IN (${Prisma.join(ids)})
     ORDER BY id FOR NO KEY UPDATE`;
  const accounts = new Map(
    locked.map((r) => [
      r.id,
      {
        id: r.id,
        tenantId: r.tenant_id,
        ownerType: r.owner_type,
        ownerId: r.owner_id,
        kind: r.kind,
        currency: r.currency,
        debitsPending: BigInt(r.debits_pending),
        debitsPosted: BigInt(r.debits_posted),
        creditsPending: BigInt(r.credits_pending),
        creditsPosted: BigInt(r.credits_posted),
        debitsMustNotExceedCredits: r.debits_must_not_exceed_credits,
        overdraftLimit: BigInt(r.overdraft_limit),
        createdAt: r.created_at,
      },
    ]),
  );
  const missing = ids.filter((id) => !accounts.has(id));
  if (missing.length > 0) throw notFound('Ledger account', missing[0]);
  return accounts;
}

/** One UPDATE for every account whose sums moved, by the difference (the rows are locked). */
async function applySums(tx: Tx, sums: Map<string, AccountSums & { row: LedgerAccount }>): Promise<void> {
  const deltas = [...sums.values()]
    .map((s) => ({
      id: s.row.id,
      dpe: (s.debitsPending - s.row.debitsPending).toString(),
      dpo: (s.debitsPosted - s.row.debitsPosted).toString(),
      cpe: (s.creditsPending - s.row.creditsPending).toString(),
      cpo: (s.creditsPosted - s.row.creditsPosted).toString(),
    }))
    .filter((d) => d.dpe !== '0' || d.dpo !== '0' || d.cpe !== '0' || d.cpo !== '0');
  if (deltas.length === 0) return;
  const updated = await tx.$executeRaw`
    UPDATE ledger_accounts a
       SET debits_pending = a.debits_pending + d.dpe, debits_posted = a.debits_posted + d.dpo,
           credits_pending = a.credits_pending + d.cpe, credits_posted = a.credits_posted + d.cpo
      FROM jsonb_to_recordset(${JSON.stringify(deltas)}::jsonb) AS d(id text, dpe bigint, dpo bigint, cpe bigint, cpo bigint)
     WHERE a.id = d.id`;
  if (updated !== deltas.length) throw new Error(`ledger: ${updated} of ${deltas.length} account rows updated`);
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}
