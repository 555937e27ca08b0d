import { approveCommissionsBody, commissionDecisionQuery, commissionDecisionResult, rejectCommissionsBody } from '@app/contracts/commissions';
import { problemResponses } from '@app/contracts/common';
import { approveCommissions } from '@app/domain/commissions/approve-commissions';
import type { CommissionSelection } from '@app/domain/commissions/decide-commissions';
import { parseDecisionCsv } from '@app/domain/commissions/decision-csv';
import { rejectCommissions } from '@app/domain/commissions/reject-commissions';
import type { Deps } from '@app/domain/shared/deps';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { actorOf } from '../plugins/auth';

const tags = ['commissions'];
const CSV_BODY_LIMIT = 1024 * 1024;

/** JSON selections pass through; a CSV upload becomes rows, with the query's defaults. */
function selectionOf(body: string | { ids: string[] } | { programId: string; externalIds: string[] }, query: { programId?: string; reason?: string }) {
  return (typeof body === 'string' ? { rows: parseDecisionCsv(body, query) } : body) as CommissionSelection;
}

export function commissionDecisionRoutes(app: FastifyInstance, deps: Deps): void {
  app.register(async (scope) => {
    scope.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: CSV_BODY_LIMIT }, (_request, body, done) => done(null, body));
    const r = scope.withTypeProvider<ZodTypeProvider>();
    r.post(
      '/v1/commissions/approve',
      {
        schema: {
          tags,
          summary: 'Approve commissions in bulk: by ids, by conversion externalIds, or a CSV upload (text/csv)',
          description:
            'Posts each pending commission’s reservation (the network fee of a conversion goes with its primary commission). Answers per item: approved, already_approved, awaiting_funds, not_pending or not_found. At most 1000 per call. Allowed before the hold period ends.',
          querystring: commissionDecisionQuery,
          body: approveCommissionsBody,
          response: { 200: commissionDecisionResult, ...problemResponses },
        },
      },
      async (request) => approveCommissions(deps, actorOf(request), selectionOf(request.body, request.query)),
    );
    r.post(
      '/v1/commissions/reject',
      {
        schema: {
          tags,
          summary: 'Reject commissions in bulk with a reason the affiliate sees: by ids, by conversion externalIds, or a CSV upload',
          description:
            'Voids each pending commission’s reservation (or closes one awaiting funds). Answers per item: rejected, already_rejected, not_pending or not_found. At most 1000 per call.',
          querystring: commissionDecisionQuery,
          body: rejectCommissionsBody,
          response: { 200: commissionDecisionResult, ...problemResponses },
        },
      },
      async (request) => {
        const body = request.body;
        const selection = typeof body === 'string' ? selectionOf(body, request.query) : ({ ...body } as CommissionSelection);
        return rejectCommissions(deps, actorOf(request), selection);
      },
    );
  });
}
