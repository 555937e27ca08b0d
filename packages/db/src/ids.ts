import { typeid } from 'typeid-js';

/**
 * Prefixed, time-sortable identifiers (TypeID: a UUIDv7 in Crockford base32 behind a type
 * prefix, e.g. `mer_01jd5v…`). Sortable ids keep inserts at the right edge of B-tree
 * indexes and read well in logs and URLs.
 */
export const ID_PREFIXES = {
  tenant: 'ten',
  user: 'usr',
  membership: 'mem',
  merchant: 'mer',
  affiliate: 'aff',
  apiKey: 'key',
  session: 'ses',
  audit: 'aud',
  outbox: 'obx',
  event: 'evt',
  email: 'eml',
  program: 'prg',
  planVersion: 'ppv',
  group: 'grp',
  enrollment: 'enr',
  link: 'lnk',
  coupon: 'cpn',
  creative: 'crv',
  trackingDomain: 'tdm',
  click: 'clk',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

export function newId(kind: IdKind): string {
  return typeid(ID_PREFIXES[kind]).toString();
}

const ID_SHAPE = /^[a-z]{2,8}_[0-7][0-9a-hjkmnp-tv-z]{25}$/;

/** True when `value` is shaped like an id of `kind`; used to answer 404 early for junk. */
export function isId(kind: IdKind, value: string): boolean {
  return value.startsWith(`${ID_PREFIXES[kind]}_`) && ID_SHAPE.test(value);
}

/** The creation instant inside an id (its UUIDv7 millisecond timestamp). A click's id
 *  carries the click's time, which is also the key of its monthly partition. Read
 *  straight from the first ten base32 characters of the suffix (50 bits, the top two
 *  zero): the consumer does this for every click. */
export function idTime(id: string): Date {
  const suffix = id.slice(id.lastIndexOf('_') + 1);
  if (suffix.length !== 26) throw new Error(`not an id: ${id}`);
  let ms = 0;
  for (let i = 0; i < 10; i++) {
    const value = CROCKFORD.indexOf(suffix[i]!);
    if (value === -1) throw new Error(`not an id: ${id}`);
    ms = ms * 32 + value;
  }
  return new Date(ms);
}

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';
