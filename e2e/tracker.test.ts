import type { AddressInfo } from 'node:net';
import { workerEnvSchema } from '@app/config/env';
import { type RunningWorker, startWorker } from '@app/worker/start-worker';
import pino from 'pino';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvedEnrollment, createLink, createProgram, networkWithMerchant, partner } from '../apps/api/test/builders';
import { createApiKey, type Harness, startHarness } from '../apps/api/test/harness';
import { launchChromium } from './support/chromium';
import { type Embed, type LandingSite, startLandingSite } from './support/landing-site';

// The browser tracker in real headless Chromium: the API listening on a port with the
// worker storing clicks and attributing conversions, and a merchant's landing page on
// http://shop.localhost:<port>/ that embeds <script src=…/t.js data-key data-program>.

/** What the page's `window` holds once the tracker has run (the page's side of the test). */
interface TrackerWindow {
  aff: {
    clickId(): string | null;
    ready: Promise<void>;
    lead(input: { email?: string; externalId: string }): Promise<{ id: string; status: string }>;
    sale(input: { externalId: string; amount: number; currency?: string }): Promise<{ id: string; status: string }>;
  };
  document: { cookie: string };
}

let h: Harness;
let worker: RunningWorker;
let site: LandingSite;
let browser: Browser;
let api: string;
let embed: Embed;
let merchantToken: string;
let programId: string;
let bob: { token: string; id: string };
let link: { id: string; code: string };
const contexts: BrowserContext[] = [];

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not met in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Opens `url` in a fresh browser profile (no cookies) and waits for the tracker to be
 *  ready; records the requests the page makes to /v1/track/*. */
async function open(url: string) {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  const trackCalls: Promise<{ url: string; headers: Record<string, string> }>[] = [];
  page.on('request', (request) => {
    if (request.url().includes('/v1/track/')) trackCalls.push(request.allHeaders().then((headers) => ({ url: request.url(), headers })));
  });
  await page.goto(url);
  await page.waitForFunction(() => typeof (globalThis as unknown as Partial<TrackerWindow>).aff?.clickId === 'function');
  await page.evaluate(() => (globalThis as unknown as TrackerWindow).aff.ready);
  return { context, page, trackCalls };
}

function pageState(page: Page) {
  return page.evaluate(() => {
    const w = globalThis as unknown as TrackerWindow;
    return { cookie: w.document.cookie, clickId: w.aff.clickId() };
  });
}

function lead(page: Page, input: { email?: string; externalId: string }) {
  return page.evaluate((i) => (globalThis as unknown as TrackerWindow).aff.lead(i), input);
}

/** A refused call, as the page sees it: the error's status, code and message. */
function saleRefusal(page: Page, input: { externalId: string; amount: number }) {
  return page.evaluate(
    (i) =>
      (globalThis as unknown as TrackerWindow).aff.sale(i).then(
        () => null,
        (e: { status?: number; code?: string; message: string }) => ({ status: e.status, code: e.code, message: e.message }),
      ),
    input,
  );
}

async function attributed(conversionId: string) {
  return until(`conversion ${conversionId} attributed`, async () => {
    const res = await h.request({ method: 'GET', url: `/v1/conversions/${conversionId}`, token: merchantToken });
    return res.body.status === 'received' ? undefined : res.body;
  });
}

async function storedClick(clickId: string) {
  return until(`click ${clickId} stored`, async () => {
    const { rows } = await h.owner.query('SELECT program_id, affiliate_id, link_id, landing_url, visitor_id FROM clicks WHERE id = $1', [clickId]);
    return rows[0];
  });
}

async function conversionCount(externalId: string): Promise<number> {
  const { rows } = await h.owner.query('SELECT count(*)::int AS n FROM conversions WHERE external_id = $1', [externalId]);
  return rows[0].n;
}

beforeAll(async () => {
  h = await startHarness('e2e_tracker', { RATE_LIMIT_MAX: '100000' });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  api = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  worker = await startWorker(
    workerEnvSchema.parse({
      DATABASE_URL: h.db.ownerUrl,
      APP_DATABASE_URL: h.db.appUrl,
      REDIS_URL: h.config.REDIS_URL,
      REDIS_PREFIX: h.config.REDIS_PREFIX,
      LOG_LEVEL: 'silent',
      OUTBOX_POLL_MS: '100',
    }),
    pino({ level: 'silent' }),
  );
  site = await startLandingSite(() => embed);

  let merchantId: string;
  ({ merchantId, merchantToken } = await networkWithMerchant(h, 'tracker'));
  // shop.localhost passes the program's domain validation (a dotted name ending in a
  // letter label), and Chromium resolves *.localhost to loopback by itself.
  programId = await createProgram(h, merchantToken, merchantId, { landingUrl: `${site.origin('shop')}/`, allowedDomains: ['shop.localhost'], cookieDays: 14 });
  const pk = (await createApiKey(h, merchantToken, merchantId, 'publishable')).key;
  bob = await partner(h, 'tracker', 'bob@blog.example');
  await approvedEnrollment(h, merchantToken, programId, bob.token);
  link = await createLink(h, bob.token, { programId });
  embed = { scriptSrc: `${api}/t.js`, publishableKey: pk, programId };
  browser = await launchChromium();
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
  await site?.close();
  await worker?.stop();
  await h?.close();
});

describe('browser tracker in Chromium', () => {
  it('A: a click through /c/{code} lands with aff_click_id, the tracker keeps it in a cookie, and its lead is attributed to the link’s affiliate', async () => {
    // The visitor follows the affiliate's link: the API's redirect sends the browser on
    // to the landing page with the click id.
    const { context, page, trackCalls } = await open(`${api}/c/${link.code}`);
    const landed = new URL(page.url());
    expect(landed.host).toBe(`shop.localhost:${site.port}`);
    const clickId = landed.searchParams.get('aff_click_id');
    expect(clickId).toMatch(/^clk_[0-9a-z]{26}$/);

    const state = await pageState(page);
    expect(state.clickId).toBe(clickId);
    expect(state.cookie).toContain(`aff_click_id=${clickId}`);
    const [cookie] = (await context.cookies(site.origin('shop'))).filter((c) => c.name === 'aff_click_id');
    expect(cookie).toMatchObject({ value: clickId, domain: 'shop.localhost', path: '/', sameSite: 'Lax', secure: false, httpOnly: false });
    // A click id from the URL is kept for data-cookie-days, 30 by default.
    expect(Math.abs((cookie?.expires ?? 0) - (Date.now() / 1000 + 30 * 86_400))).toBeLessThan(120);

    const answer = await lead(page, { email: 'jane@example.com', externalId: 'signup-a' });
    expect(answer).toEqual({ id: expect.stringMatching(/^cnv_/), status: 'received' });
    const conversion = await attributed(answer.id);
    expect(conversion).toMatchObject({
      status: 'attributed',
      type: 'lead',
      source: 'tracker',
      trust: 'browser',
      clickId,
      attributedClickId: clickId,
      affiliateId: bob.id,
      linkId: link.id,
      attributionReason: 'click',
    });

    // The API got the publishable key and none of the visitor's cookies (the redirect
    // set its visitor cookie on the API's host).
    expect((await context.cookies(api)).map((c) => c.name)).toContain('affv');
    const calls = await Promise.all(trackCalls);
    expect(calls.map((c) => new URL(c.url).pathname)).toEqual(['/v1/track/lead']);
    for (const call of calls) {
      expect(call.headers.authorization).toBe(`Bearer ${embed.publishableKey}`);
      expect(call.headers.cookie).toBeUndefined();
    }
  });

  it('B: a linkless ?ref= visit records a click through /v1/track/click, keeps it for the program’s cookie window, and its lead is attributed', async () => {
    const url = `${site.origin('shop')}/spring?ref=${link.code}`;
    const { context, page, trackCalls } = await open(url);
    const { clickId, cookie } = await pageState(page);
    expect(clickId).toMatch(/^clk_[0-9a-z]{26}$/);
    expect(cookie).toContain(`aff_click_id=${clickId}`);
    const [stored] = (await context.cookies(site.origin('shop'))).filter((c) => c.name === 'aff_click_id');
    expect(Math.abs((stored?.expires ?? 0) - (Date.now() / 1000 + 14 * 86_400))).toBeLessThan(120);

    // The click went through the click stream to Postgres like a redirect's.
    expect(await storedClick(clickId as string)).toEqual({ program_id: programId, affiliate_id: bob.id, link_id: link.id, landing_url: url, visitor_id: null });

    const answer = await lead(page, { externalId: 'signup-b' });
    const conversion = await attributed(answer.id);
    expect(conversion).toMatchObject({ status: 'attributed', affiliateId: bob.id, attributedClickId: clickId, attributionReason: 'click' });
    expect((await Promise.all(trackCalls)).map((c) => new URL(c.url).pathname)).toEqual(['/v1/track/click', '/v1/track/lead']);
  });

  it('C: aff.sale is refused (403) while the program has browser sales off, and another site cannot use the key', async () => {
    const { page } = await open(`${site.origin('shop')}/checkout/done`);
    const refusal = await saleRefusal(page, { externalId: 'order-c', amount: 2_500 });
    expect(refusal).toMatchObject({ status: 403, code: 'forbidden' });
    expect(refusal?.message).toMatch(/browser sales are off/);
    expect(await conversionCount('order-c')).toBe(0);

    // The same embed on a site that is not the program's: no click, no lead.
    const evil = await open(`${site.origin('evil')}/?ref=${link.code}`);
    expect(await pageState(evil.page)).toEqual({ cookie: '', clickId: null });
    const evilLead = await evil.page.evaluate(() =>
      (globalThis as unknown as TrackerWindow).aff.lead({ externalId: 'evil-1' }).then(
        () => null,
        (e: { status?: number }) => e.status,
      ),
    );
    expect(evilLead).toBe(403);
    expect(await conversionCount('evil-1')).toBe(0);
  });
});
