import type { Commission, Prisma } from '@app/db/generated/prisma/client';
import type { Actor } from '../shared/actor';
import { forbidden } from '../shared/errors';
import { amountToNumber } from '../shared/money';
import { affiliateIdOf, memberMerchantIds, networkRole } from '../shared/policies';

export type CommissionKind = 'primary' | 'bonus' | 'second_tier' | 'network_fee';
export type CommissionStatus = 'pending' | 'awaiting_funds' | 'approved' | 'rejected' | 'reversed' | 'paid';

const LABELS: Record<CommissionKind, string> = {
  primary: 'Commission',
  bonus: 'Bonus',
  second_tier: 'Second-tier share',
  network_fee: 'Network fee',
};

export interface CommissionView {
  id: string;
  conversionId: string;
  programId: string;
  merchantId?: string;
  affiliateId: string | null;
  sourceAffiliateId?: string;
  kind: CommissionKind;
  label: string;
  amount: number;
  currency: string;
  status: CommissionStatus;
  reason: string | null;
  rateBps?: number | null;
  basis?: number;
  holdUntil: string;
  createdAt: string;
  updatedAt: string;
}

/** Whose commissions the actor sees, as a Prisma filter, and whether it sees them as their beneficiary. */
export interface CommissionScope {
  where: Prisma.CommissionWhereInput;
  asAffiliate: boolean;
}

/**
 * Network staff: every line. A merchant's members and its secret key: the merchant's
 * lines, network fees included (the fee it is charged). An affiliate: the lines it
 * earns (beneficiary = it; a second-tier share is its parent's), never a network fee.
 */
export function commissionScope(actor: Actor): CommissionScope {
  if (networkRole(actor)) return { where: {}, asAffiliate: false };
  const self = affiliateIdOf(actor);
  if (self) return { where: { affiliateId: self, kind: { not: 'network_fee' } }, asAffiliate: true };
  const merchants = memberMerchantIds(actor);
  if (merchants.length === 0) throw forbidden('Commissions are for merchants, their affiliates and network staff.');
  return { where: { merchantId: { in: merchants } }, asAffiliate: false };
}

/** The API's view; an affiliate's leaves out the merchant, the attributed affiliate (for a share) and the engine's figures. */
export function toCommissionView(c: Commission, asAffiliate: boolean): CommissionView {
  const kind = c.kind as CommissionKind;
  const common = {
    id: c.id,
    conversionId: c.conversionId,
    programId: c.programId,
    affiliateId: c.affiliateId,
    kind,
    label: LABELS[kind] ?? kind,
    amount: amountToNumber(c.amount),
    currency: c.currency,
    status: c.status as CommissionStatus,
    reason: c.reason,
    holdUntil: c.holdUntil.toISOString(),
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
  if (asAffiliate) return common;
  return { ...common, merchantId: c.merchantId, sourceAffiliateId: c.sourceAffiliateId, rateBps: c.rateBps, basis: amountToNumber(c.basis) };
}
