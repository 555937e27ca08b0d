import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { forbidden, notFound } from '../shared/errors';
import { type IdempotencyRequest, type IdempotentAnswer, idempotent } from '../shared/idempotency';
import { requireMerchantWrite } from '../shared/policies';
import { applyRefund } from './apply-refund';
import { type RefundView, toRefundView } from './refund-view';

/**
 * A merchant refunds a sale in full or in part (or cancels a lead). The refund applies
 * at once whatever the conversion's attribution state: the reversal of its commissions
 * reads the conversion when it runs, so a refund before attribution ends right too.
 */
export async function refundConversion(
  deps: Deps,
  actor: Actor,
  conversionId: string,
  input: { amount?: number; reason?: string },
  idempotency?: Omit<IdempotencyRequest, 'scope'>,
): Promise<IdempotentAnswer<RefundView>> {
  if (actor.type === 'api_key' && actor.keyType !== 'secret') throw forbidden('Refunds need a secret key (sk_…).');
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const c = await tx.conversion.findUnique({ where: { id: conversionId }, select: { merchantId: true } });
    if (!c) throw notFound('Conversion', conversionId);
    try {
      requireMerchantWrite(actor, c.merchantId, ['owner', 'admin', 'finance']);
    } catch (error) {
      if ((error as { code?: string }).code === 'not_found') throw notFound('Conversion', conversionId);
      throw error;
    }
    const scope = actor.type === 'api_key' ? actor.keyId : actor.type === 'user' ? actor.userId : 'system';
    return idempotent(tx, actor.tenantId, idempotency && { ...idempotency, scope }, async () => {
      const { refund, conversion } = await applyRefund(tx, conversionId, {
        amount: input.amount === undefined ? null : BigInt(input.amount),
        reason: input.reason ?? null,
        source: 'api',
        strict: true,
      });
      return { statusCode: 201, body: toRefundView(refund, conversion) };
    });
  });
}
