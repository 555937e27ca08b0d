import { newClickId, pooledRandom } from '@app/db/ids';
import { type ClickQuery, decideClick, withTrackingParam } from '@app/domain/clicks/click-destination';
import type { ClickEvent } from '@app/domain/clicks/click-event';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ClickRecorder } from '../tracking/click-recorder';
import type { LinkCache } from '../tracking/link-cache';

declare module 'fastify' {
  interface FastifyInstance {
    /** The edge's click writer (spool backlog and replay, for health checks and tests). */
    clickRecorder: ClickRecorder;
  }
}

export interface EdgeDeps {
  links: LinkCache;
  recorder: ClickRecorder;
  /** A header set by a trusted proxy/CDN with the visitor's country (e.g. cf-ipcountry). */
  countryHeader: string | null;
}

const CODE = /^[A-Za-z0-9_-]{4,64}$/;
const VISITOR_COOKIE = 'affv';
const VISITOR = /(?:^|;\s*)affv=([A-Za-z0-9_-]{16,40})(?:;|$)/;
const VISITOR_MAX_AGE = 365 * 24 * 3600;
const COUNTRY = /^[A-Z]{2}$/;

const notFoundPage = `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Link not found</title>
<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222"><h1>This link is not active</h1>
<p>The link you followed does not exist or has been switched off. Check it with whoever shared it.</p></body></html>`;
const unavailablePage = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Try again</title><body style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem"><h1>Please try again in a moment</h1></body></html>`;

/**
 * The tracking edge: `GET /c/{code}` (and HEAD). A cached link costs no I/O but the
 * click's write to the Redis stream (or the local spool when Redis is down); nothing
 * touches Postgres on the hot path. See docs/tracking.md.
 */
export function clickRoutes(app: FastifyInstance, edge: EdgeDeps): void {
  app.route({
    method: 'GET',
    url: '/c/:code',
    // The hot path: no per-IP rate limit round trip to Redis, no security headers meant
    // for pages, and only warnings in the log.
    config: { rateLimit: false },
    helmet: false,
    logLevel: 'warn',
    handler: (request, reply) => click(edge, request, reply),
  });
}

async function click(edge: EdgeDeps, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const { code } = request.params as { code: string };
  if (!CODE.test(code)) return page(reply, 404, notFoundPage);

  const host = request.hostname.toLowerCase();
  let hostTenant = edge.links.peekHost(host);
  if (hostTenant === undefined) {
    // With Postgres down and the host not cached, the link itself still decides.
    hostTenant = await edge.links.tenantOfHost(host).catch(() => null);
  }
  let link = edge.links.peek(code);
  if (link === undefined) {
    try {
      link = await edge.links.load(code);
    } catch (error) {
      request.log.error({ err: error, code }, 'link look-up failed');
      return page(reply, 503, unavailablePage);
    }
  }
  if (!link || (hostTenant !== null && link.tenantId !== hostTenant)) return page(reply, 404, notFoundPage);

  const query = request.query as Record<string, unknown>;
  const decision = decideClick(link, {
    url: first(query.url),
    sub1: first(query.sub1),
    sub2: first(query.sub2),
    sub3: first(query.sub3),
    sub4: first(query.sub4),
    sub5: first(query.sub5),
  } satisfies ClickQuery);
  if (decision.kind === 'inactive') {
    if (decision.fallbackUrl) return redirect(reply, decision.fallbackUrl);
    return page(reply, 404, notFoundPage);
  }

  const clickId = newClickId();
  const cookie = request.headers.cookie;
  let visitorId = cookie ? (VISITOR.exec(cookie)?.[1] ?? null) : null;
  if (!visitorId) {
    visitorId = pooledRandom(16).toString('base64url');
    const secure = request.protocol === 'https' ? '; Secure' : '';
    reply.header('set-cookie', `${VISITOR_COOKIE}=${visitorId}; Max-Age=${VISITOR_MAX_AGE}; Path=/; HttpOnly; SameSite=Lax${secure}`);
  }
  const country = edge.countryHeader ? first(request.headers[edge.countryHeader])?.toUpperCase() : undefined;
  const event: ClickEvent = {
    v: 1,
    id: clickId,
    tenantId: link.tenantId,
    programId: link.programId,
    affiliateId: link.affiliateId,
    linkId: link.linkId,
    method: request.method === 'HEAD' ? 'HEAD' : 'GET',
    ip: request.ip ?? null,
    userAgent: clip(request.headers['user-agent'], 512),
    referrer: clip(request.headers.referer, 1024),
    country: country && COUNTRY.test(country) && country !== 'XX' ? country : null,
    visitorId,
    subs: decision.subs as ClickEvent['subs'],
    landingUrl: decision.destination.slice(0, 4096),
    flags: decision.flags,
  };
  await edge.recorder.record(event);
  return redirect(reply, withTrackingParam(decision.destination, link.trackingParam, clickId));
}

function redirect(reply: FastifyReply, location: string): FastifyReply {
  return reply.code(302).header('location', location).header('cache-control', 'no-store').header('referrer-policy', 'strict-origin-when-cross-origin').send();
}

function page(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.code(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(html);
}

function first(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

function clip(value: string | undefined, max: number): string | null {
  return value ? value.slice(0, max) : null;
}
