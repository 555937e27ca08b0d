import { randomBytes } from 'node:crypto';
import type { PostbackParams } from '@app/contracts/postbacks';
import { newId } from '@app/db/ids';
import { type Tx, withTenant } from '@app/db/with-tenant';
import { applyRefund } from '../conversions/apply-refund';
import type { ConversionStatus } from '../conversions/conversion-view';
import { recordConversion } from '../conversions/record-conversion';
import type { Deps } from '../shared/deps';
import { DomainError } from '../shared/errors';
import { amountToNumber } from '../shared/money';
import { canonicalString, isSignatureShaped, type PostbackParam, SIGNATURE_WINDOW_SECONDS, timestampSkewSeconds, verifySignature } from './postback-signature';
import { prunePostbackReceipts } from './prune-postback-receipts';
import { invalidParams, knownValues, readPostbackParams } from './read-postback-params';

interface ProgramForPostback {
  tenant_id: string;
  merchant_id: string;
  postback_secret: string;
  status: string;
  currency: string;
}

type Program = { id: string; tenantId: string; merchantId: string; currency: string; status: string };

export type PostbackAnswer =
  | { statusCode: 200; body: { id: string; status: ConversionStatus; duplicate: boolean } }
  | { statusCode: 200; body: { id: string; status: ConversionStatus; refundedAmount: number; refundId: string } }
  | { statusCode: 202; body: { status: 'waiting'; refundId: string } };

export interface ReceivePostbackOptions {
  /** The server's clock, ms (tests). */
  now?: number;
  /** Share of postbacks that also prune old receipts. */
  pruneChance?: number;
}

/**
 * A CPA network (or the merchant's shop) reports a sale, a lead or a refund with a
 * signed request. Order of checks: signature shape, program and signature (an unknown
 * program answers exactly like a wrong signature), timestamp window, then the fields —
 * so only a holder of the secret learns anything. The receipt of the signature and the
 * effect share one transaction: a replay, or any failure, stores nothing.
 */
export async function receivePostback(deps: Deps, params: readonly PostbackParam[], options: ReceivePostbackOptions = {}): Promise<PostbackAnswer> {
  const now = options.now ?? Date.now();
  const canonical = canonicalString(params);
  const { values, errors } = knownValues(params);

  const sig = params.filter(([name]) => name === 'sig');
  if (sig.length !== 1 || !isSignatureShaped(sig[0]![1])) {
    throw new DomainError(
      'invalid_signature',
      sig.length > 1 ? 'Send sig once.' : "Send sig: the HMAC-SHA256 (64 hex digits) of the canonical parameters with the program's postback secret.",
    );
  }
  const signature = sig[0]![1].toLowerCase();
  const early = errors.filter((e) => e.path === 'params' || e.path === 'program_id' || e.path === 'ts');
  if (!values.program_id) early.push({ path: 'program_id', message: 'is required' });
  else if (values.program_id.length > 200) early.push({ path: 'program_id', message: 'must be at most 200 characters' });
  if (values.ts === undefined) early.push({ path: 'ts', message: 'is required' });
  const skew = values.ts === undefined ? null : timestampSkewSeconds(values.ts, now);
  if (values.ts !== undefined && skew === null) early.push({ path: 'ts', message: 'must be a unix time in whole seconds' });
  if (early.length || skew === null || !values.program_id) throw invalidParams(dedupe(early));

  const programId = values.program_id;
  const [row] = await deps.prisma.$queryRaw<ProgramForPostback[]>`
    SELECT tenant_id, merchant_id, postback_secret, status, currency FROM program_for_postback(${programId})`;
  // An unknown program is checked against a throw-away key, so it answers like a wrong
  // signature, in about the same time.
  const secret = row?.postback_secret ?? randomBytes(32).toString('hex');
  if (!verifySignature(secret, canonical, signature) || !row) {
    throw new DomainError(
      'invalid_signature',
      "The signature does not match this postback. Sign the canonical string (every parameter but sig, RFC 3986-encoded, sorted, joined by &) with HMAC-SHA256 and the program's postback secret.",
      { canonical },
    );
  }
  if (Math.abs(skew) > SIGNATURE_WINDOW_SECONDS) {
    const serverTime = Math.floor(now / 1000);
    throw new DomainError(
      'signature_expired',
      `ts is ${Math.abs(skew)} s ${skew < 0 ? 'in the past' : 'in the future'}; postbacks are accepted within ±${SIGNATURE_WINDOW_SECONDS} s of the server time, now ${serverTime} (${new Date(serverTime * 1000).toISOString()}).`,
      { ts: Number(values.ts), serverTime, windowSeconds: SIGNATURE_WINDOW_SECONDS },
    );
  }
  const input = readPostbackParams(params);
  const program: Program = { id: programId, tenantId: row.tenant_id, merchantId: row.merchant_id, currency: row.currency, status: row.status };

  return withTenant(deps.prisma, program.tenantId, async (tx) => {
    const receipt = await tx.postbackReceipt.createMany({
      data: [{ signature, tenantId: program.tenantId, programId }],
      skipDuplicates: true,
    });
    if (receipt.count === 0) {
      throw new DomainError('replayed', 'This postback (same signature) was already received; sign each postback with a fresh ts.');
    }
    if (Math.random() < (options.pruneChance ?? 0.02)) await prunePostbackReceipts(tx);
    return input.status === 'approved' ? record(tx, program, input) : refund(tx, program, input);
  });
}

async function record(tx: Tx, program: Program, input: PostbackParams): Promise<PostbackAnswer> {
  if (program.status === 'archived') {
    throw new DomainError('invalid_state', `Program ${program.id} is archived and takes no new conversions; refunds are still accepted.`);
  }
  const { conversion, created } = await recordConversion(
    tx,
    program,
    {
      type: input.type,
      externalId: input.external_id,
      amount: input.amount ?? null,
      currency: input.currency ?? null,
      clickId: input.click_id ?? null,
      couponCode: input.coupon ?? null,
      source: 'postback',
    },
    { storeEmail: false },
  );
  return { statusCode: 200, body: { id: conversion.id, status: conversion.status as ConversionStatus, duplicate: !created } };
}

async function refund(tx: Tx, program: Program, input: PostbackParams): Promise<PostbackAnswer> {
  const reason = `postback ${input.status}`;
  const amount = input.amount ?? null;
  const existing = await tx.conversion.findUnique({
    where: { programId_externalId: { programId: program.id, externalId: input.external_id } },
    select: { id: true, currency: true, originalCurrency: true },
  });
  if (existing) {
    const saleCurrency = existing.originalCurrency ?? existing.currency;
    if (amount !== null && input.currency && saleCurrency && input.currency !== saleCurrency) {
      throw invalidParams([{ path: 'currency', message: `the sale came in ${saleCurrency}; give the refund amount in ${saleCurrency}` }]);
    }
    const applied = await applyRefund(tx, existing.id, { amount, reason, source: 'postback', strict: false });
    return {
      statusCode: 200,
      body: {
        id: applied.conversion.id,
        status: applied.conversion.status as ConversionStatus,
        refundedAmount: amountToNumber(applied.conversion.refundedAmount),
        refundId: applied.refund.id,
      },
    };
  }
  // The refund came before its sale: kept waiting, applied by recordConversion when the
  // sale with this external_id arrives.
  const waiting = await tx.conversionRefund.create({
    data: {
      id: newId('refund'),
      tenantId: program.tenantId,
      merchantId: program.merchantId,
      conversionId: null,
      externalRef: input.external_id,
      amount,
      reason,
      source: 'postback',
      status: 'waiting',
    },
  });
  return { statusCode: 202, body: { status: 'waiting', refundId: waiting.id } };
}

function dedupe<T extends { path: string }>(errors: T[]): T[] {
  return errors.filter((e, i) => errors.findIndex((x) => x.path === e.path) === i);
}
