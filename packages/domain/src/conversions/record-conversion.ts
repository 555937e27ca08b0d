import type { Conversion, Program } from '@app/db/generated/prisma/client';
import { newId } from '@app/db/ids';
import type { Tx } from '@app/db/with-tenant';
import { recordEvent } from '../events/record-event';
import { findFxRate } from '../fx/find-fx-rate';
import { DomainError } from '../shared/errors';
import { convertAmount, currencyExponent, MAX_AMOUNT } from '../shared/money';
import { enqueueAfterCommit } from '../shared/outbox';
import { applyWaitingRefunds } from './apply-refund';
import { type CustomerRef, resolveCustomer } from './resolve-customer';

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

/**
 * Stores a conversion (status `received`) with its attribution job in the outbox, in the
 * caller's transaction. The externalId is unique per program: a repeat, even concurrent,
 * finds the existing conversion and changes nothing. A sale in another currency than the
 * program's is converted at the network's rate in force at the conversion's time, and the
 * rate is kept on the conversion.
 */
export async function recordConversion(tx: Tx, program: ProgramRef, input: ConversionInput, options: { storeEmail: boolean }): Promise<RecordedConversion> {
  const existing = await findByExternalId(tx, program.id, input.externalId);
  if (existing) return { conversion: existing, created: false };

  const occurredAt = input.occurredAt ?? new Date();
  const money = await inProgramCurrency(tx, program, input, occurredAt);
  const customer = input.customer ? await resolveCustomer(tx, program.tenantId, program.merchantId, input.customer, options.storeEmail) : null;

  const [inserted] = await tx.conversion.createManyAndReturn({
    data: [
      {
        id: newId('conversion'),
        tenantId: program.tenantId,
        merchantId: program.merchantId,
        programId: program.id,
        type: input.type,
        externalId: input.externalId,
        source: input.source,
        trust: input.trust ?? 'server',
        ...money,
        clickId: input.clickId ?? null,
        couponCode: input.couponCode ?? null,
        customerId: customer?.id ?? null,
        customerExternalId: input.customer?.externalId ?? null,
        visitorId: input.visitorId ?? null,
        paymentRef: input.paymentRef ?? null,
        ipHash: input.ipHash ?? null,
        metadata: (input.metadata ?? {}) as object,
        occurredAt,
      },
    ],
    skipDuplicates: true,
  });
  if (!inserted) {
    // Another request stored the same externalId first (its commit released our insert).
    const winner = await findByExternalId(tx, program.id, input.externalId);
    if (!winner) throw new Error(`conversion ${input.externalId} of ${program.id} conflicted but cannot be read`);
    return { conversion: winner, created: false };
  }
  await enqueueAfterCommit(tx, program.tenantId, 'conversions.attribute', { conversionId: inserted.id });
  await recordEvent(tx, {
    tenantId: program.tenantId,
    type: 'conversion.created',
    subjectType: 'conversion',
    subjectId: inserted.id,
    payload: { programId: program.id, type: inserted.type, externalId: inserted.externalId, source: inserted.source },
  });
  const conversion = input.type === 'sale' ? await applyWaitingRefunds(tx, inserted) : inserted;
  return { conversion, created: true };
}

function findByExternalId(tx: Tx, programId: string, externalId: string): Promise<Conversion | null> {
  return tx.conversion.findUnique({ where: { programId_externalId: { programId, externalId } } });
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
