import { problem, problemResponses } from '@app/contracts/common';
import { trackClickAnswer, trackClickBody, trackLeadAnswer, trackLeadBody } from '@app/contracts/tracking';
import type { Deps } from '@app/domain/shared/deps';
import { recordTrackerClick } from '@app/domain/tracking/record-tracker-click';
import { recordTrackerConversion } from '@app/domain/tracking/record-tracker-conversion';
import { trackerScript } from '@app/tracker/tracker-script';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { actorOf } from '../plugins/auth';
import type { EdgeDeps } from './clicks';

const tags = ['tracking'];
const errors = { ...problemResponses, 503: problem };

/** The browser tracker: /t.js, POST /v1/track/click and POST /v1/track/lead. CORS for
 *  /v1/track/* (any origin, no credentials) is set where the CORS plugin is registered. */
export function trackerRoutes(app: FastifyInstance, deps: Deps, edge: EdgeDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/t.js',
    {
      // Loaded by every page of every merchant: no per-IP limit, and none of helmet's
      // page headers (its Cross-Origin-Resource-Policy: same-origin would stop other
      // sites from loading the script at all).
      config: { public: true, rateLimit: false },
      helmet: false,
      schema: { hide: true },
    },
    async (request, reply) => {
      const script = await trackerScript();
      reply
        .header('cache-control', 'public, max-age=300')
        .header('etag', script.etag)
        .header('cross-origin-resource-policy', 'cross-origin')
        .header('x-content-type-options', 'nosniff');
      if (request.headers['if-none-match'] === script.etag) return reply.code(304).send();
      return reply.type('application/javascript; charset=utf-8').send(script.code);
    },
  );

  r.post(
    '/v1/track/click',
    {
      schema: {
        tags,
        summary: 'Record the click of a linkless visit (?ref=CODE) from the browser tracker (publishable key)',
        description:
          "The link's code must belong to the program, and the program to the key's merchant. A browser's Origin must be on the program's allowed domains. Answers the click id and the program's cookie window.",
        body: trackClickBody,
        response: { 201: trackClickAnswer, ...errors },
      },
    },
    async (request, reply) => {
      const answer = await recordTrackerClick(deps, edge, actorOf(request), request.body, {
        ip: request.ip ?? null,
        userAgent: request.headers['user-agent'] ?? null,
        origin: request.headers.origin,
        country: edge.countryHeader ? first(request.headers[edge.countryHeader]) : null,
      });
      return reply.code(201).send(answer);
    },
  );

  r.post(
    '/v1/track/lead',
    {
      schema: {
        tags,
        summary: 'Report a lead (or a sale, where the program allows browser sales) from the browser tracker (publishable key)',
        description:
          'Stored with source tracker and trust browser, attributed by the worker. Answers 202 with the new conversion, or 200 with the one the program already has for this externalId.',
        body: trackLeadBody,
        response: { 200: trackLeadAnswer, 202: trackLeadAnswer, ...errors },
      },
    },
    async (request, reply) => {
      const answer = await recordTrackerConversion(deps, actorOf(request), request.body, { ip: request.ip ?? null, origin: request.headers.origin });
      return reply.code(answer.statusCode).send(answer.body);
    },
  );
}

function first(value: FastifyRequest['headers'][string]): string | null {
  return (Array.isArray(value) ? value[0] : value) ?? null;
}
