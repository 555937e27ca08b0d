import { idParams, page, problemResponses } from '@app/contracts/common';
import { createLinkBody, linkListQuery, linkSchema, updateLinkBody } from '@app/contracts/links';
import { createLink } from '@app/domain/links/create-link';
import { getLinkOrThrow } from '@app/domain/links/get-link-or-throw';
import { listLinks } from '@app/domain/links/list-links';
import { updateLink } from '@app/domain/links/update-link';
import type { Deps } from '@app/domain/shared/deps';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { actorOf } from '../plugins/auth';

const errors = problemResponses;
const tags = ['links'];

export function linkRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/v1/links',
    { schema: { tags, summary: 'Make a tracked link (affiliate, approved enrollment)', body: createLinkBody, response: { 201: linkSchema, ...errors } } },
    async (request, reply) => reply.status(201).send(await createLink(deps, actorOf(request), request.body, deps.publicUrl)),
  );
  r.get(
    '/v1/links',
    {
      schema: {
        tags,
        summary: "List tracked links: an affiliate's own, a merchant's programs', or all (network staff)",
        querystring: linkListQuery,
        response: { 200: page(linkSchema), ...errors },
      },
    },
    async (request) => listLinks(deps, actorOf(request), request.query, deps.publicUrl),
  );
  r.get('/v1/links/:id', { schema: { tags, summary: 'Get a tracked link', params: idParams, response: { 200: linkSchema, ...errors } } }, async (request) =>
    getLinkOrThrow(deps, actorOf(request), request.params.id, deps.publicUrl),
  );
  r.patch(
    '/v1/links/:id',
    {
      schema: {
        tags,
        summary: "Change a link's destination, label, sub-IDs or status (its affiliate)",
        params: idParams,
        body: updateLinkBody,
        response: { 200: linkSchema, ...errors },
      },
    },
    async (request) => updateLink(deps, actorOf(request), request.params.id, request.body, deps.publicUrl),
  );
}
