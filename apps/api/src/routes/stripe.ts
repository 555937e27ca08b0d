import type { Deps } from '@app/domain/shared/deps';
import type { FastifyInstance } from 'fastify';

/** A merchant's own Stripe webhook, and its signing secret setting. */
export function stripeRoutes(_app: FastifyInstance, _deps: Deps): void {}
