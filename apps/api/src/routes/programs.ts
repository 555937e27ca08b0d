import { idParams, page, problemResponses } from '@app/contracts/common';
import {
  createGroupBody,
  createPlanVersionBody,
  createProgramBody,
  groupParams,
  groupSchema,
  planVersionSchema,
  programListQuery,
  programSchema,
  updateGroupBody,
  updateProgramBody,
} from '@app/contracts/programs';
import { createPlanVersion } from '@app/domain/programs/create-plan-version';
import { createProgram } from '@app/domain/programs/create-program';
import { createProgramGroup } from '@app/domain/programs/create-program-group';
import { getProgramOrThrow } from '@app/domain/programs/get-program-or-throw';
import { listPlanVersions } from '@app/domain/programs/list-plan-versions';
import { listProgramGroups } from '@app/domain/programs/list-program-groups';
import { listPrograms } from '@app/domain/programs/list-programs';
import { updateProgram } from '@app/domain/programs/update-program';
import { updateProgramGroup } from '@app/domain/programs/update-program-group';
import type { Deps } from '@app/domain/shared/deps';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../plugins/auth';

const errors = problemResponses;
const tags = ['programs'];

export function programRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/v1/programs',
    { schema: { tags, summary: 'Open a program with its commission plan', body: createProgramBody, response: { 201: programSchema, ...errors } } },
    async (request, reply) => reply.status(201).send(await createProgram(deps, actorOf(request), request.body)),
  );
  r.get(
    '/v1/programs',
    {
      schema: {
        tags,
        summary: "List a merchant's programs (or all, for network staff)",
        querystring: programListQuery,
        response: { 200: page(programSchema), ...errors },
      },
    },
    async (request) => listPrograms(deps, actorOf(request), request.query),
  );
  r.get('/v1/programs/:id', { schema: { tags, summary: 'Get a program', params: idParams, response: { 200: programSchema, ...errors } } }, async (request) =>
    getProgramOrThrow(deps, actorOf(request), request.params.id),
  );
  r.patch(
    '/v1/programs/:id',
    { schema: { tags, summary: "Edit a program's terms or status", params: idParams, body: updateProgramBody, response: { 200: programSchema, ...errors } } },
    async (request) => updateProgram(deps, actorOf(request), request.params.id, request.body),
  );

  r.get(
    '/v1/programs/:id/plan-versions',
    {
      schema: {
        tags,
        summary: 'Every version of the commission plan',
        params: idParams,
        response: { 200: z.object({ data: z.array(planVersionSchema) }), ...errors },
      },
    },
    async (request) => ({
      data: await listPlanVersions(deps, actorOf(request), request.params.id),
    }),
  );
  r.post(
    '/v1/programs/:id/plan-versions',
    {
      schema: {
        tags,
        summary: 'Change the plan from a date (a new version)',
        params: idParams,
        body: createPlanVersionBody,
        response: { 201: planVersionSchema, ...errors },
      },
    },
    async (request, reply) => reply.status(201).send(await createPlanVersion(deps, actorOf(request), request.params.id, request.body)),
  );

  r.get(
    '/v1/programs/:id/groups',
    { schema: { tags, summary: 'Partner groups of a program', params: idParams, response: { 200: z.object({ data: z.array(groupSchema) }), ...errors } } },
    async (request) => ({
      data: await listProgramGroups(deps, actorOf(request), request.params.id),
    }),
  );
  r.post(
    '/v1/programs/:id/groups',
    {
      schema: { tags, summary: 'Add a partner group with plan overrides', params: idParams, body: createGroupBody, response: { 201: groupSchema, ...errors } },
    },
    async (request, reply) => reply.status(201).send(await createProgramGroup(deps, actorOf(request), request.params.id, request.body)),
  );
  r.patch(
    '/v1/programs/:id/groups/:groupId',
    {
      schema: {
        tags,
        summary: 'Rename a group or change its overrides',
        params: groupParams,
        body: updateGroupBody,
        response: { 200: groupSchema, ...errors },
      },
    },
    async (request) => updateProgramGroup(deps, actorOf(request), request.params.id, request.params.groupId, request.body),
  );
}
