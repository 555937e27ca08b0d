import { describe, expect, it } from 'vitest';
import { clickSource } from './click-source';

const CLICK = 'clk_01jdq3z8m0f6k9x2v5w7y4b3c1';

describe('clickSource', () => {
  const cases: [string, string, ReturnType<typeof clickSource>][] = [
    [`?aff_click_id=${CLICK}`, 'aff_click_id', { clickId: CLICK }],
    [`?aff_click_id=${CLICK}&ref=code1`, 'aff_click_id', { clickId: CLICK }],
    [`?cid=${CLICK}`, 'cid', { clickId: CLICK }],
    [`?aff_click_id=${CLICK}`, 'cid', null],
    ['?aff_click_id=clk_bad&ref=code1', 'aff_click_id', { code: 'code1' }],
    ['?via=Summer_Sale-2', 'aff_click_id', { code: 'Summer_Sale-2' }],
    ['?ref=abc', 'aff_click_id', null],
    [`?ref=${'a'.repeat(65)}`, 'aff_click_id', null],
    ['?ref=a%2Fb%2Fc%2Fd', 'aff_click_id', null],
    ['?ref=&via=code2', 'aff_click_id', { code: 'code2' }],
    ['', 'aff_click_id', null],
  ];
  for (const [search, param, expected] of cases) {
    it(`${search || '(no query)'} with ${param}`, () => expect(clickSource(search, param)).toEqual(expected));
  }
});
