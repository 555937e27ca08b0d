import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { requestIds, type TrustProxy } from '../plugins/request-basics';
import { clickRoutes, type EdgeDeps } from '../routes/clicks';

/**
 * The tracking edge as a Fastify instance of its own: the click route and nothing else.
 * The API's plugins and hooks (helmet, CORS, rate limits, auth, metrics, request ids)
 * are for the REST API; on every click they would cost more than the redirect itself.
 * The API's HTTP server hands `/c/…` requests to this instance (`edgeServerFactory`),
 * so both share one port and one process.
 */
export async function buildEdgeApp(options: { logger: Logger; trustProxy: TrustProxy; edge: EdgeDeps }): Promise<FastifyInstance> {
  const edge = Fastify({
    loggerInstance: options.logger.child({ component: 'edge' }, { level: 'warn' }) as FastifyBaseLogger,
    trustProxy: options.trustProxy,
    genReqId: requestIds('edg_'),
    routerOptions: { maxParamLength: 200 },
  });
  clickRoutes(edge, options.edge);
  await edge.ready();
  return edge;
}

/** A Fastify `serverFactory`: `/c/…` to the edge instance, everything else to the API. */
export function edgeServerFactory(edge: FastifyInstance) {
  return (handler: (req: IncomingMessage, res: ServerResponse) => void): Server =>
    createServer((req, res) => {
      if (req.url?.startsWith('/c/')) edge.routing(req, res);
      else handler(req, res);
    });
}
