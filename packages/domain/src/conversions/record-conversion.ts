import { type Conversion, Prisma, type Program } from '@app/db/generated/prisma/client';
import { newId } from '@app/db/ids';
import type { Tx } from '@app/db/with-tenant';
import { findFxRate } from '../fx/find-fx-rate';
import { jobs } from '../jobs/catalogue';
import { DomainError } from '../shared/errors';
import { convertAmount, currencyExponent, MAX_AMOUNT } from '../shared/money';
import { applyWaitingRefunds } from './apply-refund';
import { type CustomerIdentity, type CustomerPlan, type CustomerRef, customerLock, planCustomer } from './resolve-customer';

export interface ConversionItemInput {
  sku: string;
  category?: string;
  amount: bigint;
  quantity: number;
}

/** A conversion as every source (API, postback, tracker, Stripe) hands it over. */
export interface ConversionInput {
  type: 'lead' | 'sale';
  externalId: string;
  amount?: bigint | null;
  currency?: string | null;
  clickId?: string | null;
  couponCode?: string | null;
  customer?: CustomerRef | null;
  items?: ConversionItemInput[];
  occurredAt?: Date;
  metadata?: Record<string, unknown>;
  source: 'api' | 'postback' | 'tracker' | 'stripe';
  trust?: 'server' | 'browser';
  visitorId?: string | null;
  paymentRef?: string | null;
  ipHash?: string | null;
}

export interface RecordedConversion {
  conversion: Conversion;
  /** False when the program already had a conversion with this externalId. */
  created: boolean;
}

type ProgramRef = Pick<Program, 'id' | 'tenantId' | 'merchantId' | 'currency'>;

export interface RecordOptions {
  storeEmail: boolean;
  /** What the caller read of the program's conversion with this externalId earlier in this
   *  transaction (see loadProgramForConversion): its id, or null when there was none, so
   *  that the look-up is not made twice. Undefined: looked up here. */
  existingId?: string | null;
  /** The customer, when the caller settled it already (see createConversion); undefined:
   *  resolved here from `input.customer`. */
  customer?: CustomerPlan | null;
  /** A data-modifying statement to run in the same statement as the insert (a CTE),
   *  given SQL expressions of the new conversion's id and status and a condition that
   *  holds only when it was inserted (createConversion stores its Idempotency-Key's answer
   *  so). */
  withInserted?: (conversion: { id: Prisma.Sql; status: Prisma.Sql; inserted: Prisma.Sql }) => Prisma.Sql;
}

/** Every column of a conversion under its Prisma field name: a raw statement's rows are
 *  then `Conversion` objects. */
const CONVERSION_FIELDS = {
  id: 'id',
  tenantId: 'tenant_id',
  merchantId: 'merchant_id',
  programId: 'program_id',
  type: 'type',
  externalId: 'external_id',
  status: 'status',
  attribution: 'attribution',
  source: 'source',
  trust: 'trust',
  amount: 'amount',
  currency: 'currency',
  refundedAmount: 'refunded_amount',
  originalAmount: 'original_amount',
  originalCurrency: 'original_currency',
  fxRateId: 'fx_rate_id',
  fxRateNano: 'fx_rate_nano',
  clickId: 'click_id',
  couponCode: 'coupon_code',
  customerId: 'customer_id',
  customerExternalId: 'customer_external_id',
  visitorId: 'visitor_id',
  paymentRef: 'payment_ref',
  ipHash: 'ip_hash',
  items: 'items',
  metadata: 'metadata',
  occurredAt: 'occurred_at',
  affiliateId: 'affiliate_id',
  linkId: 'link_id',
  attributedClickId: 'attributed_click_id',
  couponId: 'coupon_id',
  bindingId: 'binding_id',
  recurring: 'recurring',
  sub1: 'sub1',
  sub2: 'sub2',
  sub3: 'sub3',
  sub4: 'sub4',
  sub5: 'sub5',
  attributionReason: 'attribution_reason',
  unattributedReason: 'unattributed_reason',
  signals: 'signals',
  attributedAt: 'attributed_at',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
} as const satisfies Record<keyof Conversion, string>;

/** The select list of a raw statement whose rows are `Conversion`s: every column of
 *  `conversions` (of the table `alias` when given) under its Prisma field name. */
export function conversionColumns(alias?: string): Prisma.Sql {
  const prefix = alias ? `${alias}.` : '';
  return Prisma.raw(
    Object.entries(CONVERSION_FIELDS)
      .map(([field, column]) => (field === column ? `${prefix}${column}` : `${prefix}${column} AS "${field}"`))
      .join(', '),
  );
}
const CONVERSION_COLUMNS = conversionColumns();

/**
 * Stores a conversion (status `received`) with its attribution job in the outbox, in the
 * caller's transaction. The externalId is unique per program: a repeat, even concurrent,
 * finds the existing conversion and changes nothing. A sale in another currency than the
 * program's is converted at the network's rate in force at the conversion's time, and the
 * rate is kept on the conversion.
 *
 * The conversion, a new customer, the `conversion.created` event and both outbox rows (its
 * attribution job and the event's dispatch) are written by one statement: this runs for
 * every conversion reported, and each round trip to Postgres costs the API more than
 * the rows themselves.
 */
export async function recordConversion(tx: Tx, program: ProgramRef, input: ConversionInput, options: RecordOptions): Promise<RecordedConversion> {
  if (options.existingId !== null) {
    const existing = await findByExternalId(tx, program.id, input.externalId);
    if (existing) return { conversion: existing, created: false };
  }

  const occurredAt = input.occurredAt ?? new Date();
  const money = await inProgramCurrency(tx, program, input, occurredAt);
  const customer =
    options.customer !== undefined
      ? options.customer
      : input.customer
        ? await planCustomer(tx, program.tenantId, program.merchantId, input.customer, options.storeEmail)
        : null;

  const id = newId('conversion');
  const eventId = newId('event');
  const attributeJob = jobs['conversions.attribute'].payload.parse({ conversionId: id });
  const dispatchJob = jobs['events.dispatch'].payload.parse({ eventId });
  const c = customer?.create;
  const refs = [input.externalId, input.paymentRef].filter((r): r is string => !!r);
  const [inserted] = await tx.$queryRaw<(Conversion & { waitingRefunds: boolean })[]>`
    WITH ${
      c
        ? Prisma.sql`new_customer AS (
            INSERT INTO customers (id, tenant_id, merchant_id, external_id, stripe_customer_id, email_hash, email)
            VALUES (${c.id}, ${c.tenantId}, ${c.merchantId}, ${c.externalId}, ${c.stripeCustomerId}, ${c.emailHash}, ${c.email})),`
        : Prisma.empty
    }
    conversion AS (
      INSERT INTO conversions (id, tenant_id, merchant_id, program_id, type, external_id, source, trust, amount, currency, original_amount,
                               original_currency, fx_rate_id, fx_rate_nano, items, click_id, coupon_code, customer_id, customer_external_id,
                               visitor_id, payment_ref, ip_hash, metadata, occurred_at)
      VALUES (${id}, ${program.tenantId}, ${program.merchantId}, ${program.id}, ${input.type}, ${input.externalId}, ${input.source},
              ${input.trust ?? 'server'}, ${money.amount}, ${money.currency}, ${money.originalAmount}, ${money.originalCurrency}, ${money.fxRateId},
              ${money.fxRateNano}, ${JSON.stringify(money.items)}::jsonb, ${input.clickId ?? null}, ${input.couponCode ?? null}, ${customer?.id ?? null},
              ${input.customer?.externalId ?? null}, ${input.visitorId ?? null}, ${input.paymentRef ?? null}, ${input.ipHash ?? null},
              ${JSON.stringify(input.metadata ?? {})}::jsonb, ${occurredAt})
      ON CONFLICT (program_id, external_id) DO NOTHING
      RETURNING ${CONVERSION_COLUMNS}),
    attribute_job AS (
      INSERT INTO outbox (id, tenant_id, topic, payload)
      SELECT ${newId('outbox')}, ${program.tenantId}, 'conversions.attribute', ${JSON.stringify(attributeJob)}::jsonb FROM conversion),
    created_event AS (
      INSERT INTO domain_events (id, tenant_id, type, subject_type, subject_id, payload)
      SELECT ${eventId}, ${program.tenantId}, 'conversion.created', 'conversion', id,
             jsonb_build_object('programId', "programId", 'type', type, 'externalId', "externalId", 'source', source)
        FROM conversion),
    dispatch_job AS (
      INSERT INTO outbox (id, tenant_id, topic, payload)
      SELECT ${newId('outbox')}, ${program.tenantId}, 'events.dispatch', ${JSON.stringify(dispatchJob)}::jsonb FROM conversion)
    ${
      options.withInserted
        ? Prisma.sql`, with_inserted AS (${options.withInserted({
            id: Prisma.sql`(SELECT id FROM conversion)`,
            status: Prisma.sql`(SELECT status FROM conversion)`,
            inserted: Prisma.sql`EXISTS (SELECT 1 FROM conversion)`,
          })})`
        : Prisma.empty
    }
    SELECT conversion.*, ${
      input.type === 'sale' && refs.length > 0
        ? Prisma.sql`EXISTS (SELECT 1 FROM conversion_refunds
                              WHERE merchant_id = ${program.merchantId} AND status = 'waiting' AND external_ref IN (${Prisma.join(refs)}))`
        : Prisma.sql`false`
    } AS "waitingRefunds" FROM conversion`;
  if (!inserted) {
    // Another request stored the same externalId first (its commit released our insert).
    const winner = await findByExternalId(tx, program.id, input.externalId);
    if (!winner) throw new Error(`conversion ${input.externalId} of ${program.id} conflicted but cannot be read`);
    return { conversion: winner, created: false };
  }
  const { waitingRefunds, ...conversion } = inserted;
  // Refunds that named this sale before it arrived (rare): applied now, row by row.
  return { conversion: waitingRefunds ? await applyWaitingRefunds(tx, conversion) : conversion, created: true };
}

function findByExternalId(tx: Tx, programId: string, externalId: string): Promise<Conversion | null> {
  return tx.conversion.findUnique({ where: { programId_externalId: { programId, externalId } } });
}

export interface ConversionProgram extends ProgramRef {
  storeCustomerEmails: boolean;
  /** The program's conversion with the externalId asked about, if it has one. */
  existingId: string | null;
}

/**
 * What recording a conversion needs to know first, in one statement: the program (not
 * found for another tenant's: row-level security), whether its merchant keeps customer
 * e-mails in clear, and whether the program already has a conversion with this externalId.
 * With a customer identity, the same statement takes the identity's lock (customerLock),
 * so that the customer can be looked up with the next one.
 */
export async function loadProgramForConversion(
  tx: Tx,
  programId: string,
  externalId: string,
  lockCustomer?: CustomerIdentity | null,
): Promise<ConversionProgram | null> {
  const [row] = await tx.$queryRaw<ConversionProgram[]>`
    SELECT p.id, p.tenant_id AS "tenantId", p.merchant_id AS "merchantId", p.currency, m.store_customer_emails AS "storeCustomerEmails",
           (SELECT c.id FROM conversions c WHERE c.program_id = p.id AND c.external_id = ${externalId}) AS "existingId"
           ${lockCustomer ? Prisma.sql`, ${customerLock(Prisma.sql`p.merchant_id`, lockCustomer)} AS "customerLocked"` : Prisma.empty}
      FROM programs p JOIN merchants m ON m.tenant_id = p.tenant_id AND m.id = p.merchant_id
     WHERE p.id = ${programId}`;
  if (!row) return null;
  const { id, tenantId, merchantId, currency, storeCustomerEmails, existingId } = row;
  return { id, tenantId, merchantId, currency, storeCustomerEmails, existingId };
}

async function inProgramCurrency(tx: Tx, program: ProgramRef, input: ConversionInput, at: Date) {
  const items = (input.items ?? []).map((i) => ({ ...i }));
  const none = { amount: null, currency: null, originalAmount: null, originalCurrency: null, fxRateId: null, fxRateNano: null };
  if (input.amount === undefined || input.amount === null) {
    if (input.type === 'sale') throw invalid('amount', 'a sale needs an amount in minor units');
    return { ...none, items: serialiseItems(items) };
  }
  const currency = input.currency ?? program.currency;
  currencyExponent(currency);
  if (currency === program.currency) return { ...none, amount: input.amount, currency, items: serialiseItems(items) };

  const rate = await findFxRate(tx, program.tenantId, currency, program.currency, at);
  if (!rate) {
    throw new DomainError(
      'validation_failed',
      `No exchange rate from ${currency} to ${program.currency} (the program's currency) is in force at ${at.toISOString()}; a network admin adds one under /v1/fx-rates.`,
      { errors: [{ path: 'currency', message: `no ${currency}→${program.currency} rate` }] },
    );
  }
  const amount = convertAmount(input.amount, rate.rateNano, currency, program.currency);
  if (amount > MAX_AMOUNT) throw invalid('amount', 'is too large once converted');
  for (const item of items) item.amount = convertAmount(item.amount, rate.rateNano, currency, program.currency);
  return {
    amount,
    currency: program.currency,
    originalAmount: input.amount,
    originalCurrency: currency,
    fxRateId: rate.id,
    fxRateNano: rate.rateNano,
    items: serialiseItems(items),
  };
}

function serialiseItems(items: ConversionItemInput[]): object {
  return items.map((i) => ({ sku: i.sku, ...(i.category ? { category: i.category } : {}), amount: Number(i.amount), quantity: i.quantity }));
}

function invalid(path: string, message: string): DomainError {
  return new DomainError('validation_failed', `${path} ${message}.`, { errors: [{ path, message }] });
}
