import type { PrismaClient } from '@app/db/client';
import { type PgListener, startPgListener } from '@app/db/pg-listener';
import type { EdgeLink } from '@app/domain/clicks/click-destination';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';

export interface LinkCacheOptions {
  prisma: PrismaClient;
  redis: Redis;
  redisPrefix: string;
  /** Application-role connection string for LISTEN. */
  listenUrl: string | null;
  logger: Logger;
  maxEntries?: number;
  /** How long an entry may live in memory without a change notification. */
  ttlMs?: number;
  /** How long an entry lives in Redis. */
  redisTtlSeconds?: number;
  /** How long an unknown code is remembered as unknown. */
  missTtlMs?: number;
}

type Entry = { link: EdgeLink } | { link: null };

/**
 * Links for the redirect edge: in-process LRU → Redis → Postgres. A hit in memory costs
 * no I/O at all. Postgres notifies (`link_cache`, sent on commit by triggers on links,
 * programs, enrollments and affiliates) which codes changed; the cache drops them from
 * memory and Redis. While the LISTEN connection is down, entries still expire after
 * `ttlMs`, and memory is cleared when it reconnects. Custom tracking domains are
 * cached the same way (`tracking_domain`).
 */
export class LinkCache {
  private readonly links: LRUCache<string, Entry>;
  private readonly domains: LRUCache<string, { tenantId: string | null }>;
  private readonly listener: PgListener | null;
  private readonly redisTtl: number;
  private readonly missTtl: number;

  constructor(private readonly options: LinkCacheOptions) {
    const ttl = options.ttlMs ?? 60_000;
    this.links = new LRUCache({ max: options.maxEntries ?? 50_000, ttl, ttlAutopurge: false });
    this.domains = new LRUCache({ max: 10_000, ttl });
    this.redisTtl = options.redisTtlSeconds ?? 300;
    this.missTtl = options.missTtlMs ?? 5_000;
    this.listener = options.listenUrl
      ? startPgListener({
          url: options.listenUrl,
          channels: ['link_cache', 'tracking_domain'],
          onNotification: (channel, payload) => this.onNotification(channel, payload),
          onConnected: () => {
            this.links.clear();
            this.domains.clear();
          },
          onError: (err, message) => options.logger.warn({ err }, `link cache ${message}`),
        })
      : null;
  }

  /** The cached answer for `code` without any I/O: a link, null (known unknown), or
   *  undefined (not cached: call `load`). */
  peek(code: string): EdgeLink | null | undefined {
    return this.links.get(code)?.link;
  }

  async load(code: string): Promise<EdgeLink | null> {
    const key = this.redisKey(code);
    const cached = await this.options.redis.get(key).catch(() => null);
    if (cached) {
      const link = JSON.parse(cached) as EdgeLink;
      this.links.set(code, { link });
      return link;
    }
    const link = await this.fromDatabase(code);
    if (link) {
      this.links.set(code, { link });
      this.options.redis.set(key, JSON.stringify(link), 'EX', this.redisTtl).catch(() => {});
    } else {
      this.links.set(code, { link: null }, { ttl: this.missTtl });
    }
    return link;
  }

  /** The network a custom tracking host belongs to, or null for the platform's hosts. */
  async tenantOfHost(host: string): Promise<string | null> {
    const hit = this.domains.get(host);
    if (hit) return hit.tenantId;
    const rows = await this.options.prisma.$queryRaw<{ t: string | null }[]>`SELECT tracking_domain_tenant(${host}) AS t`;
    const tenantId = rows[0]?.t ?? null;
    this.domains.set(host, { tenantId });
    return tenantId;
  }

  /** tenantOfHost without I/O when cached. */
  peekHost(host: string): string | null | undefined {
    return this.domains.get(host)?.tenantId;
  }

  private async fromDatabase(code: string): Promise<EdgeLink | null> {
    const rows = await this.options.prisma.$queryRaw<LinkRow[]>`SELECT * FROM link_for_click(${code})`;
    const r = rows[0];
    if (!r) return null;
    return {
      linkId: r.link_id,
      tenantId: r.tenant_id,
      programId: r.program_id,
      affiliateId: r.affiliate_id,
      destinationUrl: r.destination_url,
      subs: [r.sub1, r.sub2, r.sub3, r.sub4, r.sub5],
      linkStatus: r.link_status,
      programStatus: r.program_status,
      landingUrl: r.landing_url,
      allowedDomains: r.allowed_domains,
      trackingParam: r.tracking_param,
      cookieDays: r.cookie_days,
      fallbackUrl: r.fallback_url,
      enrollmentStatus: r.enrollment_status,
      affiliateStatus: r.affiliate_status,
    };
  }

  private onNotification(channel: string, payload: string): void {
    if (channel === 'tracking_domain') {
      this.domains.delete(payload);
      return;
    }
    const codes = payload.split(',').filter(Boolean);
    for (const code of codes) this.links.delete(code);
    if (codes.length) this.options.redis.del(...codes.map((c) => this.redisKey(c))).catch(() => {});
  }

  private redisKey(code: string): string {
    return `${this.options.redisPrefix}:lk:${code}`;
  }

  async close(): Promise<void> {
    await this.listener?.close();
  }
}

interface LinkRow {
  link_id: string;
  tenant_id: string;
  program_id: string;
  affiliate_id: string;
  destination_url: string;
  sub1: string | null;
  sub2: string | null;
  sub3: string | null;
  sub4: string | null;
  sub5: string | null;
  link_status: string;
  program_status: string;
  landing_url: string;
  allowed_domains: string[];
  tracking_param: string;
  cookie_days: number;
  fallback_url: string | null;
  enrollment_status: string;
  affiliate_status: string;
}
