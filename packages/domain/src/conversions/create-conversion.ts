import { Prisma } from '@app/db/generated/prisma/client';
import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { forbidden, notFound } from '../shared/errors';
import { claimKey, type IdempotencyRequest, type IdempotentAnswer, replayAnswer, storeAnswer, storeAnswerSql } from '../shared/idempotency';
import { requireMerchantWrite } from '../shared/policies';
import type { ConversionStatus } from './conversion-view';
import { loadProgramForConversion, recordConversion } from './record-conversion';
import { type CustomerCandidate, customerCandidates, customerIdentity, settleCustomer } from './resolve-customer';

export interface CreateConversionInput {
  programId: string;
  type: 'lead' | 'sale';
  externalId: string;
  amount?: number;
  currency?: string;
  clickId?: string;
  couponCode?: string;
  customer?: { externalId?: string; email?: string };
  items?: { sku: string; category?: string; amount: number; quantity: number }[];
  occurredAt?: string;
  metadata?: Record<string, unknown>;
}

export interface ConversionAccepted {
  id: string;
  status: ConversionStatus;
}

/**
 * A merchant's server reports a lead or a sale (secret API key, or a merchant admin by
 * hand). Answers 202 with the new conversion, attributed later by the worker; a repeat
 * of the program's externalId answers 200 with the conversion already stored.
 *
 * This runs for every conversion a merchant reports, so it is written in few statements:
 * the program with the customer's lock, then the Idempotency-Key's claim with the
 * customer's look-up, then the conversion with everything it writes and the key's answer
 * (recordConversion).
 */
export async function createConversion(
  deps: Deps,
  actor: Actor,
  input: CreateConversionInput,
  idempotency?: Omit<IdempotencyRequest, 'scope'>,
): Promise<IdempotentAnswer<ConversionAccepted>> {
  if (actor.type === 'api_key' && actor.keyType !== 'secret')
    throw forbidden('Report conversions with a secret key (sk_…); publishable keys only track from browsers.');
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const identity = input.customer ? await customerIdentity(tx, actor.tenantId, input.customer) : null;
    const program = await loadProgramForConversion(tx, input.programId, input.externalId, identity);
    if (!program) throw notFound('Program', input.programId);
    requireMerchantWrite(actor, program.merchantId);
    const scope = actor.type === 'api_key' ? actor.keyId : actor.type === 'user' ? actor.userId : 'system';
    const request = idempotency && { ...idempotency, scope };
    // A repeat of the externalId changes nothing, its customer included.
    const settle = identity && program.existingId === null ? identity : null;
    let candidates: CustomerCandidate[] = [];
    if (request || settle) {
      const [claim] = await tx.$queryRaw<{ claimed: boolean; candidates: CustomerCandidate[] | null }[]>`
        ${request ? Prisma.sql`WITH claim AS (${claimKey(actor.tenantId, request)})` : Prisma.empty}
        SELECT ${request ? Prisma.sql`EXISTS (SELECT 1 FROM claim)` : Prisma.sql`true`} AS claimed,
               ${settle ? customerCandidates(program.merchantId, settle) : Prisma.sql`NULL::json`} AS candidates`;
      if (request && !claim?.claimed) return replayAnswer<ConversionAccepted>(tx, actor.tenantId, request);
      candidates = claim?.candidates ?? [];
    }
    const customer = settle ? await settleCustomer(tx, program.tenantId, program.merchantId, settle, candidates, program.storeCustomerEmails) : null;
    const { conversion, created } = await recordConversion(
      tx,
      program,
      {
        type: input.type,
        externalId: input.externalId,
        amount: input.amount === undefined ? null : BigInt(input.amount),
        currency: input.currency ?? null,
        clickId: input.clickId ?? null,
        couponCode: input.couponCode ?? null,
        customer: input.customer ?? null,
        items: input.items?.map((i) => ({ ...i, amount: BigInt(i.amount) })),
        occurredAt: input.occurredAt ? new Date(input.occurredAt) : undefined,
        metadata: input.metadata,
        source: 'api',
      },
      // Whether the externalId is known was read with the program (a conversion stored
      // since by a concurrent request is found by the insert).
      {
        storeEmail: program.storeCustomerEmails,
        existingId: program.existingId,
        ...(settle ? { customer } : {}),
        // The key's answer for a new conversion is written with it.
        ...(request
          ? {
              withInserted: (c) =>
                storeAnswerSql(actor.tenantId, request, 202, Prisma.sql`jsonb_build_object('id', ${c.id}, 'status', ${c.status})`, c.inserted),
            }
          : {}),
      },
    );
    const answer = { statusCode: created ? 202 : 200, body: { id: conversion.id, status: conversion.status as ConversionStatus } };
    // A repeat, or a sale whose waiting refunds changed its status since the insert.
    if (request && (!created || conversion.status !== 'received')) await storeAnswer(tx, actor.tenantId, request, answer);
    return { ...answer, replayed: false };
  });
}
