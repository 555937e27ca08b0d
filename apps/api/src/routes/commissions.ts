import { commissionListQuery, commissionSchema } from '@app/contracts/commissions';
import { idParams, page, problemResponses } from '@app/contracts/common';
import { getCommission, listCommissions } from '@app/domain/commissions/list-commissions';
import type { Deps } from '@app/domain/shared/deps';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { actorOf } from '../plugins/auth';

const errors = problemResponses;
const tags = ['commissions'];

export function commissionReadRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/v1/commissions',
    {
      schema: {
        tags,
        summary: "List commission lines, newest first: a merchant's (with the network fees it is charged), an affiliate's own, or all (network staff)",
        querystring: commissionListQuery,
        response: { 200: page(commissionSchema), ...errors },
      },
    },
    async (request) => listCommissions(deps, actorOf(request), request.query),
  );
  r.get(
    '/v1/commissions/:id',
    {
      schema: { tags, summary: 'One commission line the caller may see', params: idParams, response: { 200: commissionSchema, ...errors } },
    },
    async (request) => getCommission(deps, actorOf(request), request.params.id),
  );
}
