import { apiKeyListQuery, apiKeySchema, createApiKeyBody, createdApiKeySchema } from '@app/contracts/api-keys';
import { idParams, page, problemResponses } from '@app/contracts/common';
import { createApiKey } from '@app/domain/api-keys/create-api-key';
import { listApiKeys } from '@app/domain/api-keys/list-api-keys';
import { revokeApiKey } from '@app/domain/api-keys/revoke-api-key';
import type { Deps } from '@app/domain/shared/deps';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { actorOf } from '../plugins/auth';

const errors = problemResponses;
const tags = ['api-keys'];

export function apiKeyRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/v1/api-keys',
    { schema: { tags, summary: 'Create an API key (the key is shown once)', body: createApiKeyBody, response: { 201: createdApiKeySchema, ...errors } } },
    async (request, reply) => reply.status(201).send(await createApiKey(deps, actorOf(request), request.body)),
  );
  r.get(
    '/v1/api-keys',
    { schema: { tags, summary: 'List API keys', querystring: apiKeyListQuery, response: { 200: page(apiKeySchema), ...errors } } },
    async (request) => listApiKeys(deps, actorOf(request), request.query),
  );
  r.post(
    '/v1/api-keys/:id/revoke',
    { schema: { tags, summary: 'Revoke an API key', params: idParams, response: { 200: apiKeySchema, ...errors } } },
    async (request) => revokeApiKey(deps, actorOf(request), request.params.id),
  );
  r.delete(
    '/v1/api-keys/:id',
    { schema: { tags, summary: 'Revoke an API key (same as POST …/revoke)', params: idParams, response: { 200: apiKeySchema, ...errors } } },
    async (request) => revokeApiKey(deps, actorOf(request), request.params.id),
  );
}
