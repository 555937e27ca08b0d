import type { LedgerAccount } from '@app/db/generated/prisma/client';
import { describe, expect, it } from 'vitest';
import { balanceOf, debitHeadroom } from './account-balance';
import { applyMovement } from './transfer-effect';

const account = (kind: string, sums: Partial<LedgerAccount> = {}): LedgerAccount => ({
  id: 'lac_1',
  tenantId: 'ten_1',
  ownerType: kind === 'merchant_prepaid' ? 'merchant' : kind === 'affiliate_earnings' ? 'affiliate' : 'network',
  ownerId: 'x',
  kind,
  currency: 'EUR',
  debitsPending: 0n,
  debitsPosted: 0n,
  creditsPending: 0n,
  creditsPosted: 0n,
  debitsMustNotExceedCredits: kind === 'merchant_prepaid' || kind === 'payouts_in_transit',
  overdraftLimit: 0n,
  createdAt: new Date(0),
  ...sums,
});

describe('balanceOf', () => {
  it.each([
    // kind, sums, posted, reserved, incoming, available
    ['merchant_prepaid', { creditsPosted: 10_000n, debitsPosted: 1_000n, debitsPending: 1_500n }, 9_000n, 1_500n, 0n, 7_500n],
    ['affiliate_earnings', { creditsPosted: 1_000n, creditsPending: 300n, debitsPosted: 1_200n }, -200n, 0n, 300n, -200n],
    ['network_fee_revenue', { creditsPosted: 200n, debitsPosted: 50n }, 150n, 0n, 0n, 150n],
    ['network_cash', { debitsPosted: 10_000n, creditsPosted: 300n, creditsPending: 100n, debitsPending: 7n }, 9_700n, 100n, 7n, 9_600n],
    ['payouts_in_transit', { creditsPosted: 300n, debitsPosted: 300n }, 0n, 0n, 0n, 0n],
  ] as const)('reads %s on its normal side', (kind, sums, posted, reserved, incoming, available) => {
    expect(balanceOf(account(kind, sums))).toMatchObject({ kind, posted, reserved, incoming, available });
  });
});

describe('debitHeadroom', () => {
  it('is posted credits + overdraft − posted debits − pending debits, ignoring pending credits', () => {
    expect(debitHeadroom(account('merchant_prepaid', { creditsPosted: 1_000n, creditsPending: 5_000n, debitsPosted: 300n, debitsPending: 200n }))).toBe(500n);
    expect(debitHeadroom(account('merchant_prepaid', { creditsPosted: 100n, debitsPending: 550n, overdraftLimit: 500n }))).toBe(50n);
  });

  it('is null for an account whose debits are not capped', () => {
    expect(debitHeadroom(account('affiliate_earnings', { debitsPosted: 10n }))).toBeNull();
  });
});

describe('applyMovement', () => {
  it('moves both sides by the same amounts: pending, partial post (remainder released), void, single phase', () => {
    const debit = { debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 0n };
    const credit = { ...debit };
    applyMovement(debit, credit, { kind: 'pending', amount: 1_000n });
    expect([debit.debitsPending, credit.creditsPending]).toEqual([1_000n, 1_000n]);
    applyMovement(debit, credit, { kind: 'post_pending', amount: 600n, pendingAmount: 1_000n });
    expect(debit).toMatchObject({ debitsPending: 0n, debitsPosted: 600n });
    expect(credit).toMatchObject({ creditsPending: 0n, creditsPosted: 600n });
    applyMovement(debit, credit, { kind: 'pending', amount: 50n });
    applyMovement(debit, credit, { kind: 'void_pending', pendingAmount: 50n });
    applyMovement(debit, credit, { kind: 'single_phase', amount: 7n });
    expect(debit).toEqual({ debitsPending: 0n, debitsPosted: 607n, creditsPending: 0n, creditsPosted: 0n });
    expect(credit).toEqual({ debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 607n });
  });
});
