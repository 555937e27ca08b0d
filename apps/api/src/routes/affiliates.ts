import { affiliateListQuery, affiliateSchema, recruitLinkSchema, updateAffiliateBody } from '@app/contracts/affiliates';
import { idParams, page, problemResponses } from '@app/contracts/common';
import { getAffiliateOrThrow } from '@app/domain/affiliates/get-affiliate-or-throw';
import { getRecruitLink } from '@app/domain/affiliates/get-recruit-link';
import { listAffiliates } from '@app/domain/affiliates/list-affiliates';
import { updateAffiliate } from '@app/domain/affiliates/update-affiliate';
import type { Deps } from '@app/domain/shared/deps';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { actorOf } from '../plugins/auth';

const errors = problemResponses;
const tags = ['affiliates'];

export function affiliateRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/v1/affiliates',
    {
      schema: {
        tags,
        summary: "List the network's affiliates (network staff)",
        querystring: affiliateListQuery,
        response: { 200: page(affiliateSchema), ...errors },
      },
    },
    async (request) => listAffiliates(deps, actorOf(request), request.query),
  );
  r.get(
    '/v1/affiliates/:id',
    { schema: { tags, summary: 'Get an affiliate (network staff, or the affiliate itself)', params: idParams, response: { 200: affiliateSchema, ...errors } } },
    async (request) => getAffiliateOrThrow(deps, actorOf(request), request.params.id),
  );
  r.patch(
    '/v1/affiliates/:id',
    {
      schema: {
        tags,
        summary: 'Update an affiliate profile, or its status (network admin)',
        params: idParams,
        body: updateAffiliateBody,
        response: { 200: affiliateSchema, ...errors },
      },
    },
    async (request) => updateAffiliate(deps, actorOf(request), request.params.id, request.body),
  );
  r.get(
    '/v1/affiliates/:id/recruit-link',
    {
      schema: {
        tags,
        summary: 'The recruit link: partners who sign up through it get this affiliate as parent (two-tier)',
        params: idParams,
        response: { 200: recruitLinkSchema, ...errors },
      },
    },
    async (request) => getRecruitLink(deps, actorOf(request), request.params.id),
  );
}
