import type { LedgerAccount } from '@app/db/generated/prisma/client';
import type { Tx } from '@app/db/with-tenant';
import { DomainError, notFound } from '../shared/errors';
import { MAX_AMOUNT } from '../shared/money';

/**
 * Sets how far below zero an account whose debits must not exceed its credits may go
 * (a merchant allowed to run on credit). Lowering it below what is already used (posted
 * and pending debits past posted credits) is refused with `invalid_state`.
 */
export async function setOverdraftLimit(tx: Tx, tenantId: string, accountId: string, limit: bigint): Promise<LedgerAccount> {
  if (limit < 0n || limit > MAX_AMOUNT) {
    throw new DomainError('validation_failed', `The overdraft limit must be between 0 and ${MAX_AMOUNT}.`, {
      errors: [{ path: 'overdraftLimit', message: 'out of range' }],
    });
  }
  const [locked] = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM ledger_accounts WHERE id = ${accountId} AND tenant_id = ${tenantId} FOR NO KEY UPDATE`;
  if (!locked) throw notFound('Ledger account', accountId);
  const account = await tx.ledgerAccount.findUniqueOrThrow({ where: { id: accountId } });
  if (!account.debitsMustNotExceedCredits) {
    throw new DomainError('validation_failed', `Account ${accountId} (${account.kind}) has no cap on its debits, so no overdraft limit.`);
  }
  const used = account.debitsPosted + account.debitsPending - account.creditsPosted;
  if (used > limit) {
    throw new DomainError('invalid_state', `Account ${accountId} already uses ${used} ${account.currency} of overdraft; the limit cannot go below that.`, {
      accountId,
      used: Number(used),
    });
  }
  const [updated] = await tx.$queryRaw<{ id: string }[]>`UPDATE ledger_accounts SET overdraft_limit = ${limit} WHERE id = ${accountId} RETURNING id`;
  if (!updated) throw new Error(`ledger account ${accountId} vanished`);
  return { ...account, overdraftLimit: limit };
}
