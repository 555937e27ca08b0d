import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

/** OpenAPI 3.1, generated from the routes' zod schemas; served at /v1/openapi.json, with
 *  the interactive reference at /docs. */
export async function registerOpenApi(app: FastifyInstance, options: { publicUrl?: string; docsUi: boolean }): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Affiliate Network API',
        version: '1.0.0',
        description:
          'Merchants, affiliates, programs, tracked links and conversions of a multi-tenant affiliate network. ' +
          'Errors are RFC 9457 problem+json with a stable `code`. Money is integer minor units with an ISO 4217 currency.',
      },
      servers: options.publicUrl ? [{ url: options.publicUrl }] : [],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'Session access token (JWT) or API key (sk_… / pk_…)' },
        },
      },
      security: [{ bearerAuth: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  if (options.docsUi) {
    await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, uiConfig: { url: '/v1/openapi.json' } as never });
  }
  app.get('/v1/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
}
