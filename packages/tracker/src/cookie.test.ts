import { describe, expect, it } from 'vitest';
import { clickCookie, cookieDays, readCookie } from './cookie';

describe('click cookie', () => {
  it('reads one cookie among others, by exact name', () => {
    expect(readCookie('a=1; aff_click_id=clk_x; b=2', 'aff_click_id')).toBe('clk_x');
    expect(readCookie('xaff_click_id=1; aff_click_id_old=2', 'aff_click_id')).toBeNull();
    expect(readCookie('', 'aff_click_id')).toBeNull();
  });

  it('takes the cookie window as given, 30 days when absent or nonsense, at most 400', () => {
    expect([cookieDays('7'), cookieDays(90), cookieDays(undefined), cookieDays('abc'), cookieDays('-3'), cookieDays(0), cookieDays(1000)]).toEqual([
      7, 90, 30, 30, 30, 30, 400,
    ]);
  });

  it('is site-wide, Lax, and Secure only on https', () => {
    expect(clickCookie('clk_x', 1, false)).toBe('aff_click_id=clk_x; path=/; max-age=86400; SameSite=Lax');
    expect(clickCookie('clk_x', 0.5, true)).toBe('aff_click_id=clk_x; path=/; max-age=43200; SameSite=Lax; Secure');
  });
});
