import type { Tx } from '@app/db/with-tenant';
import type { AccountKind } from '../ledger/account-kinds';
import { createTransfers } from '../ledger/create-transfers';
import { ensureAccount } from '../ledger/ensure-account';
import { InsufficientFunds } from '../ledger/ledger-errors';
import type { DirectTransferInput } from '../ledger/transfer-input';
import type { CommissionKind } from './commission-types';

/** A commission line to reserve: the merchant's prepaid account → its beneficiary's account. */
export interface LineToReserve {
  commissionId: string;
  conversionId: string;
  kind: CommissionKind;
  /** The affiliate who earns it; null for the network's fee. */
  affiliateId: string | null;
  amount: bigint;
}

/** The ledger accounts a merchant's commissions in one currency move money between (ids). */
export interface CommissionAccounts {
  prepaid: string;
  /** affiliate_earnings account id by affiliate id. */
  earnings: Map<string, string>;
  /** network_fee_revenue account id, when a fee line needs it. */
  fees: string | null;
}

/**
 * The accounts for these lines, read in one statement and created on first use — in a
 * fixed order (prepaid, fee revenue, earnings by affiliate id), so that two accruals
 * creating the same new accounts wait for each other rather than deadlock.
 */
export async function commissionAccounts(
  tx: Tx,
  tenantId: string,
  merchantId: string,
  currency: string,
  lines: readonly Pick<LineToReserve, 'kind' | 'affiliateId'>[],
): Promise<CommissionAccounts> {
  const needsFees = lines.some((l) => l.affiliateId === null);
  const affiliateIds = [...new Set(lines.flatMap((l) => (l.affiliateId === null ? [] : [l.affiliateId])))].sort();
  const found = await tx.ledgerAccount.findMany({
    where: {
      tenantId,
      currency,
      OR: [
        { ownerType: 'merchant', ownerId: merchantId, kind: 'merchant_prepaid' },
        ...(needsFees ? [{ ownerType: 'network', ownerId: tenantId, kind: 'network_fee_revenue' }] : []),
        ...(affiliateIds.length > 0 ? [{ ownerType: 'affiliate', ownerId: { in: affiliateIds }, kind: 'affiliate_earnings' }] : []),
      ],
    },
    select: { id: true, ownerId: true, kind: true },
  });
  const idOf = (kind: AccountKind, ownerId: string) => found.find((a) => a.kind === kind && a.ownerId === ownerId)?.id;
  const ensure = async (kind: AccountKind, ownerId: string) => idOf(kind, ownerId) ?? (await ensureAccount(tx, tenantId, { kind, ownerId, currency })).id;
  const prepaid = await ensure('merchant_prepaid', merchantId);
  const fees = needsFees ? await ensure('network_fee_revenue', tenantId) : null;
  const earnings = new Map<string, string>();
  for (const id of affiliateIds) earnings.set(id, await ensure('affiliate_earnings', id));
  return { prepaid, earnings, fees };
}

export interface Reservation {
  /** The pending transfer of each reserved commission, by commission id. */
  reserved: Map<string, string>;
  /** The first conversion the prepaid account could not cover (it and every later one wait), or null. */
  shortfall: { conversionId: string; needed: bigint; available: bigint } | null;
}

/**
 * Reserves commission lines on the merchant's prepaid account with ONE createTransfers
 * batch: a pending transfer per line, prepaid → the affiliate's earnings or the network's
 * fee revenue, keyed `accrual:<commissionId>` (a retry answers the stored transfer).
 *
 * Lines go conversion by conversion, in the order given: while the account's headroom
 * (posted credits + overdraft − debits) covers all of a conversion's lines they are
 * reserved; the first conversion it does not cover, and every one after it, waits — a
 * later, smaller commission never jumps ahead of a waiting one, and a conversion is not
 * half reserved. Call it with the merchant's funds lock held (`lockMerchantFunds`) and the
 * headroom read under it (`readFunds`): then only a concurrent withdrawal can lower the
 * headroom between the read and the batch, and a line the ledger still refuses
 * (InsufficientFunds) simply waits.
 */
export async function reserveCommissions(
  tx: Tx,
  tenantId: string,
  currency: string,
  accounts: CommissionAccounts,
  lines: readonly LineToReserve[],
  available: bigint | null,
): Promise<Reservation> {
  const reservation: Reservation = { reserved: new Map(), shortfall: null };
  if (lines.length === 0) return reservation;
  let headroom = available;

  const inputs: DirectTransferInput[] = [];
  const chosen: LineToReserve[] = [];
  for (const group of byConversion(lines)) {
    const needed = group.reduce((sum, l) => sum + l.amount, 0n);
    if (headroom !== null && needed > headroom) {
      reservation.shortfall = { conversionId: group[0]!.conversionId, needed, available: headroom };
      break;
    }
    if (headroom !== null) headroom -= needed;
    for (const line of group) {
      chosen.push(line);
      inputs.push({
        kind: 'pending',
        debitAccountId: accounts.prepaid,
        creditAccountId: line.affiliateId === null ? accounts.fees! : accounts.earnings.get(line.affiliateId)!,
        amount: line.amount,
        currency,
        idempotencyKey: `accrual:${line.commissionId}`,
        code: 'accrual',
        userData: { commissionId: line.commissionId, conversionId: line.conversionId, kind: line.kind },
      });
    }
  }
  const outcomes = await createTransfers(tx, tenantId, inputs);
  outcomes.forEach((outcome, i) => {
    const line = chosen[i]!;
    if (outcome.status !== 'refused') {
      reservation.reserved.set(line.commissionId, outcome.transfer.id);
    } else {
      // Refused by the ledger although the headroom read covered it: a concurrent debit (a
      // withdrawal) took the funds. The line waits like any other.
      const available = outcome.error instanceof InsufficientFunds ? outcome.error.available : 0n;
      reservation.shortfall ??= { conversionId: line.conversionId, needed: line.amount, available };
    }
  });
  return reservation;
}

function byConversion(lines: readonly LineToReserve[]): LineToReserve[][] {
  const groups: LineToReserve[][] = [];
  for (const line of lines) {
    const last = groups.at(-1);
    if (last && last[0]!.conversionId === line.conversionId) last.push(line);
    else groups.push([line]);
  }
  return groups;
}
