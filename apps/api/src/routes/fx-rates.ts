import { page, problemResponses } from '@app/contracts/common';
import { createFxRateBody, fxRateListQuery, fxRateSchema } from '@app/contracts/fx-rates';
import { createFxRate } from '@app/domain/fx/create-fx-rate';
import { listFxRates } from '@app/domain/fx/list-fx-rates';
import type { Deps } from '@app/domain/shared/deps';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { actorOf } from '../plugins/auth';

const errors = problemResponses;
const tags = ['fx-rates'];

export function fxRateRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/v1/fx-rates',
    {
      schema: {
        tags,
        summary: 'Set an exchange rate from a date on (network owner, admin or finance)',
        body: createFxRateBody,
        response: { 201: fxRateSchema, ...errors },
      },
    },
    async (request, reply) => reply.status(201).send(await createFxRate(deps, actorOf(request), request.body)),
  );
  r.get(
    '/v1/fx-rates',
    { schema: { tags, summary: "The network's exchange rates, newest first", querystring: fxRateListQuery, response: { 200: page(fxRateSchema), ...errors } } },
    async (request) => listFxRates(deps, actorOf(request), request.query),
  );
}
