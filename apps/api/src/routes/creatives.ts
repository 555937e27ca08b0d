import { idParams, page, problemResponses } from '@app/contracts/common';
import { createCreativeBody, creativeListQuery, creativeSchema, updateCreativeBody } from '@app/contracts/creatives';
import { createCreative } from '@app/domain/creatives/create-creative';
import { getCreativeImage } from '@app/domain/creatives/get-creative-image';
import { listCreatives } from '@app/domain/creatives/list-creatives';
import { updateCreative } from '@app/domain/creatives/update-creative';
import type { Deps } from '@app/domain/shared/deps';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { actorOf } from '../plugins/auth';

const errors = problemResponses;
const tags = ['creatives'];

export function creativeRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/v1/creatives',
    {
      bodyLimit: 4 * 1024 * 1024,
      schema: {
        tags,
        summary: 'Add a banner, text link, email template or guidelines to a program',
        body: createCreativeBody,
        response: { 201: creativeSchema, ...errors },
      },
    },
    async (request, reply) => reply.status(201).send(await createCreative(deps, actorOf(request), request.body)),
  );
  r.get(
    '/v1/creatives',
    {
      schema: {
        tags,
        summary: "Merchants: their programs' creatives; affiliates: their approved programs', with their link embedded",
        querystring: creativeListQuery,
        response: { 200: page(creativeSchema), ...errors },
      },
    },
    async (request) => listCreatives(deps, actorOf(request), request.query),
  );
  r.patch(
    '/v1/creatives/:id',
    {
      schema: { tags, summary: 'Rename, edit or archive a creative', params: idParams, body: updateCreativeBody, response: { 200: creativeSchema, ...errors } },
    },
    async (request) => updateCreative(deps, actorOf(request), request.params.id, request.body),
  );
  // Public: affiliates embed banners on their own pages.
  app.get<{ Params: { id: string } }>('/creatives/:id/image', { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
    const image = await getCreativeImage(deps, request.params.id.slice(0, 200));
    return reply
      .header('content-type', image.contentType)
      .header('cache-control', 'public, max-age=86400')
      .header('x-content-type-options', 'nosniff')
      .header('cross-origin-resource-policy', 'cross-origin')
      .send(Buffer.from(image.data));
  });
}
