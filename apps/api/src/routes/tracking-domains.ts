import { idParams, problemResponses } from '@app/contracts/common';
import { createTrackingDomainBody, trackingDomainList, trackingDomainSchema } from '@app/contracts/tracking-domains';
import type { Deps } from '@app/domain/shared/deps';
import { addTrackingDomain } from '@app/domain/tracking-domains/add-tracking-domain';
import { listTrackingDomains } from '@app/domain/tracking-domains/list-tracking-domains';
import { removeTrackingDomain } from '@app/domain/tracking-domains/remove-tracking-domain';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../plugins/auth';

const errors = problemResponses;
const tags = ['network'];

export function trackingDomainRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/v1/tracking-domains',
    { schema: { tags, summary: "The network's custom tracking hosts", response: { 200: trackingDomainList, ...errors } } },
    async (request) => listTrackingDomains(deps, actorOf(request)),
  );
  r.post(
    '/v1/tracking-domains',
    {
      schema: {
        tags,
        summary: 'Add a custom tracking host (network owner/admin): only this network’s links resolve on it',
        body: createTrackingDomainBody,
        response: { 201: trackingDomainSchema, ...errors },
      },
    },
    async (request, reply) => reply.status(201).send(await addTrackingDomain(deps, actorOf(request), request.body)),
  );
  r.delete(
    '/v1/tracking-domains/:id',
    { schema: { tags, summary: 'Remove a custom tracking host (network owner/admin)', params: idParams, response: { 204: z.null(), ...errors } } },
    async (request, reply) => {
      await removeTrackingDomain(deps, actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
