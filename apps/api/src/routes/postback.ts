import { idParams, problem, problemResponses } from '@app/contracts/common';
import { postbackRecorded, postbackRefunded, postbackSecretSchema, postbackWaiting } from '@app/contracts/postbacks';
import { getPostbackSecret } from '@app/domain/postbacks/get-postback-secret';
import { paramsFromUrlEncoded } from '@app/domain/postbacks/postback-signature';
import { receivePostback } from '@app/domain/postbacks/receive-postback';
import { rotatePostbackSecret } from '@app/domain/postbacks/rotate-postback-secret';
import type { Deps } from '@app/domain/shared/deps';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../plugins/auth';

const errors = problemResponses;
const FORM_BODY_LIMIT = 16 * 1024;

/** Signed CPA-network postbacks (GET|POST /postback) and the program's postback secret. */
export function postbackRoutes(app: FastifyInstance, deps: Deps): void {
  // Its own scope: a form-encoded body is read here as text (the signature is computed
  // over the decoded parameters) and no other body type is accepted.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT }, (_request, body, done) =>
      done(null, body),
    );
    scope.withTypeProvider<ZodTypeProvider>().route({
      method: ['GET', 'POST'],
      url: '/postback',
      exposeHeadRoute: false,
      schema: {
        tags: ['conversions'],
        summary: 'Signed postback from a CPA network: a sale, a lead or a refund',
        description:
          'Parameters in the query string (GET) or in the query string and/or an application/x-www-form-urlencoded body (POST): program_id, external_id, ' +
          'type (sale|lead), amount (minor units), currency, click_id, coupon, status (approved|refunded|cancelled), ts (unix seconds), sig ' +
          '(HMAC-SHA256 hex with the program postback secret over the RFC 3986-encoded, sorted parameters but sig). See docs/postbacks.md.',
        security: [],
        response: { 200: z.union([postbackRecorded, postbackRefunded]), 202: postbackWaiting, ...errors, 413: problem, 415: problem },
      },
      handler: async (request, reply) => {
        const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
        const body = typeof request.body === 'string' ? request.body : '';
        const answer = await receivePostback(deps, [...paramsFromUrlEncoded(query), ...paramsFromUrlEncoded(body)]);
        return reply.status(answer.statusCode).send(answer.body);
      },
    });
  });

  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/v1/programs/:id/postback-secret',
    {
      schema: {
        tags: ['programs'],
        summary: "The program's postback secret, with a signed example postback URL",
        params: idParams,
        response: { 200: postbackSecretSchema, ...errors },
      },
    },
    async (request) => getPostbackSecret(deps, actorOf(request), request.params.id),
  );
  r.post(
    '/v1/programs/:id/postback-secret/rotate',
    {
      schema: {
        tags: ['programs'],
        summary: "Replace the program's postback secret (the old one stops working at once)",
        params: idParams,
        response: { 200: postbackSecretSchema, ...errors },
      },
    },
    async (request) => rotatePostbackSecret(deps, actorOf(request), request.params.id),
  );
}
