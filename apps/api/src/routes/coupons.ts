import { idParams, page, problemResponses } from '@app/contracts/common';
import { couponListQuery, couponSchema, createCouponBody, rejectCouponBody, updateCouponBody } from '@app/contracts/coupons';
import { approveCoupon } from '@app/domain/coupons/approve-coupon';
import { createCoupon } from '@app/domain/coupons/create-coupon';
import { getCouponOrThrow } from '@app/domain/coupons/get-coupon-or-throw';
import { listCoupons } from '@app/domain/coupons/list-coupons';
import { rejectCoupon } from '@app/domain/coupons/reject-coupon';
import { updateCoupon } from '@app/domain/coupons/update-coupon';
import type { Deps } from '@app/domain/shared/deps';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { actorOf } from '../plugins/auth';

const errors = problemResponses;
const tags = ['coupons'];

export function couponRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/v1/coupons',
    {
      schema: {
        tags,
        summary: 'Give an affiliate a coupon code (merchant: active) or ask for one (affiliate: requested)',
        body: createCouponBody,
        response: { 201: couponSchema, ...errors },
      },
    },
    async (request, reply) => reply.status(201).send(await createCoupon(deps, actorOf(request), request.body)),
  );
  r.get(
    '/v1/coupons',
    {
      schema: {
        tags,
        summary: "List coupons: an affiliate's own, a merchant's programs', or all (network staff)",
        querystring: couponListQuery,
        response: { 200: page(couponSchema), ...errors },
      },
    },
    async (request) => listCoupons(deps, actorOf(request), request.query),
  );
  r.get('/v1/coupons/:id', { schema: { tags, summary: 'Get a coupon', params: idParams, response: { 200: couponSchema, ...errors } } }, async (request) =>
    getCouponOrThrow(deps, actorOf(request), request.params.id),
  );
  r.patch(
    '/v1/coupons/:id',
    {
      schema: {
        tags,
        summary: 'Switch a coupon off or on, or change its validity (merchant)',
        params: idParams,
        body: updateCouponBody,
        response: { 200: couponSchema, ...errors },
      },
    },
    async (request) => updateCoupon(deps, actorOf(request), request.params.id, request.body),
  );
  r.post(
    '/v1/coupons/:id/approve',
    { schema: { tags, summary: "Accept an affiliate's requested code (merchant)", params: idParams, response: { 200: couponSchema, ...errors } } },
    async (request) => approveCoupon(deps, actorOf(request), request.params.id),
  );
  r.post(
    '/v1/coupons/:id/reject',
    {
      schema: {
        tags,
        summary: "Turn down an affiliate's requested code (merchant)",
        params: idParams,
        body: rejectCouponBody,
        response: { 200: couponSchema, ...errors },
      },
    },
    async (request) => rejectCoupon(deps, actorOf(request), request.params.id, request.body ?? {}),
  );
}
