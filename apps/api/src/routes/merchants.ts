import { idParams, page, problemResponses } from '@app/contracts/common';
import {
  addMerchantUserBody,
  createMerchantBody,
  merchantListQuery,
  merchantSchema,
  merchantUserParams,
  merchantUserSchema,
  updateMerchantBody,
  updateMerchantUserBody,
} from '@app/contracts/merchants';
import { addMerchantUser } from '@app/domain/merchants/add-merchant-user';
import { createMerchant } from '@app/domain/merchants/create-merchant';
import { getMerchantOrThrow } from '@app/domain/merchants/get-merchant-or-throw';
import { listMerchantUsers } from '@app/domain/merchants/list-merchant-users';
import { listMerchants } from '@app/domain/merchants/list-merchants';
import { removeMerchantUser } from '@app/domain/merchants/remove-merchant-user';
import { updateMerchant } from '@app/domain/merchants/update-merchant';
import { updateMerchantUserRole } from '@app/domain/merchants/update-merchant-user-role';
import type { Deps } from '@app/domain/shared/deps';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../plugins/auth';

const errors = problemResponses;
const tags = ['merchants'];

export function merchantRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/v1/merchants',
    { schema: { tags, summary: 'Add a merchant with its first user (network admin)', body: createMerchantBody, response: { 201: merchantSchema, ...errors } } },
    async (request, reply) => reply.status(201).send(await createMerchant(deps, actorOf(request), request.body)),
  );

  r.get(
    '/v1/merchants',
    { schema: { tags, summary: 'List merchants', querystring: merchantListQuery, response: { 200: page(merchantSchema), ...errors } } },
    async (request) => listMerchants(deps, actorOf(request), request.query),
  );

  r.get('/v1/merchants/:id', { schema: { tags, summary: 'Get a merchant', params: idParams, response: { 200: merchantSchema, ...errors } } }, async (request) =>
    getMerchantOrThrow(deps, actorOf(request), request.params.id),
  );

  r.patch(
    '/v1/merchants/:id',
    { schema: { tags, summary: 'Update a merchant', params: idParams, body: updateMerchantBody, response: { 200: merchantSchema, ...errors } } },
    async (request) => updateMerchant(deps, actorOf(request), request.params.id, request.body),
  );

  r.get(
    '/v1/merchants/:id/users',
    { schema: { tags, summary: "List a merchant's team", params: idParams, response: { 200: z.object({ data: z.array(merchantUserSchema) }), ...errors } } },
    async (request) => ({
      data: await listMerchantUsers(deps, actorOf(request), request.params.id),
    }),
  );

  r.post(
    '/v1/merchants/:id/users',
    { schema: { tags, summary: 'Add a user to a merchant', params: idParams, body: addMerchantUserBody, response: { 201: merchantUserSchema, ...errors } } },
    async (request, reply) => reply.status(201).send(await addMerchantUser(deps, actorOf(request), request.params.id, request.body)),
  );

  r.patch(
    '/v1/merchants/:id/users/:userId',
    {
      schema: {
        tags,
        summary: "Change a member's role",
        params: merchantUserParams,
        body: updateMerchantUserBody,
        response: { 200: merchantUserSchema, ...errors },
      },
    },
    async (request) => updateMerchantUserRole(deps, actorOf(request), request.params.id, request.params.userId, request.body.role),
  );

  r.delete(
    '/v1/merchants/:id/users/:userId',
    { schema: { tags, summary: 'Remove a member', params: merchantUserParams, response: { 204: z.null(), ...errors } } },
    async (request, reply) => {
      await removeMerchantUser(deps, actorOf(request), request.params.id, request.params.userId);
      return reply.status(204).send(null);
    },
  );
}
