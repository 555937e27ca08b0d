import { idParams, page, problem, problemResponses } from '@app/contracts/common';
import { idempotencyHeaders } from '@app/contracts/conversions';
import {
  createTopUpBody,
  lowBalanceThresholdBody,
  lowBalanceThresholdSchema,
  networkStripeBody,
  networkStripeSchema,
  networkStripeWebhookAnswer,
  networkStripeWebhookParams,
  topUpListQuery,
  topUpParams,
  topUpSchema,
} from '@app/contracts/top-ups';
import { getNetworkStripeAccount } from '@app/domain/network-stripe/get-network-stripe-account';
import type { StripeApiOptions } from '@app/domain/network-stripe/network-stripe-client';
import { receiveNetworkStripeWebhook } from '@app/domain/network-stripe/receive-network-stripe-webhook';
import { removeNetworkStripeAccount } from '@app/domain/network-stripe/remove-network-stripe-account';
import { setNetworkStripeAccount } from '@app/domain/network-stripe/set-network-stripe-account';
import type { Deps } from '@app/domain/shared/deps';
import { requestHash } from '@app/domain/shared/idempotency';
import { createTopUp } from '@app/domain/top-ups/create-top-up';
import { getTopUp } from '@app/domain/top-ups/get-top-up';
import { listLowBalanceThresholds } from '@app/domain/top-ups/list-low-balance-thresholds';
import { listTopUps } from '@app/domain/top-ups/list-top-ups';
import { setLowBalanceThreshold } from '@app/domain/top-ups/set-low-balance-threshold';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../plugins/auth';

const errors = problemResponses;
const WEBHOOK_BODY_LIMIT = 512 * 1024;

export interface TopUpRouteOptions {
  /** How the API reaches Stripe (STRIPE_API_BASE, STRIPE_TIMEOUT_MS). */
  stripeApi: StripeApiOptions;
}

function idempotencyOf(request: FastifyRequest): { key: string; requestHash: string } | undefined {
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string') return undefined;
  return { key, requestHash: requestHash(request.method, request.routeOptions.url ?? request.url, { params: request.params, body: request.body }) };
}

/** Prepaid top-ups, the low-balance threshold, and the network's own Stripe account and webhook. */
export function topUpRoutes(app: FastifyInstance, deps: Deps, options: TopUpRouteOptions): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/v1/merchants/:id/top-ups',
    {
      schema: {
        tags: ['money'],
        summary: "Top up a merchant's prepaid balance: a Stripe Checkout page to pay at, or a manual credit by network staff",
        description:
          'stripe: merchant or network owner/admin/finance; answers the pending top-up with checkoutUrl, credited when Stripe confirms the payment. ' +
          'manual: network owner/admin/finance only; credited at once, with a reason, audited. Honours Idempotency-Key.',
        params: idParams,
        headers: idempotencyHeaders,
        body: createTopUpBody,
        response: { 201: topUpSchema, ...errors, 503: problem },
      },
    },
    async (request, reply) => {
      const answer = await createTopUp(deps, actorOf(request), request.params.id, request.body, idempotencyOf(request), options.stripeApi);
      if (answer.replayed) reply.header('idempotent-replayed', 'true');
      return reply.status(answer.statusCode as 201).send(answer.body);
    },
  );
  r.get(
    '/v1/merchants/:id/top-ups',
    {
      schema: {
        tags: ['money'],
        summary: "A merchant's top-ups, newest first",
        params: idParams,
        querystring: topUpListQuery,
        response: { 200: page(topUpSchema), ...errors },
      },
    },
    async (request) => listTopUps(deps, actorOf(request), request.params.id, request.query),
  );
  r.get(
    '/v1/merchants/:id/top-ups/:topUpId',
    { schema: { tags: ['money'], summary: 'One top-up and its status', params: topUpParams, response: { 200: topUpSchema, ...errors } } },
    async (request) => getTopUp(deps, actorOf(request), request.params.id, request.params.topUpId),
  );

  r.put(
    '/v1/merchants/:id/low-balance-threshold',
    {
      schema: {
        tags: ['money'],
        summary: "Set the merchant's low-balance threshold in a currency (balance.low is sent once each time the balance falls below it)",
        description: 'Merchant or network owner/admin/finance. The balance is checked against it at once.',
        params: idParams,
        body: lowBalanceThresholdBody,
        response: { 200: lowBalanceThresholdSchema, ...errors },
      },
    },
    async (request) => setLowBalanceThreshold(deps, actorOf(request), request.params.id, request.body),
  );
  r.get(
    '/v1/merchants/:id/low-balance-threshold',
    {
      schema: {
        tags: ['money'],
        summary: "The merchant's low-balance thresholds, one per currency, with the available balances",
        params: idParams,
        response: { 200: z.object({ data: z.array(lowBalanceThresholdSchema) }), ...errors },
      },
    },
    async (request) => listLowBalanceThresholds(deps, actorOf(request), request.params.id),
  );

  const networkPath = '/v1/network/integrations/stripe';
  r.put(
    networkPath,
    {
      schema: {
        tags: ['integrations'],
        summary: "Connect the network's own Stripe account, which receives merchants' top-up payments",
        description: 'Network owner/admin. Neither secret is shown again; saving again replaces both.',
        body: networkStripeBody,
        response: { 200: networkStripeSchema, ...errors },
      },
    },
    async (request) => setNetworkStripeAccount(deps, actorOf(request), request.body),
  );
  r.get(
    networkPath,
    {
      schema: {
        tags: ['integrations'],
        summary: "Whether the network's Stripe account is connected, and the webhook URL to give Stripe (never the secrets)",
        response: { 200: networkStripeSchema, ...errors },
      },
    },
    async (request) => getNetworkStripeAccount(deps, actorOf(request)),
  );
  r.delete(
    networkPath,
    {
      schema: {
        tags: ['integrations'],
        summary: "Disconnect the network's Stripe account (no new Stripe top-ups; its webhook answers 404)",
        response: { 204: z.null(), ...errors },
      },
    },
    async (request, reply) => {
      await removeNetworkStripeAccount(deps, actorOf(request));
      return reply.status(204).send(null);
    },
  );

  // Its own scope: the signature is over the exact bytes Stripe sent, so the JSON body is
  // kept raw here (and no other body type is accepted).
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_request, body, done) => done(null, body));
    scope.withTypeProvider<ZodTypeProvider>().post(
      '/v1/integrations/stripe/network/:tenant/webhook',
      {
        config: {
          public: true,
          rateLimit: { keyGenerator: (request) => `stripe-network:${(request.params as { tenant?: string }).tenant ?? ''}` },
        },
        schema: {
          tags: ['integrations'],
          summary: "The network's own Stripe events: a paid top-up checkout credits the merchant's prepaid balance",
          description:
            "Signed by Stripe with the network endpoint's signing secret (Stripe-Signature header, accepted within ±300 s). Each event id is handled once per network; " +
            'a repeat answers duplicate: true. See docs/top-ups.md.',
          security: [],
          params: networkStripeWebhookParams,
          response: { 200: networkStripeWebhookAnswer, ...errors, 413: problem, 415: problem },
        },
      },
      async (request) => {
        const header = request.headers['stripe-signature'];
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        return receiveNetworkStripeWebhook(deps, request.params.tenant, body, typeof header === 'string' ? header : undefined);
      },
    );
  });
}
