import { auditEntrySchema, auditListQuery, emailListQuery, emailSchema } from '@app/contracts/audit';
import { page, problem } from '@app/contracts/common';
import { listAuditLog } from '@app/domain/audit/list-audit-log';
import { listNetworkEmails } from '@app/domain/notifications/list-network-emails';
import type { Deps } from '@app/domain/shared/deps';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { actorOf } from '../plugins/auth';

export function networkRoutes(app: FastifyInstance, deps: Deps): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/audit-log',
    {
      schema: {
        tags: ['network'],
        summary: "The network's audit log (network owner/admin)",
        querystring: auditListQuery,
        response: { 200: page(auditEntrySchema), 400: problem, 401: problem, 403: problem },
      },
    },
    async (request) => listAuditLog(deps, actorOf(request), request.query),
  );
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/emails',
    {
      schema: {
        tags: ['network'],
        summary: 'Mails the platform wrote (network owner/admin); without SMTP they stay here as `stored`',
        querystring: emailListQuery,
        response: { 200: page(emailSchema), 400: problem, 401: problem, 403: problem },
      },
    },
    async (request) => listNetworkEmails(deps, actorOf(request), request.query),
  );
}
