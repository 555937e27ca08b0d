import { createContext, runInContext } from 'node:vm';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Tracker } from './snippet';
import { trackerScript } from './tracker-script';

// The built script run against a small stand-in for a page (cookie jar, location,
// script tag, fetch); the real browser run is e2e/tracker.test.ts.

const CLICK = 'clk_01jdq3z8m0f6k9x2v5w7y4b3c1';
const NEWER = 'clk_01jdq3z8m0f6k9x2v5w7y4b3c9';

let code: string;
beforeAll(async () => {
  code = (await trackerScript()).code;
});

interface Call {
  url: string;
  init: RequestInit & { headers: Record<string, string> };
  body: Record<string, unknown>;
}

interface PageOptions {
  url?: string;
  data?: Record<string, string>;
  src?: string;
  cookie?: string;
  referrer?: string;
  queued?: unknown[];
  answer?: (call: Call) => { status: number; body: unknown };
}

function page(options: PageOptions = {}) {
  const url = new URL(options.url ?? 'https://shop.example/');
  const jar = new Map<string, string>();
  const written: string[] = [];
  for (const pair of (options.cookie ?? '').split(';').filter(Boolean)) {
    const [k, v] = pair.trim().split('=');
    jar.set(k as string, v as string);
  }
  const calls: Call[] = [];
  const dataset = { key: 'pk_test_key', program: 'prg_shoes', ...(options.data ?? {}) };
  const script = { src: options.src ?? 'https://api.example/t.js', dataset };
  const document = {
    currentScript: script,
    referrer: options.referrer ?? '',
    querySelector: () => script,
    get cookie() {
      return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    },
    set cookie(value: string) {
      written.push(value);
      const [pair] = value.split(';');
      const [k, v] = (pair as string).split('=');
      jar.set(k as string, v as string);
    },
  };
  const store = new Map<string, string>();
  const fetch = async (target: string, init: Call['init']) => {
    const call = { url: target, init, body: JSON.parse(String(init.body)) };
    calls.push(call);
    const { status, body } = options.answer?.(call) ?? { status: 202, body: { id: 'cnv_1', status: 'received' } };
    return { ok: status < 300, status, json: async () => body };
  };
  const context = createContext({
    document,
    location: { href: url.href, search: url.search, protocol: url.protocol, origin: url.origin },
    fetch,
    sessionStorage: { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => store.set(k, v) },
    URL,
    URLSearchParams,
    ...(options.queued ? { aff: options.queued } : {}),
  });
  context.window = context;
  runInContext(code, context);
  return { aff: context.aff as Tracker, calls, jar, written, context };
}

describe('the built tracker script', () => {
  it('is a self-contained minified IIFE under 3 KB gzipped', () => {
    expect(gzipSync(code).length).toBeLessThan(3072);
    expect(code).not.toMatch(/\bimport\b|\bexport\b|require\(/);
    expect(code.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('keeps a click id from the URL in a first-party cookie (30 days unless data-cookie-days), Secure on https', async () => {
    const https = page({ url: `https://shop.example/p?x=1&aff_click_id=${CLICK}` });
    await https.aff.ready;
    expect(https.written).toEqual([`aff_click_id=${CLICK}; path=/; max-age=2592000; SameSite=Lax; Secure`]);
    expect(https.aff.clickId()).toBe(CLICK);
    expect(https.calls).toEqual([]);

    const http = page({ url: `http://shop.example/?aff_click_id=${CLICK}`, data: { cookieDays: '7' } });
    expect(http.written).toEqual([`aff_click_id=${CLICK}; path=/; max-age=604800; SameSite=Lax`]);
  });

  it('reads the program’s own tracking parameter (data-param) and ignores malformed click ids', () => {
    const own = page({ url: `https://shop.example/?ref_id=${CLICK}&aff_click_id=${NEWER}`, data: { param: 'ref_id' } });
    expect(own.aff.clickId()).toBe(CLICK);
    for (const bad of ['clk_short', `${CLICK}x`, 'CLK_01JDQ3Z8M0F6K9X2V5W7Y4B3C1', '<script>']) {
      const p = page({ url: `https://shop.example/?aff_click_id=${encodeURIComponent(bad)}` });
      expect(p.written).toEqual([]);
      expect(p.aff.clickId()).toBeNull();
    }
  });

  it('replaces an older click id with a newer one (last click)', () => {
    const p = page({ url: `https://shop.example/?aff_click_id=${NEWER}`, cookie: `theme=dark; aff_click_id=${CLICK}` });
    expect(p.aff.clickId()).toBe(NEWER);
    expect(p.jar.get('theme')).toBe('dark');
  });

  it('records a linkless ?ref= visit through POST /v1/track/click and keeps the answer for the program’s cookie window', async () => {
    const p = page({
      url: 'https://shop.example/landing?ref=summer-blog',
      referrer: 'https://blog.example/post',
      answer: () => ({ status: 201, body: { clickId: CLICK, cookieDays: 45 } }),
    });
    expect(p.aff.clickId()).toBeNull();
    await p.aff.ready;
    expect(p.calls).toHaveLength(1);
    const [call] = p.calls;
    expect(call?.url).toBe('https://api.example/v1/track/click');
    expect(call?.init).toMatchObject({
      method: 'POST',
      keepalive: true,
      credentials: 'omit',
      headers: { authorization: 'Bearer pk_test_key', 'content-type': 'application/json' },
    });
    expect(call?.body).toEqual({
      programId: 'prg_shoes',
      code: 'summer-blog',
      landingUrl: 'https://shop.example/landing?ref=summer-blog',
      referrer: 'https://blog.example/post',
    });
    expect(p.written).toEqual([`aff_click_id=${CLICK}; path=/; max-age=3888000; SameSite=Lax; Secure`]);
    expect(p.aff.clickId()).toBe(CLICK);
  });

  it('accepts ?via= too, ignores codes that cannot be link codes, and a refused click leaves the cookie alone', async () => {
    const via = page({ url: 'https://shop.example/?via=abcd', answer: () => ({ status: 404, body: { code: 'not_found' } }) });
    await via.aff.ready;
    expect(via.calls.map((c) => c.body.code)).toEqual(['abcd']);
    expect(via.written).toEqual([]);
    const odd = page({ url: 'https://shop.example/?ref=a%20b' });
    await odd.aff.ready;
    expect(odd.calls).toEqual([]);
  });

  it('sends to data-api when given, else to the origin the script came from', async () => {
    const p = page({
      url: 'https://shop.example/?ref=code1',
      data: { api: 'https://track.example/' },
      answer: () => ({ status: 201, body: { clickId: CLICK, cookieDays: 30 } }),
    });
    await p.aff.ready;
    expect(p.calls[0]?.url).toBe('https://track.example/v1/track/click');
  });

  it('reports a lead after the click is kept, with the click id, and hands back the answer', async () => {
    const p = page({
      url: 'https://shop.example/?ref=code1',
      answer: (call) =>
        call.url.endsWith('/click') ? { status: 201, body: { clickId: CLICK, cookieDays: 30 } } : { status: 202, body: { id: 'cnv_9', status: 'received' } },
    });
    const answer = await p.aff.lead({ email: 'jane@example.com', externalId: 'lead-1' });
    expect(answer).toEqual({ id: 'cnv_9', status: 'received' });
    expect(p.calls.map((c) => c.url)).toEqual(['https://api.example/v1/track/click', 'https://api.example/v1/track/lead']);
    expect(p.calls[1]?.body).toEqual({ programId: 'prg_shoes', type: 'lead', externalId: 'lead-1', email: 'jane@example.com', clickId: CLICK });
    expect(p.calls[1]?.init).toMatchObject({ keepalive: true, credentials: 'omit' });
  });

  it('rejects a refused sale with the status, code and detail of the problem', async () => {
    const p = page({ answer: () => ({ status: 403, body: { code: 'forbidden', detail: 'Browser sales are off for this program.' } }) });
    const refused = await p.aff.sale({ externalId: 'order-1', amount: 1999, currency: 'EUR' }).catch((e) => e);
    // An Error of the page's realm.
    expect(Object.prototype.toString.call(refused)).toBe('[object Error]');
    expect(refused).toMatchObject({ status: 403, code: 'forbidden', message: 'Browser sales are off for this program.' });
    expect(p.calls[0]?.body).toEqual({ programId: 'prg_shoes', type: 'sale', externalId: 'order-1', amount: 1999, currency: 'EUR' });
  });

  it('runs calls queued before it loaded (window.aff = window.aff || [])', async () => {
    const p = page({
      url: `https://shop.example/?aff_click_id=${CLICK}`,
      queued: [['lead', { externalId: 'early-1' }], ['nonsense'], ['sale', { externalId: 'o', amount: 1 }]],
    });
    await p.aff.ready;
    await new Promise((r) => setTimeout(r, 0));
    expect(p.calls.map((c) => [c.body.type, c.body.externalId, c.body.clickId])).toEqual([
      ['lead', 'early-1', CLICK],
      ['sale', 'o', CLICK],
    ]);
    expect(typeof p.aff.lead).toBe('function');
  });

  it('does not record a ?ref= click again on a reload in the same session', async () => {
    const answer = () => ({ status: 201, body: { clickId: CLICK, cookieDays: 30 } });
    const first = page({ url: 'https://shop.example/?ref=code1', answer });
    await first.aff.ready;
    // Same tab: the cookie and sessionStorage survive the reload.
    const context = first.context;
    context.aff = undefined;
    runInContext(code, context);
    await (context.aff as Tracker).ready;
    expect(first.calls).toHaveLength(1);
  });

  it('refuses to report anything without data-key and data-program', async () => {
    const p = page({ data: { key: '', program: '' } });
    await expect(p.aff.lead({ externalId: 'x' })).rejects.toThrow(/data-key and data-program/);
    expect(p.calls).toEqual([]);
  });
});
