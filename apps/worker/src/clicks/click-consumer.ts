import { createHash } from 'node:crypto';
import type { PrismaClient } from '@app/db/client';
import { idTime } from '@app/db/ids';
import { CLICK_CONSUMER_GROUP, type ClickEvent, clickEventSchema, clickStreamKey, NOT_BILLABLE_AT_EDGE } from '@app/domain/clicks/click-event';
import { clickSalts, ensureClickPartitions, type StoredClick, storeClicks } from '@app/domain/clicks/store-clicks';
import { deviceClass, hashIp, ipPrefix, isBotUserAgent } from '@app/domain/clicks/traffic-quality';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface ClickConsumerOptions {
  prisma: PrismaClient;
  /** For XREADGROUP BLOCK: a connection nothing else uses. */
  blocking: Redis;
  /** For everything else (ack, unique and flood keys). */
  redis: Redis;
  prefix: string;
  consumerName: string;
  logger: Logger;
  batchSize: number;
  claimIdleMs: number;
  uniqueWindowSeconds: number;
  floodPerMinute: number;
  blockMs?: number;
  ackDelayMs?: number;
}

export interface ClickConsumer {
  /** Stored so far by this consumer (new rows, not replays). */
  stored(): number;
  stop(): Promise<void>;
}

type Entry = [id: string, fields: string[]];

/**
 * Unique and flood checks of a batch, in Redis in one call. ARGV: window seconds, flood
 * key TTL, then per click: visitor key, IP+UA key, flood key ('' for none), click id.
 * Returns per click: 1 when unique (each key unset, or set by this very click), and the
 * flood count (0 without a flood key). Keys are built by the consumer, not declared:
 * on Redis Cluster the script would need the keys of one batch in one hash slot.
 */
const CLICK_CHECKS = `
local out = {}
for i = 3, #ARGV, 4 do
  local id = ARGV[i + 3]
  local byVisitor = redis.call('SET', ARGV[i], id, 'NX', 'GET', 'EX', ARGV[1])
  local byIp = redis.call('SET', ARGV[i + 1], id, 'NX', 'GET', 'EX', ARGV[1])
  local unique = ((not byVisitor) or byVisitor == id) and ((not byIp) or byIp == id)
  local flood = 0
  if ARGV[i + 2] ~= '' then
    redis.call('PFADD', ARGV[i + 2], id)
    flood = redis.call('PFCOUNT', ARGV[i + 2])
    redis.call('EXPIRE', ARGV[i + 2], ARGV[2])
  end
  out[#out + 1] = unique and 1 or 0
  out[#out + 1] = flood
end
return out
`;

/**
 * Reads the click stream as one consumer of the `click-store` group: each batch is
 * enriched (bot, device, IP hash, unique and flood checks), stored with its rollups in
 * one transaction (idempotent by click id), then acknowledged and deleted from the
 * stream. Entries another consumer took and never acknowledged (it crashed) are taken
 * over with XAUTOCLAIM once idle for `claimIdleMs`. A crash anywhere replays the batch;
 * storage ignores clicks already stored, so nothing is lost or counted twice.
 */
export function startClickConsumer(options: ClickConsumerOptions): ClickConsumer {
  const { logger, redis, blocking } = options;
  const stream = clickStreamKey(options.prefix);
  const deadLetters = `${stream}:dead`;
  const salts = new Map<string, string>();
  const partitions = new Set<string>();
  let running = true;
  let stored = 0;
  let lastClaim = 0;

  async function ensureGroup(): Promise<void> {
    try {
      await redis.xgroup('CREATE', stream, CLICK_CONSUMER_GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!String((error as Error).message).includes('BUSYGROUP')) throw error;
    }
  }

  async function claimAbandoned(): Promise<Entry[]> {
    const claimed: Entry[] = [];
    let cursor = '0-0';
    do {
      const [next, entries] = (await redis.xautoclaim(
        stream,
        CLICK_CONSUMER_GROUP,
        options.consumerName,
        options.claimIdleMs,
        cursor,
        'COUNT',
        options.batchSize,
      )) as [string, Entry[]];
      claimed.push(...entries.filter((e) => e?.[1]));
      cursor = next;
    } while (cursor !== '0-0' && claimed.length < options.batchSize);
    return claimed;
  }

  async function readNew(): Promise<Entry[]> {
    const result = (await blocking.xreadgroup(
      'GROUP',
      CLICK_CONSUMER_GROUP,
      options.consumerName,
      'COUNT',
      options.batchSize,
      'BLOCK',
      options.blockMs ?? 1_000,
      'STREAMS',
      stream,
      '>',
    )) as [string, Entry[]][] | null;
    return result?.[0]?.[1] ?? [];
  }

  async function processBatch(entries: Entry[]): Promise<void> {
    const events: { entryId: string; event: ClickEvent }[] = [];
    const bad: Entry[] = [];
    for (const entry of entries) {
      const [entryId, fields] = entry;
      const raw = fields[fields.indexOf('e') + 1];
      let parsed: ReturnType<typeof clickEventSchema.safeParse> | null = null;
      try {
        parsed = raw ? clickEventSchema.safeParse(JSON.parse(raw)) : null;
      } catch {
        parsed = null;
      }
      if (parsed?.success) events.push({ entryId, event: parsed.data });
      else bad.push(entry);
    }
    if (bad.length) {
      logger.error({ count: bad.length }, 'malformed click stream entries moved to the dead-letter stream');
      const p = redis.pipeline();
      for (const [, fields] of bad) p.xadd(deadLetters, '*', ...fields);
      await p.exec();
    }

    const clicks = await enrich(events.map((e) => e.event));
    await ensurePartitions(clicks);
    stored += await storeClicks(options.prisma, clicks);
    if (options.ackDelayMs) await new Promise((resolve) => setTimeout(resolve, options.ackDelayMs));
    const ids = entries.map(([id]) => id);
    await redis
      .pipeline()
      .xack(stream, CLICK_CONSUMER_GROUP, ...ids)
      .xdel(stream, ...ids)
      .exec();
  }

  async function enrich(events: ClickEvent[]): Promise<StoredClick[]> {
    const unknownTenants = [...new Set(events.map((e) => e.tenantId))].filter((t) => !salts.has(t));
    if (unknownTenants.length) for (const [t, salt] of await clickSalts(options.prisma, unknownTenants)) salts.set(t, salt);

    const prepared = events.map((event) => {
      const salt = salts.get(event.tenantId) ?? '';
      const ipHash = event.ip ? hashIp(salt, event.ip) : null;
      const bot = isBotUserAgent(event.userAgent);
      const flags: string[] = [...event.flags];
      if (bot) flags.push('bot');
      if (event.method === 'HEAD') flags.push('head');
      const edgeBillable = !event.flags.some((f) => NOT_BILLABLE_AT_EDGE.has(f));
      return { event, ipHash, flags, bot, candidate: edgeBillable && !bot && event.method !== 'HEAD' };
    });

    // Unique: the first click of a visitor (by cookie, and by IP + user agent for
    // visitors who drop cookies) on a link within the window. The key keeps the click
    // id that set it, so a replayed click finds itself and stays unique.
    // Flood: distinct clicks per IP per minute (HyperLogLog of click ids: replays do
    // not count twice). One script call per batch does both in Redis.
    const minute = Math.floor(Date.now() / 60_000);
    const args: (string | number)[] = [options.uniqueWindowSeconds, 180];
    for (const c of prepared) {
      if (!c.candidate) continue;
      const scope = `${options.prefix}:cu:${c.event.linkId ?? c.event.programId}`;
      const uaHash = createHash('sha1')
        .update(c.event.userAgent ?? '')
        .digest('base64url')
        .slice(0, 12);
      args.push(
        `${scope}:v:${c.event.visitorId ?? '-'}`,
        `${scope}:i:${c.ipHash ?? '-'}:${uaHash}`,
        c.ipHash ? `${options.prefix}:fl:${c.event.tenantId}:${c.ipHash}:${minute}` : '',
        c.event.id,
      );
    }
    const checks = args.length > 2 ? ((await redis.eval(CLICK_CHECKS, 0, ...args)) as number[]) : [];
    let at = 0;

    return prepared.map(({ event, ipHash, flags, bot, candidate }) => {
      let isUnique = false;
      let billable = candidate;
      if (candidate) {
        isUnique = checks[at++] === 1;
        const perMinute = checks[at++] ?? 0;
        if (perMinute > options.floodPerMinute) {
          flags.push('flood');
          billable = false;
          isUnique = false;
        }
        if (!isUnique && !flags.includes('flood')) flags.push('repeat');
      }
      return {
        id: event.id,
        tenantId: event.tenantId,
        clickedAt: idTime(event.id),
        programId: event.programId,
        affiliateId: event.affiliateId,
        linkId: event.linkId,
        visitorId: event.visitorId,
        ipHash,
        ipPrefix: event.ip ? ipPrefix(event.ip) : null,
        userAgent: event.userAgent,
        referrer: event.referrer,
        country: event.country,
        device: deviceClass(event.userAgent, bot),
        method: event.method,
        subs: event.subs,
        landingUrl: event.landingUrl,
        isUnique,
        billable,
        flags,
      };
    });
  }

  async function ensurePartitions(clicks: StoredClick[]): Promise<void> {
    for (const click of clicks) {
      const month = click.clickedAt.toISOString().slice(0, 7);
      if (partitions.has(month)) continue;
      await ensureClickPartitions(options.prisma, click.clickedAt, 1);
      partitions.add(month);
    }
  }

  const loop = (async () => {
    let backoff = 0;
    // Made once, and again after any failure (a Redis that restarted empty has no group).
    let groupReady = false;
    while (running) {
      try {
        if (backoff) await new Promise((resolve) => setTimeout(resolve, backoff));
        if (!groupReady) {
          await ensureGroup();
          groupReady = true;
        }
        let entries: Entry[] = [];
        if (Date.now() - lastClaim >= Math.min(options.claimIdleMs, 5_000)) {
          lastClaim = Date.now();
          entries = await claimAbandoned();
          if (entries.length) logger.warn({ count: entries.length }, 'took over clicks another consumer left unacknowledged');
        }
        if (entries.length === 0) entries = await readNew();
        if (entries.length) await processBatch(entries);
        backoff = 0;
      } catch (error) {
        if (!running) break;
        groupReady = false;
        backoff = Math.min(backoff ? backoff * 2 : 200, 5_000);
        logger.error({ err: error, retryInMs: backoff }, 'click batch failed; it stays pending and is retried');
        // Entries read but not stored stay in this consumer's pending list; take them
        // back at once rather than after the idle time.
        lastClaim = 0;
        await reclaimOwn().catch(() => {});
      }
    }
  })();

  // After a failure, this consumer's own pending entries are read again from its
  // pending list (ID 0 instead of >).
  async function reclaimOwn(): Promise<void> {
    while (running) {
      const result = (await redis.xreadgroup('GROUP', CLICK_CONSUMER_GROUP, options.consumerName, 'COUNT', options.batchSize, 'STREAMS', stream, '0')) as
        | [string, Entry[]][]
        | null;
      const entries = (result?.[0]?.[1] ?? []).filter((e) => e?.[1]);
      if (entries.length === 0) return;
      await processBatch(entries);
    }
  }

  return {
    stored: () => stored,
    async stop() {
      running = false;
      blocking.disconnect();
      await loop;
    },
  };
}
