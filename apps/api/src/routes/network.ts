import { auditEntrySchema, auditListQuery } from '@app/contracts/audit';
import { page, problem } from '@app/contracts/common';
import { listAuditLog } from '@app/domain/audit/list-audit-log';
import type { Deps } from '@app/domain/shared/deps';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { actorOf } from '../plugins/auth';

export function auditRoutes(app: FastifyInstance, deps: Deps): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/audit-log',
    { schema: { tags: ['network'], summary: "The network's audit log (network owner/admin)", querystring: auditListQuery, response: { 200: page(auditEntrySchema), 400: problem, 401: problem, 403: problem } } },
    async (request) => listAuditLog(deps, actorOf(request), request.query),
  );
}
