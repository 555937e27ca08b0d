import { clickSource, isClickId } from './click-source';
import { CLICK_COOKIE, clickCookie, cookieDays, readCookie } from './cookie';

/**
 * The browser tracker merchants embed:
 *   <script async src="https://<api>/t.js" data-key="pk_…" data-program="prg_…"></script>
 * It keeps the visitor's click id in a first-party cookie and reports leads (and, where
 * the program allows it, sales) with the merchant's publishable key. No dependencies;
 * built to a minified IIFE by ./tracker-script.ts. See docs/tracker.md.
 */

export interface Accepted {
  id: string;
  status: string;
}

export interface Tracker {
  /** The click id kept for this visitor, or null. */
  clickId(): string | null;
  lead(input: { externalId: string; email?: string }): Promise<Accepted>;
  sale(input: { externalId: string; amount: number; currency?: string }): Promise<Accepted>;
  /** Settles once the click of this page view (URL or ?ref=) is stored; never rejects. */
  ready: Promise<void>;
  /** Runs a call queued as `['lead', {...}]`, as pages do before the script has loaded. */
  push(call: QueuedCall): void;
}

export type QueuedCall = [string, ...unknown[]];

/** A refused request: the API's problem `detail`, HTTP status and stable `code`. */
export interface TrackerError extends Error {
  status?: number;
  code?: string;
}

declare global {
  interface Window {
    aff?: Tracker | QueuedCall[];
  }
}

start();

function start(): void {
  const queued = window.aff;
  // Included twice: the first copy already runs.
  if (queued && !Array.isArray(queued)) return;

  const script = (document.currentScript ?? document.querySelector('script[data-program]')) as HTMLScriptElement | null;
  const data = script?.dataset ?? {};
  const key = data.key;
  const programId = data.program;
  const param = data.param || 'aff_click_id';
  const api = (data.api || (script?.src ? new URL(script.src).origin : location.origin)).replace(/\/+$/, '');
  const secure = location.protocol === 'https:';
  // The cookie can be refused (privacy settings); the page view still knows its click.
  let remembered: string | null = null;

  const post = <T>(path: string, body: object): Promise<T> => {
    if (!key || !programId) return Promise.reject(new Error('aff: the script tag needs data-key and data-program'));
    return fetch(api + path, {
      method: 'POST',
      // Survives the page being left right after a sign-up form is sent.
      keepalive: true,
      // The API never needs the visitor's cookies: the publishable key says who we are.
      credentials: 'omit',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ programId, ...body }),
    }).then((res) =>
      res
        .json()
        .catch(() => ({}))
        .then((answer) => {
          if (res.ok) return answer as T;
          const error: TrackerError = new Error(answer.detail || `aff: ${path} answered ${res.status}`);
          error.status = res.status;
          error.code = answer.code;
          throw error;
        }),
    );
  };

  const clickId = (): string | null => {
    const stored = readCookie(document.cookie, CLICK_COOKIE);
    return isClickId(stored) ? stored : remembered;
  };

  // Last click wins here: a newer click id replaces the cookie. First-click programs are
  // decided by the server from the visitor's click history.
  const keep = (id: string, days: number): void => {
    remembered = id;
    // biome-ignore lint/suspicious/noDocumentCookie: the Cookie Store API is missing from older Safari and Firefox; the value is a checked click id
    document.cookie = clickCookie(id, days, secure);
  };

  const source = clickSource(location.search, param);
  let ready: Promise<void> = Promise.resolve();
  if (source && 'clickId' in source) {
    keep(source.clickId, cookieDays(data.cookieDays));
  } else if (source && !(clickId() && session('aff_ref') === source.code)) {
    // A linkless visit: the server records the click (a reload of the same page in the
    // same session does not count it again).
    ready = post<{ clickId: string; cookieDays: number }>('/v1/track/click', {
      code: source.code,
      landingUrl: location.href.slice(0, 4096),
      referrer: document.referrer.slice(0, 2048) || undefined,
    }).then(
      (answer) => {
        keep(answer.clickId, cookieDays(answer.cookieDays));
        session('aff_ref', source.code);
      },
      () => {},
    );
  }

  const conversion = (body: object): Promise<Accepted> => ready.then(() => post<Accepted>('/v1/track/lead', { ...body, clickId: clickId() ?? undefined }));

  const tracker: Tracker = {
    clickId,
    ready,
    lead: (input) => conversion({ type: 'lead', externalId: input.externalId, email: input.email }),
    sale: (input) => conversion({ type: 'sale', externalId: input.externalId, amount: input.amount, currency: input.currency }),
    push: ([method, ...args]) => {
      const fn = (tracker as unknown as Record<string, unknown>)[method];
      // A queued call has nobody to hand its answer to: a refusal must not become an
      // unhandled rejection on the merchant's page.
      if (typeof fn === 'function') Promise.resolve(fn(...args)).catch(() => {});
    },
  };
  window.aff = tracker;
  if (Array.isArray(queued)) for (const call of queued) tracker.push(call);
}

/** sessionStorage get (one argument) or set, where storage may throw (privacy modes). */
function session(name: string, value?: string): string | null {
  try {
    if (value === undefined) return sessionStorage.getItem(name);
    sessionStorage.setItem(name, value);
  } catch {}
  return null;
}
