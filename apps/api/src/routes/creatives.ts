import type { Deps } from '@app/domain/shared/deps';
import type { FastifyInstance } from 'fastify';

export function creativeRoutes(_app: FastifyInstance, _deps: Deps): void {}
