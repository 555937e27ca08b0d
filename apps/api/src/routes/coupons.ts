import type { Deps } from '@app/domain/shared/deps';
import type { FastifyInstance } from 'fastify';

export function couponRoutes(_app: FastifyInstance, _deps: Deps): void {}
