import { authenticateBearer } from '@app/domain/auth/authenticate';
import type { Actor } from '@app/domain/shared/actor';
import type { Deps } from '@app/domain/shared/deps';
import { DomainError } from '@app/domain/shared/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    actorOrNull: Actor | null;
  }
  interface FastifyContextConfig {
    /** Route needs no credentials (sign-up, login, health, docs). */
    public?: boolean;
  }
}

/**
 * Resolves `Authorization: Bearer …` (session token or API key) into `request.actorOrNull`
 * before every non-public route; routes read it with `actorOf(request)`.
 */
export function registerAuth(app: FastifyInstance, deps: Deps): void {
  app.decorateRequest('actorOrNull', null);
  app.addHook('preHandler', async (request) => {
    const url = request.routeOptions.url;
    // Only the /v1 API needs credentials; tracking, health and docs are public.
    if (request.routeOptions.config.public || !url || !url.startsWith('/v1/')) return;
    const header = request.headers.authorization;
    if (!header) throw new DomainError('unauthenticated', 'Send Authorization: Bearer <access token or API key>.');
    const match = /^Bearer\s+(\S{10,2000})$/i.exec(header);
    if (!match?.[1]) throw new DomainError('invalid_token', 'The Authorization header must be "Bearer <token>".');
    request.actorOrNull = await authenticateBearer(deps, match[1], { requestId: request.id, ip: request.ip });
  });
}

export function actorOf(request: FastifyRequest): Actor {
  if (!request.actorOrNull) throw new DomainError('unauthenticated', 'Sign in first.');
  return request.actorOrNull;
}

export function sessionMeta(request: FastifyRequest): { ip: string; userAgent?: string; requestId: string } {
  return { ip: request.ip, userAgent: request.headers['user-agent'], requestId: request.id };
}
