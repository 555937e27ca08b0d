import { workerEnvSchema } from '@app/config/env';
import { clickStreamKey } from '@app/domain/clicks/click-event';
import { type RunningWorker, startWorker } from '@app/worker/start-worker';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvedEnrollment, createLink, createProgram, networkWithMerchant, partner } from '../apps/api/test/builders';
import { type Harness, startHarness } from '../apps/api/test/harness';
import { type OwnRedis, startOwnRedis } from './support/redis-server';

// The click pipeline as it runs: the edge answers /c/{code} and writes each click to
// the Redis stream (or its spool), the worker's consumer stores clicks and rollups.

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

function workerConfig(h: Harness, overrides: Record<string, string> = {}) {
  return workerEnvSchema.parse({
    DATABASE_URL: h.db.ownerUrl,
    APP_DATABASE_URL: h.db.appUrl,
    REDIS_URL: h.config.REDIS_URL,
    REDIS_PREFIX: h.config.REDIS_PREFIX,
    LOG_LEVEL: 'silent',
    CLICK_CLAIM_IDLE_MS: '500',
    ...overrides,
  });
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not met in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function n(h: Harness, sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await h.owner.query<{ n: string }>(sql, params);
  return Number(rows[0]?.n ?? 0);
}

/** A network, a merchant, an active program, an approved partner and one link. */
async function linkSetup(h: Harness, slug: string) {
  const { net, merchantId, merchantToken } = await networkWithMerchant(h, slug);
  const programId = await createProgram(h, merchantToken, merchantId);
  const aff = await partner(h, slug, `bob@${slug}.example`);
  await approvedEnrollment(h, merchantToken, programId, aff.token);
  const link = await createLink(h, aff.token, { programId, sub1: 'default-sub' });
  return { net, merchantId, merchantToken, programId, aff, link };
}

function click(h: Harness, code: string, opts: { ua?: string; ip?: string; cookie?: string; method?: 'GET' | 'HEAD'; query?: string } = {}) {
  return h.app.inject({
    method: opts.method ?? 'GET',
    url: `/c/${code}${opts.query ?? ''}`,
    headers: { ...(opts.ua ? { 'user-agent': opts.ua } : {}), ...(opts.cookie ? { cookie: opts.cookie } : {}) },
    remoteAddress: opts.ip ?? '198.51.100.7',
  });
}

describe('clicks from redirect to rollup', () => {
  let h: Harness;
  let worker: RunningWorker;

  beforeAll(async () => {
    h = await startHarness('e2e_clicks');
    worker = await startWorker(workerConfig(h), pino({ level: 'silent' }));
  });
  afterAll(async () => {
    await worker?.stop();
    await h?.close();
  });

  it('stores every click once with its rollup; bots and HEAD are redirected but not counted; unique vs total', async () => {
    const { link, programId, aff } = await linkSetup(h, 'clicks');
    const responses = [];
    // Visitor A (keeps the cookie): three clicks, one unique.
    const first = await click(h, link.code, { ua: CHROME, ip: '198.51.100.7', query: '?sub1=newsletter' });
    const cookie = String(first.headers['set-cookie']).split(';')[0]!;
    expect(cookie).toMatch(/^affv=[A-Za-z0-9_-]{16,}$/);
    responses.push(first);
    responses.push(await click(h, link.code, { ua: CHROME, ip: '198.51.100.7', cookie, query: '?sub1=newsletter' }));
    responses.push(await click(h, link.code, { ua: CHROME, ip: '198.51.100.7', cookie }));
    // Visitor B drops cookies: the same IP and browser twice is still one unique visitor.
    responses.push(await click(h, link.code, { ua: IPHONE, ip: '203.0.113.20' }));
    responses.push(await click(h, link.code, { ua: IPHONE, ip: '203.0.113.20' }));
    // Visitor C: one click, unique.
    responses.push(await click(h, link.code, { ua: CHROME, ip: '192.0.2.44' }));
    // Bots, a link-preview fetcher and a HEAD request: redirected, not counted.
    responses.push(await click(h, link.code, { ua: GOOGLEBOT, ip: '66.249.66.1' }));
    responses.push(await click(h, link.code, { ua: 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)', ip: '54.1.1.1' }));
    responses.push(await click(h, link.code, { ip: '54.1.1.2' }));
    responses.push(await click(h, link.code, { ua: CHROME, ip: '192.0.2.45', method: 'HEAD' }));
    for (const res of responses) expect(res.statusCode).toBe(302);
    const ids = responses.map((r) => new URL(String(r.headers.location)).searchParams.get('aff_click_id'));
    expect(new Set(ids).size).toBe(responses.length);

    await until('all clicks stored', async () => ((await n(h, 'SELECT count(*) AS n FROM clicks')) === responses.length ? true : undefined));
    const stored = await h.owner.query('SELECT id, billable, is_unique, flags, device, sub1, ip_hash, ip_prefix, visitor_id FROM clicks');
    expect(stored.rows.map((r) => r.id).sort()).toEqual([...ids].sort());
    const byId = new Map(stored.rows.map((r) => [r.id, r]));
    expect(byId.get(ids[0])).toMatchObject({ billable: true, is_unique: true, device: 'desktop', sub1: 'newsletter', ip_prefix: '198.51.100.0/24' });
    expect(byId.get(ids[0]).ip_hash).toMatch(/^[0-9a-f]{32}$/);
    expect(byId.get(ids[0]).ip_hash).not.toContain('198.51');
    expect(byId.get(ids[2])).toMatchObject({ billable: true, is_unique: false, sub1: 'default-sub' });
    expect(byId.get(ids[2]).flags).toContain('repeat');
    expect(byId.get(ids[3])).toMatchObject({ billable: true, is_unique: true, device: 'mobile' });
    expect(byId.get(ids[4])).toMatchObject({ billable: true, is_unique: false });
    expect(byId.get(ids[6])).toMatchObject({ billable: false, is_unique: false, device: 'bot' });
    expect(byId.get(ids[6]).flags).toContain('bot');
    expect(byId.get(ids[9])).toMatchObject({ billable: false });
    expect(byId.get(ids[9]).flags).toContain('head');

    const { rows } = await h.owner.query(
      `SELECT sum(clicks)::int AS clicks, sum(unique_clicks)::int AS uniq, sum(filtered_clicks)::int AS filtered
         FROM click_daily_stats WHERE program_id = $1 AND affiliate_id = $2 AND link_id = $3`,
      [programId, aff.id, link.id],
    );
    expect(rows[0]).toEqual({ clicks: 6, uniq: 3, filtered: 4 });
    const bySub = await h.owner.query(`SELECT sub1, clicks::int, unique_clicks::int AS uniq FROM click_daily_stats WHERE link_id = $1 ORDER BY sub1`, [
      link.id,
    ]);
    expect(bySub.rows.filter((r) => r.clicks > 0)).toEqual([
      { sub1: 'default-sub', clicks: 4, uniq: 2 },
      { sub1: 'newsletter', clicks: 2, uniq: 1 },
    ]);
  });

  it('a click delivered twice (a replayed stream entry) is stored and counted once', async () => {
    const { link } = await linkSetup(h, 'replay');
    const res = await click(h, link.code, { ua: CHROME, ip: '192.0.2.99' });
    const clickId = new URL(String(res.headers.location)).searchParams.get('aff_click_id');
    await until('stored', async () => ((await n(h, 'SELECT count(*) AS n FROM clicks WHERE link_id = $1', [link.id])) === 1 ? true : undefined));
    const row = (await h.owner.query('SELECT * FROM clicks WHERE id = $1', [clickId])).rows[0];
    // The same event again, as a crash between storing and acknowledging would replay it.
    const redis = new Redis(h.config.REDIS_URL);
    const event = {
      v: 1,
      id: clickId,
      tenantId: row.tenant_id,
      programId: row.program_id,
      affiliateId: row.affiliate_id,
      linkId: row.link_id,
      method: 'GET',
      ip: '192.0.2.99',
      userAgent: CHROME,
      referrer: null,
      country: null,
      visitorId: row.visitor_id,
      subs: [row.sub1, null, null, null, null],
      landingUrl: row.landing_url,
      flags: [],
    };
    await redis.xadd(clickStreamKey(h.config.REDIS_PREFIX), '*', 'e', JSON.stringify(event));
    // A marker click after it: once the marker is stored, the replay has been handled.
    const marker = await click(h, link.code, { ua: CHROME, ip: '192.0.2.100' });
    expect(marker.statusCode).toBe(302);
    await until('marker stored', async () => ((await n(h, 'SELECT count(*) AS n FROM clicks WHERE link_id = $1', [link.id])) === 2 ? true : undefined));
    await until('stream drained', async () => ((await redis.xlen(clickStreamKey(h.config.REDIS_PREFIX))) === 0 ? true : undefined));
    redis.disconnect();
    const again = (await h.owner.query('SELECT * FROM clicks WHERE id = $1', [clickId])).rows;
    expect(again).toHaveLength(1);
    expect(again[0].is_unique).toBe(true);
    const sums = await h.owner.query('SELECT sum(clicks)::int AS c, sum(unique_clicks)::int AS u FROM click_daily_stats WHERE link_id = $1', [link.id]);
    expect(sums.rows[0]).toEqual({ c: 2, u: 2 });
  });
});

describe('Redis stopped', () => {
  let redisServer: OwnRedis;
  let h: Harness;
  let worker: RunningWorker;

  beforeAll(async () => {
    redisServer = await startOwnRedis();
    h = await startHarness('e2e_redis_down', { REDIS_URL: redisServer.url });
    worker = await startWorker(workerConfig(h), pino({ level: 'silent' }));
  });
  afterAll(async () => {
    await worker?.stop();
    await h?.close().catch(() => {});
    await redisServer?.stop();
  });

  it('redirects still answer 302 while Redis is down, and every click is stored once it is back', async () => {
    const { link } = await linkSetup(h, 'redis-down');
    for (let i = 0; i < 5; i++) expect((await click(h, link.code, { ua: CHROME, ip: `192.0.2.${i + 1}` })).statusCode).toBe(302);
    await until('first clicks stored', async () => ((await n(h, 'SELECT count(*) AS n FROM clicks')) === 5 ? true : undefined));

    await redisServer.stop();
    const during = [];
    for (let i = 0; i < 20; i++) during.push(await click(h, link.code, { ua: CHROME, ip: `198.51.100.${i + 1}` }));
    for (const res of during) {
      expect(res.statusCode).toBe(302);
      expect(String(res.headers.location)).toMatch(/^https:\/\/shoes\.example\/\?aff_click_id=clk_/);
    }
    expect(h.app.clickRecorder.spooled()).toBe(20);
    expect(await h.app.clickRecorder.backlog()).toBe(20);

    await redisServer.start();
    await until('spooled clicks stored', async () => ((await n(h, 'SELECT count(*) AS n FROM clicks')) === 25 ? true : undefined), 30_000);
    expect(await h.app.clickRecorder.backlog()).toBe(0);
    const ids = during.map((r) => new URL(String(r.headers.location)).searchParams.get('aff_click_id'));
    expect(await n(h, 'SELECT count(*) AS n FROM clicks WHERE id = ANY($1)', [ids])).toBe(20);
    expect(await n(h, 'SELECT sum(clicks + filtered_clicks) AS n FROM click_daily_stats')).toBe(25);
  });
});
