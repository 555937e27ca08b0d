/** The first-party cookie that keeps the click id on the merchant's site. */
export const CLICK_COOKIE = 'aff_click_id';

/** The value of cookie `name` in a `document.cookie` string, or null. */
export function readCookie(cookies: string, name: string): string | null {
  for (const part of cookies.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** Days of the cookie window as given (data-cookie-days, the program's answer), or the
 *  fallback when absent or not a positive number; browsers cap cookies at 400 days. */
export function cookieDays(value: unknown, fallback = 30): number {
  const days = Number(value);
  return Number.isFinite(days) && days > 0 ? Math.min(days, 400) : fallback;
}

/** A `document.cookie` assignment: whole site (path=/), sent on top-level navigations
 *  from other sites (SameSite=Lax, so a visitor coming back through a link keeps it),
 *  Secure on https. The value is a click id ([a-z0-9_]), so it needs no encoding. */
export function clickCookie(value: string, days: number, secure: boolean): string {
  return `${CLICK_COOKIE}=${value}; path=/; max-age=${Math.round(days * 86_400)}; SameSite=Lax${secure ? '; Secure' : ''}`;
}
