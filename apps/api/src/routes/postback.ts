import type { Deps } from '@app/domain/shared/deps';
import type { FastifyInstance } from 'fastify';

/** Signed CPA-network postbacks (GET|POST /postback) and the program's postback secret. */
export function postbackRoutes(_app: FastifyInstance, _deps: Deps): void {}
