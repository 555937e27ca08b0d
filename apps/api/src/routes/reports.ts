import { problemResponses } from '@app/contracts/common';
import { reportQuery, reportSummarySchema } from '@app/contracts/reports';
import { getClickSummary } from '@app/domain/reports/click-summary';
import type { Deps } from '@app/domain/shared/deps';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { actorOf } from '../plugins/auth';

const errors = problemResponses;
const tags = ['reports'];

export function reportRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/v1/reports/summary',
    {
      schema: {
        tags,
        summary: "Clicks over a range of UTC days by day, program, affiliate, link or sub1: the network's, a merchant's programs', or an affiliate's own",
        querystring: reportQuery,
        response: { 200: reportSummarySchema, ...errors },
      },
    },
    async (request) => getClickSummary(deps, actorOf(request), request.query),
  );
}
