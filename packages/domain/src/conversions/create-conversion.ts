import { withTenant } from '@app/db/with-tenant';
import { loadProgramOrThrow } from '../programs/program-view';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { forbidden } from '../shared/errors';
import { type IdempotencyRequest, type IdempotentAnswer, idempotent } from '../shared/idempotency';
import { requireMerchantWrite } from '../shared/policies';
import type { ConversionStatus } from './conversion-view';
import { recordConversion } from './record-conversion';

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
    const program = await loadProgramOrThrow(tx, input.programId);
    requireMerchantWrite(actor, program.merchantId);
    const scope = actor.type === 'api_key' ? actor.keyId : actor.type === 'user' ? actor.userId : 'system';
    return idempotent(tx, actor.tenantId, idempotency && { ...idempotency, scope }, async () => {
      const merchant = await tx.merchant.findUniqueOrThrow({ where: { id: program.merchantId }, select: { storeCustomerEmails: true } });
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
        { storeEmail: merchant.storeCustomerEmails },
      );
      return { statusCode: created ? 202 : 200, body: { id: conversion.id, status: conversion.status as ConversionStatus } };
    });
  });
}
