import { withTenant } from '@app/db/with-tenant';
import { hashIp } from '../clicks/traffic-quality';
import type { ConversionStatus } from '../conversions/conversion-view';
import { recordConversion } from '../conversions/record-conversion';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { DomainError, forbidden } from '../shared/errors';
import { tenantSalt } from '../shared/tenant-salt';
import { requireTrackerKey, requireTrackerOrigin } from './tracker-access';

export interface TrackLeadInput {
  programId: string;
  type: 'lead' | 'sale';
  externalId: string;
  email?: string;
  clickId?: string;
  amount?: number;
  currency?: string;
}

/**
 * A lead (or, where the program allows it, a sale) reported by the browser tracker. It
 * is stored like any conversion (idempotent by externalId, attributed by the worker) but
 * marked `source: tracker, trust: browser`: anyone can send it with the public key, so
 * sales from the browser are off unless the program turns them on (`browser_sales`).
 * The visitor's IP is kept only as a salted hash, for fraud checks.
 */
export async function recordTrackerConversion(
  deps: Deps,
  actor: Actor,
  input: TrackLeadInput,
  request: { ip: string | null; origin: string | undefined },
): Promise<{ statusCode: 200 | 202; body: { id: string; status: ConversionStatus } }> {
  requireTrackerKey(actor);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const program = await tx.program.findUnique({ where: { id: input.programId } });
    if (!program || program.merchantId !== actor.merchantId)
      throw new DomainError('not_found', `Program ${input.programId} was not found.`, { id: input.programId });
    requireTrackerOrigin(request.origin, program.allowedDomains);
    if (input.type === 'sale' && !program.browserSales) {
      throw forbidden(
        'This program does not take sales from the browser tracker (browser sales are off): report sales from your server with a secret key (POST /v1/conversions) or through the Stripe integration, or turn on browserSales for the program.',
      );
    }
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
        customer: input.email ? { email: input.email } : null,
        source: 'tracker',
        trust: 'browser',
        ipHash: request.ip ? hashIp(await tenantSalt(tx, actor.tenantId), request.ip) : null,
      },
      { storeEmail: merchant.storeCustomerEmails },
    );
    return { statusCode: created ? 202 : 200, body: { id: conversion.id, status: conversion.status as ConversionStatus } };
  });
}
