import { describe, expect, it } from 'vitest';
import { bindingExpiry, clickWindowFailure, partnerFailure, pickAttribution } from './attribution-rules';

const t = (iso: string) => new Date(iso);

describe('clickWindowFailure', () => {
  const clicked = t('2026-03-01T12:00:00.000Z');
  it('accepts a conversion from the click’s instant up to cookieDays later, both ends included', () => {
    expect(clickWindowFailure(clicked, clicked, 30)).toBeNull();
    expect(clickWindowFailure(t('2026-03-31T12:00:00.000Z'), clicked, 30)).toBeNull();
    expect(clickWindowFailure(t('2026-03-31T12:00:00.001Z'), clicked, 30)).toBe('click_expired');
    expect(clickWindowFailure(t('2026-03-01T11:59:59.999Z'), clicked, 30)).toBe('conversion_before_click');
    expect(clickWindowFailure(t('2026-03-02T12:00:00.000Z'), clicked, 1)).toBeNull();
    expect(clickWindowFailure(t('2026-03-02T12:00:01.000Z'), clicked, 1)).toBe('click_expired');
  });
});

describe('partnerFailure', () => {
  it('checks the link, then the enrollment, then the affiliate', () => {
    expect(partnerFailure({ linkStatus: 'active', enrollmentStatus: 'approved', affiliateStatus: 'active' })).toBeNull();
    expect(partnerFailure({ linkStatus: null, enrollmentStatus: 'approved', affiliateStatus: 'active' })).toBeNull();
    expect(partnerFailure({ linkStatus: 'disabled', enrollmentStatus: 'suspended', affiliateStatus: 'suspended' })).toBe('link_inactive');
    expect(partnerFailure({ linkStatus: 'active', enrollmentStatus: 'pending', affiliateStatus: 'active' })).toBe('enrollment_inactive');
    expect(partnerFailure({ linkStatus: null, enrollmentStatus: null, affiliateStatus: 'active' })).toBe('enrollment_inactive');
    expect(partnerFailure({ linkStatus: null, enrollmentStatus: 'approved', affiliateStatus: 'pending' })).toBe('affiliate_inactive');
  });
});

describe('pickAttribution', () => {
  it('takes the first passing signal, else the first signal’s reason, else no_signal', () => {
    expect(
      pickAttribution([
        { ok: false, reason: 'click_expired' },
        { ok: true, value: 'coupon' },
      ]),
    ).toEqual({ ok: true, value: 'coupon' });
    expect(
      pickAttribution([
        { ok: true, value: 'click' },
        { ok: true, value: 'coupon' },
      ]),
    ).toEqual({ ok: true, value: 'click' });
    expect(
      pickAttribution([
        { ok: false, reason: 'click_expired' },
        { ok: false, reason: 'coupon_not_found' },
      ]),
    ).toEqual({ ok: false, reason: 'click_expired' });
    expect(pickAttribution([])).toEqual({ ok: false, reason: 'no_signal' });
  });
});

describe('bindingExpiry', () => {
  it('ends N months on, on the same day or the month’s last, or never', () => {
    expect(bindingExpiry(t('2026-01-15T10:00:00Z'), 12)).toEqual(t('2027-01-15T10:00:00Z'));
    expect(bindingExpiry(t('2026-01-31T10:00:00Z'), 1)).toEqual(t('2026-02-28T10:00:00Z'));
    expect(bindingExpiry(t('2028-01-31T10:00:00Z'), 1)).toEqual(t('2028-02-29T10:00:00Z'));
    expect(bindingExpiry(t('2026-08-31T00:00:00Z'), 6)).toEqual(t('2027-02-28T00:00:00Z'));
    expect(bindingExpiry(t('2026-01-15T10:00:00Z'), null)).toBeNull();
    expect(bindingExpiry(t('2026-01-15T10:00:00Z'), undefined)).toBeNull();
  });
});
