import type { Deps } from '@app/domain/shared/deps';
import type { FastifyInstance } from 'fastify';
import type { EdgeDeps } from './clicks';

/** The browser tracker: /t.js, POST /v1/track/click and POST /v1/track/lead. */
export function trackerRoutes(_app: FastifyInstance, _deps: Deps, _edge: EdgeDeps): void {}
