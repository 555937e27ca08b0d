import { idParams, problem, problemResponses } from '@app/contracts/common';
import { stripeIntegrationBody, stripeIntegrationSchema, stripeWebhookAnswer, stripeWebhookParams } from '@app/contracts/stripe';
import { getStripeIntegration } from '@app/domain/integrations/stripe/get-stripe-integration';
import { receiveStripeWebhook } from '@app/domain/integrations/stripe/receive-stripe-webhook';
import { removeStripeIntegration } from '@app/domain/integrations/stripe/remove-stripe-integration';
import { setStripeIntegration } from '@app/domain/integrations/stripe/set-stripe-integration';
import type { Deps } from '@app/domain/shared/deps';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../plugins/auth';

const errors = problemResponses;
const tags = ['integrations'];
/** Stripe's events are far below this; a larger body is not one. */
const WEBHOOK_BODY_LIMIT = 512 * 1024;

/** A merchant's own Stripe webhook, and its signing secret setting. */
export function stripeRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const path = '/v1/merchants/:id/integrations/stripe';

  r.put(
    path,
    {
      schema: {
        tags,
        summary: "Connect the merchant's Stripe account: the webhook endpoint's signing secret and the program its events go to",
        description: 'Merchant owner/admin or network owner/admin. The secret is stored and never shown again; saving again replaces it.',
        params: idParams,
        body: stripeIntegrationBody,
        response: { 200: stripeIntegrationSchema, ...errors },
      },
    },
    async (request) => setStripeIntegration(deps, actorOf(request), request.params.id, request.body),
  );
  r.get(
    path,
    {
      schema: {
        tags,
        summary: "The merchant's Stripe webhook setting and the URL to give Stripe (never the secret)",
        params: idParams,
        response: { 200: stripeIntegrationSchema, ...errors },
      },
    },
    async (request) => getStripeIntegration(deps, actorOf(request), request.params.id),
  );
  r.delete(
    path,
    {
      schema: {
        tags,
        summary: "Disconnect the merchant's Stripe account (its webhook answers 404 from then on)",
        params: idParams,
        response: { 204: z.null(), ...errors },
      },
    },
    async (request, reply) => {
      await removeStripeIntegration(deps, actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  // Its own scope: the signature is over the exact bytes Stripe sent, so the JSON body
  // is kept raw here (and no other body type is accepted).
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_request, body, done) => done(null, body));
    scope.withTypeProvider<ZodTypeProvider>().post(
      '/v1/integrations/stripe/:merchantId/webhook',
      {
        config: {
          public: true,
          // Every merchant's events come from Stripe's few addresses: count per merchant.
          rateLimit: { keyGenerator: (request) => `stripe:${(request.params as { merchantId?: string }).merchantId ?? ''}` },
        },
        schema: {
          tags,
          summary: "A merchant's Stripe events (checkout completed, invoice paid, charge refunded) become conversions and refunds",
          description:
            "Signed by Stripe with the endpoint's signing secret (Stripe-Signature header, accepted within ±300 s). Each event id is handled once per merchant; " +
            'a repeat answers duplicate: true. Events the platform does not use answer outcome "ignored". See docs/stripe.md.',
          security: [],
          params: stripeWebhookParams,
          response: { 200: stripeWebhookAnswer, ...errors, 413: problem, 415: problem },
        },
      },
      async (request) => {
        const header = request.headers['stripe-signature'];
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        return receiveStripeWebhook(deps, request.params.merchantId, body, typeof header === 'string' ? header : undefined);
      },
    );
  });
}
