/** Where the click of this page view comes from: a click id the redirect put in the URL,
 *  or the code of a link shared without the redirect (`?ref=CODE`, `?via=CODE`). */
export type ClickSource = { clickId: string } | { code: string } | null;

const CLICK_ID = /^clk_[0-9a-z]{26}$/;
const CODE = /^[A-Za-z0-9_-]{4,64}$/;

export function isClickId(value: string | null | undefined): value is string {
  return typeof value === 'string' && CLICK_ID.test(value);
}

/** A well-formed click id in `param` wins; otherwise a link code in `ref` or `via`.
 *  Anything malformed is ignored rather than stored or sent. */
export function clickSource(search: string, param: string): ClickSource {
  const query = new URLSearchParams(search);
  const clickId = query.get(param);
  if (isClickId(clickId)) return { clickId };
  const code = query.get('ref') || query.get('via');
  return code && CODE.test(code) ? { code } : null;
}
