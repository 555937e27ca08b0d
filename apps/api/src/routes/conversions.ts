import { idParams, page, problemResponses } from '@app/contracts/common';
import {
  conversionAccepted,
  conversionListQuery,
  conversionSchema,
  createConversionBody,
  idempotencyHeaders,
  refundBody,
  refundSchema,
} from '@app/contracts/conversions';
import { createConversion } from '@app/domain/conversions/create-conversion';
import { getConversion } from '@app/domain/conversions/get-conversion';
import { listConversions } from '@app/domain/conversions/list-conversions';
import { refundConversion } from '@app/domain/conversions/refund-conversion';
import type { Deps } from '@app/domain/shared/deps';
import { requestHash } from '@app/domain/shared/idempotency';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { actorOf } from '../plugins/auth';

const errors = problemResponses;
const tags = ['conversions'];

/** The Idempotency-Key of a request, with the hash that makes a repeat "the same request". */
function idempotencyOf(request: FastifyRequest): { key: string; requestHash: string } | undefined {
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string') return undefined;
  return { key, requestHash: requestHash(request.method, request.routeOptions.url ?? request.url, { params: request.params, body: request.body }) };
}

function send(reply: FastifyReply, answer: { statusCode: number; body: unknown; replayed: boolean }) {
  if (answer.replayed) reply.header('idempotent-replayed', 'true');
  return reply.status(answer.statusCode).send(answer.body);
}

export function conversionRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/v1/conversions',
    {
      schema: {
        tags,
        summary: 'Report a lead or sale (secret key); attributed by the worker',
        description:
          'Answers 202 with the new conversion (status received), or 200 with the conversion the program already has for this externalId. Honours Idempotency-Key.',
        headers: idempotencyHeaders,
        body: createConversionBody,
        response: { 200: conversionAccepted, 202: conversionAccepted, ...errors },
      },
    },
    async (request, reply) => send(reply, await createConversion(deps, actorOf(request), request.body, idempotencyOf(request))),
  );
  r.get(
    '/v1/conversions',
    {
      schema: {
        tags,
        summary: "List conversions: a merchant's, an affiliate's own (no customer data), or all (network staff)",
        querystring: conversionListQuery,
        response: { 200: page(conversionSchema), ...errors },
      },
    },
    async (request) => listConversions(deps, actorOf(request), request.query),
  );
  r.get(
    '/v1/conversions/:id',
    { schema: { tags, summary: 'Get a conversion and its attribution', params: idParams, response: { 200: conversionSchema, ...errors } } },
    async (request) => getConversion(deps, actorOf(request), request.params.id),
  );
  r.post(
    '/v1/conversions/:id/refund',
    {
      schema: {
        tags,
        summary: 'Refund a sale in full or in part, or cancel a lead',
        params: idParams,
        headers: idempotencyHeaders,
        body: refundBody,
        response: { 201: refundSchema, ...errors },
      },
    },
    async (request, reply) => send(reply, await refundConversion(deps, actorOf(request), request.params.id, request.body ?? {}, idempotencyOf(request))),
  );
}
