import type { Coupon } from '@app/db/generated/prisma/client';
import type { Tx } from '@app/db/with-tenant';
import { normalizeCouponCode } from './coupon-view';

/**
 * The coupon a shopper's code stands for in a program at `at`, when it is active and in
 * its validity window (validFrom inclusive, validUntil exclusive); otherwise null. The
 * code is matched in any case. For attribution: runs in the caller's transaction.
 */
export async function findActiveCoupon(tx: Tx, programId: string, code: string, at: Date): Promise<Coupon | null> {
  const codeNormalized = normalizeCouponCode(code);
  if (!codeNormalized) return null;
  return tx.coupon.findFirst({
    where: {
      programId,
      codeNormalized,
      status: 'active',
      AND: [{ OR: [{ validFrom: null }, { validFrom: { lte: at } }] }, { OR: [{ validUntil: null }, { validUntil: { gt: at } }] }],
    },
  });
}
