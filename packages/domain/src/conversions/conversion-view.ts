import type { Conversion, Customer } from '@app/db/generated/prisma/client';
import { amountToNumber, formatRate } from '../shared/money';

export type ConversionStatus = 'received' | 'attributed' | 'unattributed' | 'refunded' | 'rejected';

export interface ConversionItem {
  sku: string;
  category?: string;
  /** Unit price in minor units of the conversion's currency. */
  amount: number;
  quantity: number;
}

/** What a merchant (and network staff) see of a conversion. */
export interface ConversionView {
  id: string;
  merchantId: string;
  programId: string;
  type: 'lead' | 'sale';
  externalId: string;
  status: ConversionStatus;
  source: 'api' | 'postback' | 'tracker' | 'stripe';
  trust: 'server' | 'browser';
  amount: number | null;
  currency: string | null;
  refundedAmount: number;
  originalAmount: number | null;
  originalCurrency: string | null;
  fxRate: string | null;
  clickId: string | null;
  couponCode: string | null;
  customer: { id: string; externalId: string | null; email: string | null } | null;
  items: ConversionItem[];
  metadata: Record<string, unknown>;
  occurredAt: string;
  affiliateId: string | null;
  linkId: string | null;
  attributedClickId: string | null;
  attributionReason: string | null;
  unattributedReason: string | null;
  recurring: boolean;
  subs: { sub1: string | null; sub2: string | null; sub3: string | null; sub4: string | null; sub5: string | null };
  signals: string[];
  attributedAt: string | null;
  createdAt: string;
}

/** What an affiliate sees of a conversion it earned: no customer data, no fraud signals,
 *  no merchant metadata. */
export type PartnerConversionView = Omit<ConversionView, 'customer' | 'metadata' | 'signals' | 'couponCode'>;

const money = (v: bigint | null) => (v === null ? null : amountToNumber(v));

export function toConversionView(c: Conversion, customer: Pick<Customer, 'id' | 'externalId' | 'email'> | null = null): ConversionView {
  return {
    id: c.id,
    merchantId: c.merchantId,
    programId: c.programId,
    type: c.type as ConversionView['type'],
    externalId: c.externalId,
    status: c.status as ConversionStatus,
    source: c.source as ConversionView['source'],
    trust: c.trust as ConversionView['trust'],
    amount: money(c.amount),
    currency: c.currency,
    refundedAmount: amountToNumber(c.refundedAmount),
    originalAmount: money(c.originalAmount),
    originalCurrency: c.originalCurrency,
    fxRate: c.fxRateNano === null ? null : formatRate(c.fxRateNano),
    clickId: c.clickId,
    couponCode: c.couponCode,
    customer: customer ? { id: customer.id, externalId: customer.externalId, email: customer.email } : null,
    items: c.items as unknown as ConversionItem[],
    metadata: c.metadata as Record<string, unknown>,
    occurredAt: c.occurredAt.toISOString(),
    affiliateId: c.affiliateId,
    linkId: c.linkId,
    attributedClickId: c.attributedClickId,
    attributionReason: c.attributionReason,
    unattributedReason: c.unattributedReason,
    recurring: c.recurring,
    subs: { sub1: c.sub1, sub2: c.sub2, sub3: c.sub3, sub4: c.sub4, sub5: c.sub5 },
    signals: c.signals,
    attributedAt: c.attributedAt?.toISOString() ?? null,
    createdAt: c.createdAt.toISOString(),
  };
}

export function toPartnerConversionView(c: Conversion): PartnerConversionView {
  const { customer: _c, metadata: _m, signals: _s, couponCode: _k, ...rest } = toConversionView(c);
  return rest;
}
