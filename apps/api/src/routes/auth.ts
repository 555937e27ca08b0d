import {
  loginBody,
  loginResponse,
  logoutBody,
  meResponse,
  partnerSignupBody,
  partnerSignupResponse,
  refreshBody,
  signupBody,
  signupResponse,
  tokenPair,
} from '@app/contracts/auth';
import { problemResponses } from '@app/contracts/common';
import { getMe } from '@app/domain/accounts/get-me';
import { logIn } from '@app/domain/auth/log-in';
import { logOut, refreshSession } from '@app/domain/auth/refresh-session';
import { signUpNetwork } from '@app/domain/auth/sign-up-network';
import { signUpPartner } from '@app/domain/auth/sign-up-partner';
import type { Deps } from '@app/domain/shared/deps';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, sessionMeta } from '../plugins/auth';

const errors = problemResponses;

export function authRoutes(app: FastifyInstance, deps: Deps, limits: { loginMax: number }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/v1/auth/signup',
    {
      config: { public: true, rateLimit: { max: limits.loginMax, timeWindow: '1 minute' } },
      schema: { tags: ['auth'], summary: 'Create a network and its owner', security: [], body: signupBody, response: { 201: signupResponse, ...errors } },
    },
    async (request, reply) => reply.status(201).send(await signUpNetwork(deps, request.body, sessionMeta(request))),
  );

  r.post(
    '/v1/auth/login',
    {
      config: {
        public: true,
        rateLimit: {
          max: limits.loginMax,
          timeWindow: '1 minute',
          // Per network account and per address: slows both guessing one account's
          // password and spraying many accounts from one place.
          keyGenerator: (request) => {
            const body = (request.body ?? {}) as { network?: unknown; email?: unknown };
            return `login:${request.ip}:${String(body.network ?? '').slice(0, 64)}:${String(body.email ?? '')
              .toLowerCase()
              .slice(0, 254)}`;
          },
        },
      },
      schema: { tags: ['auth'], summary: 'Sign in to a network', security: [], body: loginBody, response: { 200: loginResponse, ...errors } },
    },
    async (request) => logIn(deps, request.body, sessionMeta(request)),
  );

  r.post(
    '/v1/auth/refresh',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Rotate a refresh token for a new token pair',
        security: [],
        body: refreshBody,
        response: { 200: tokenPair, ...errors },
      },
    },
    async (request) => refreshSession(deps, request.body.refreshToken, sessionMeta(request)),
  );

  r.post(
    '/v1/auth/logout',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Revoke a sign-in (its refresh token family)',
        security: [],
        body: logoutBody,
        response: { 204: z.null(), ...errors },
      },
    },
    async (request, reply) => {
      await logOut(deps, request.body.refreshToken);
      return reply.status(204).send(null);
    },
  );

  r.post(
    '/v1/partners/signup',
    {
      config: { public: true, rateLimit: { max: limits.loginMax, timeWindow: '1 minute' } },
      schema: {
        tags: ['auth'],
        summary: 'An affiliate joins a network',
        security: [],
        body: partnerSignupBody,
        response: { 201: partnerSignupResponse, ...errors },
      },
    },
    async (request, reply) => reply.status(201).send(await signUpPartner(deps, request.body, sessionMeta(request))),
  );

  r.get('/v1/me', { schema: { tags: ['auth'], summary: 'Who am I', response: { 200: meResponse, ...errors } } }, async (request) =>
    getMe(deps, actorOf(request)),
  );
}
