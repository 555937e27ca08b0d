import { newId } from '../../src/ids';
import type { SchemaField, SchemaModel } from './prisma-schema';

/**
 * Rows for the drift round-trip: every field of every model gets a value. Values are
 * generated from the field's type (each field a different value, so two swapped columns
 * cannot read back right); the plan only overrides what the SQL constrains — foreign
 * keys, CHECK-ed enumerations, formats — and lists models in foreign-key order.
 * A new model fails the drift test until it is given a place here.
 */

export interface RoundTripStep {
  model: string;
  /** The primary key's fields (['id'] for most models). */
  key: string[];
  rows: Record<string, unknown>[];
}

export interface RoundTripPlan {
  tenantId: string;
  steps: RoundTripStep[];
}

function generatedValue(model: string, field: SchemaField, index: number, row: number): unknown {
  const tag = `${model}.${field.name}#${row}`;
  switch (field.type) {
    case 'String':
      return `${tag} ✓`;
    case 'Int':
      return 1_000 + index * 7 + row;
    case 'BigInt':
      // Beyond Number.MAX_SAFE_INTEGER, so a lossy number conversion shows.
      return 9_007_199_254_740_993n + BigInt(index * 10 + row);
    case 'Float':
      return 0.5 + index;
    case 'Boolean':
      return index % 2 === 0;
    case 'DateTime':
      // Millisecond precision (timestamptz(3)), a different instant per field.
      return new Date(Date.UTC(2026, 0, 1 + index, 10, 20, 30, 100 + index * 10 + row));
    case 'Json':
      return { field: tag, n: index, nested: { list: [1, 'two', null, true], unicode: 'Zürich €' } };
    default:
      throw new Error(`${tag}: the round-trip has no value generator for type ${field.type}`);
  }
}

export function roundTripPlan(models: SchemaModel[]): RoundTripPlan {
  const tenantId = newId('tenant');
  const ids = {
    user: newId('user'),
    merchant: newId('merchant'),
    parentAffiliate: newId('affiliate'),
    affiliate: newId('affiliate'),
    program: newId('program'),
    group: newId('group'),
    enrollment: newId('enrollment'),
    link: newId('link'),
    fxRate: newId('fxRate'),
    customer: newId('customer'),
    conversion: newId('conversion'),
    prepaid: newId('ledgerAccount'),
    earnings: newId('ledgerAccount'),
    pendingTransfer: newId('transfer'),
    topUp: newId('topUp'),
    planVersion: newId('planVersion'),
  };
  const profile = {
    websites: ['https://blog.example', 'https://b.example'],
    channels: ['site', 'email'],
    countries: ['DE', 'SE'],
    categories: ['shoes'],
    payoutCurrency: 'SEK',
  };

  // Only what the SQL constrains; every other field is generated from its type.
  const overrides: [string, Record<string, unknown>[]][] = [
    ['Tenant', [{ id: tenantId, slug: `net-${tenantId.slice(-8)}`, defaultCurrency: 'EUR' }]],
    ['User', [{ id: ids.user, tenantId, email: 'owner@example.test', status: 'disabled' }]],
    ['Merchant', [{ id: ids.merchant, tenantId, status: 'suspended', defaultCurrency: 'USD' }]],
    [
      'Affiliate',
      [
        { id: ids.parentAffiliate, tenantId, email: 'parent@example.test', status: 'pending', parentAffiliateId: null, ...profile },
        { id: ids.affiliate, tenantId, email: 'child@example.test', status: 'suspended', parentAffiliateId: ids.parentAffiliate, ...profile, websites: [] },
      ],
    ],
    [
      'Membership',
      // The scope CHECK allows a merchant or an affiliate, never both: two rows cover both columns.
      [
        { id: newId('membership'), tenantId, userId: ids.user, scope: 'merchant', merchantId: ids.merchant, affiliateId: null, role: 'finance' },
        { id: newId('membership'), tenantId, userId: ids.user, scope: 'affiliate', merchantId: null, affiliateId: ids.affiliate, role: 'analyst' },
      ],
    ],
    ['ApiKey', [{ id: newId('apiKey'), tenantId, merchantId: ids.merchant, type: 'publishable', createdByUserId: ids.user }]],
    ['AuthSession', [{ id: newId('session'), tenantId, userId: ids.user }]],
    ['AuditLog', [{ id: newId('audit'), tenantId }]],
    ['Outbox', [{ id: newId('outbox'), tenantId }]],
    ['DomainEvent', [{ id: newId('event'), tenantId }]],
    ['Email', [{ id: newId('email'), tenantId, status: 'failed' }]],
    [
      'Program',
      [
        {
          id: ids.program,
          tenantId,
          merchantId: ids.merchant,
          allowedDomains: ['shoes.example', 'www.shoes.example'],
          trackingParam: 'ref_id',
          cookieDays: 45,
          attributionModel: 'first_click',
          enrollmentMode: 'invite_only',
          approvalMode: 'manual',
          holdDays: 14,
          currency: 'EUR',
          status: 'paused',
          visibility: 'private',
        },
      ],
    ],
    ['ProgramPlanVersion', [{ id: ids.planVersion, tenantId, programId: ids.program, version: 3 }]],
    ['ProgramGroup', [{ id: ids.group, tenantId, programId: ids.program }]],
    [
      'Enrollment',
      [
        {
          id: ids.enrollment,
          tenantId,
          programId: ids.program,
          affiliateId: ids.affiliate,
          status: 'suspended',
          groupId: ids.group,
          invitedByUserId: ids.user,
        },
      ],
    ],
    [
      'Link',
      [
        {
          id: ids.link,
          tenantId,
          programId: ids.program,
          affiliateId: ids.affiliate,
          enrollmentId: ids.enrollment,
          code: 'Abc-123_xyz',
          status: 'disabled',
        },
      ],
    ],
    [
      'Coupon',
      [
        {
          id: newId('coupon'),
          tenantId,
          programId: ids.program,
          affiliateId: ids.affiliate,
          code: 'Summer10',
          codeNormalized: 'SUMMER10',
          status: 'requested',
          validFrom: new Date(Date.UTC(2026, 5, 1)),
          validUntil: new Date(Date.UTC(2026, 8, 1)),
        },
      ],
    ],
    ['Creative', [{ id: newId('creative'), tenantId, programId: ids.program, type: 'banner', status: 'archived' }]],
    ['TrackingDomain', [{ id: newId('trackingDomain'), tenantId, host: `go.${tenantId.slice(-8)}.example` }]],
    [
      'Click',
      [
        {
          id: newId('click'),
          tenantId,
          clickedAt: new Date(Date.UTC(2026, 0, 17, 8, 30, 0, 123)),
          programId: ids.program,
          affiliateId: ids.affiliate,
          linkId: ids.link,
          country: 'SE',
          device: 'tablet',
          method: 'HEAD',
          flags: ['bot', 'repeat'],
        },
      ],
    ],
    [
      'ClickDailyStat',
      [
        {
          tenantId,
          day: new Date(Date.UTC(2026, 0, 17)),
          programId: ids.program,
          affiliateId: ids.affiliate,
          linkId: ids.link,
          uniqueClicks: 9_007_199_254_740_992n,
        },
      ],
    ],
    [
      'ConversionDailyStat',
      [
        {
          tenantId,
          day: new Date(Date.UTC(2026, 0, 17)),
          programId: ids.program,
          affiliateId: ids.affiliate,
          linkId: ids.link,
          currency: 'SEK',
          revenue: 9_007_199_254_740_993n,
          commissions: -12n,
        },
      ],
    ],
    ['FxRate', [{ id: ids.fxRate, tenantId, fromCurrency: 'USD', toCurrency: 'SEK', rateNano: 10_512_345_678n }]],
    ['Customer', [{ id: ids.customer, tenantId, merchantId: ids.merchant }]],
    [
      'Conversion',
      [
        {
          id: ids.conversion,
          tenantId,
          merchantId: ids.merchant,
          programId: ids.program,
          type: 'sale',
          status: 'refunded',
          attribution: 'attributed',
          source: 'stripe',
          trust: 'browser',
          amount: 9_007_199_254_740_993n,
          currency: 'SEK',
          refundedAmount: 9_007_199_254_740_993n,
          originalCurrency: 'USD',
          fxRateId: ids.fxRate,
          customerId: ids.customer,
          affiliateId: ids.affiliate,
          attributionReason: 'first_click',
          signals: ['customer_email_is_affiliate', 'ip_matches_affiliate_login'],
          items: [{ sku: 'A-1', category: 'shoes', amount: 4_200, quantity: 2 }],
        },
      ],
    ],
    [
      'CustomerBinding',
      [{ id: newId('binding'), tenantId, customerId: ids.customer, programId: ids.program, affiliateId: ids.affiliate, conversionId: ids.conversion }],
    ],
    ['ConversionRefund', [{ id: newId('refund'), tenantId, merchantId: ids.merchant, conversionId: ids.conversion, source: 'postback', status: 'waiting' }]],
    ['IdempotencyKey', [{ tenantId, scope: 'key_x', key: 'order-1001' }]],
    ['StripeEvent', [{ tenantId, merchantId: ids.merchant, eventId: 'evt_1', type: 'invoice.paid' }]],
    ['PostbackReceipt', [{ signature: `sig-${tenantId}`, tenantId, programId: ids.program }]],
    [
      'LedgerAccount',
      // Balances within the prepaid account's limit (debits ≤ credits + overdraft), both in
      // SEK: the transfers' foreign keys carry the currency.
      [
        {
          id: ids.prepaid,
          tenantId,
          ownerType: 'merchant',
          ownerId: ids.merchant,
          kind: 'merchant_prepaid',
          currency: 'SEK',
          debitsPending: 9_007_199_254_740_993n,
          debitsPosted: 9_007_199_254_740_994n,
          creditsPending: 9_007_199_254_740_995n,
          creditsPosted: 9_007_199_254_740_996n,
          debitsMustNotExceedCredits: true,
          overdraftLimit: 9_007_199_254_740_997n,
        },
        {
          id: ids.earnings,
          tenantId,
          ownerType: 'affiliate',
          ownerId: ids.affiliate,
          kind: 'affiliate_earnings',
          currency: 'SEK',
          debitsMustNotExceedCredits: false,
        },
      ],
    ],
    [
      'LedgerTransfer',
      // A pending transfer and the partial post that resolves it (which names it).
      [
        {
          id: ids.pendingTransfer,
          tenantId,
          kind: 'pending',
          debitAccountId: ids.prepaid,
          creditAccountId: ids.earnings,
          amount: 9_007_199_254_740_993n,
          currency: 'SEK',
          pendingId: null,
          code: 'accrual',
        },
        {
          id: newId('transfer'),
          tenantId,
          kind: 'post_pending',
          debitAccountId: ids.prepaid,
          creditAccountId: ids.earnings,
          amount: 9_007_199_254_740_992n,
          currency: 'SEK',
          pendingId: ids.pendingTransfer,
          code: 'approval.partial',
        },
      ],
    ],
    ['NetworkStripeAccount', [{ tenantId, secretKey: 'sk_test_RoundTrip0123456789', webhookSecret: 'whsec_cm91bmQtdHJpcC1zZWNyZXQ' }]],
    [
      'TopUp',
      // A paid Stripe top-up names its session and checkout URL, and the transfer that credited
      // it; a manual one has a reason and no session (one not paid: no transfer).
      [
        {
          id: ids.topUp,
          tenantId,
          merchantId: ids.merchant,
          method: 'stripe',
          currency: 'SEK',
          status: 'paid',
          reason: null,
          createdByType: 'api_key',
          transferId: ids.pendingTransfer,
        },
        {
          id: newId('topUp'),
          tenantId,
          merchantId: ids.merchant,
          method: 'manual',
          currency: 'EUR',
          status: 'failed',
          stripeSessionId: null,
          createdByType: 'user',
          transferId: null,
          paidAt: null,
        },
      ],
    ],
    ['NetworkStripeEvent', [{ tenantId, eventId: 'evt_1', topUpId: ids.topUp, currency: 'SEK' }]],
    ['LowBalanceThreshold', [{ tenantId, merchantId: ids.merchant, currency: 'SEK' }]],
    [
      'ConversionAccrual',
      [
        {
          conversionId: ids.conversion,
          tenantId,
          merchantId: ids.merchant,
          programId: ids.program,
          affiliateId: ids.affiliate,
          // The conversion above is refunded: nothing to accrue.
          outcome: 'skipped',
          reason: 'refunded',
          planVersionId: ids.planVersion,
        },
      ],
    ],
    [
      'Commission',
      // The parent's second-tier share of a bonus, reserved by the pending transfer above (SEK).
      [
        {
          id: newId('commission'),
          tenantId,
          merchantId: ids.merchant,
          programId: ids.program,
          conversionId: ids.conversion,
          affiliateId: ids.parentAffiliate,
          sourceAffiliateId: ids.affiliate,
          kind: 'second_tier',
          currency: 'SEK',
          status: 'pending',
          planVersionId: ids.planVersion,
          pendingTransferId: ids.pendingTransfer,
          // Refunds took part of it back before approval (never more than the line).
          amount: 5_000n,
          reversedAmount: 1_200n,
        },
      ],
    ],
  ];
  const keys: Record<string, string[]> = {
    IdempotencyKey: ['tenantId', 'scope', 'key'],
    StripeEvent: ['merchantId', 'eventId'],
    PostbackReceipt: ['signature'],
    NetworkStripeAccount: ['tenantId'],
    NetworkStripeEvent: ['tenantId', 'eventId'],
    LowBalanceThreshold: ['merchantId', 'currency'],
    ConversionAccrual: ['conversionId'],
    Click: ['id', 'clickedAt'],
    ClickDailyStat: ['tenantId', 'day', 'programId', 'affiliateId', 'linkId', 'sub1'],
    ConversionDailyStat: ['tenantId', 'day', 'programId', 'affiliateId', 'linkId', 'sub1'],
  };

  const steps = overrides.map(([name, rows]) => {
    const model = models.find((m) => m.name === name);
    if (!model) throw new Error(`round-trip plan names model ${name}, which schema.prisma does not have`);
    return {
      model: name,
      key: keys[name] ?? ['id'],
      rows: rows.map((override, row) =>
        Object.fromEntries(
          model.fields.map((field, index) => [field.name, field.name in override ? override[field.name] : generatedValue(name, field, index, row)]),
        ),
      ),
    };
  });
  return { tenantId, steps };
}
