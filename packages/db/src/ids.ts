import { randomBytes } from 'node:crypto';
import { TypeID, typeid } from 'typeid-js';

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
  fxRate: 'fxr',
  customer: 'cus',
  binding: 'cbd',
  conversion: 'cnv',
  refund: 'rfd',
  ledgerAccount: 'lac',
  transfer: 'xfr',
  topUp: 'tup',
  commission: 'com',
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

const POOL_SIZE = 8192;
let pool = Buffer.alloc(0);
let poolAt = POOL_SIZE;

/** Random bytes from a pool refilled 8 KiB at a time: one system call per ~800 ids
 *  rather than one per id (the tracking edge makes one per click). */
export function pooledRandom(length: number): Buffer {
  if (poolAt + length > pool.length) {
    pool = randomBytes(POOL_SIZE);
    poolAt = 0;
  }
  const out = pool.subarray(poolAt, poolAt + length);
  poolAt += length;
  return out;
}

let lastMs = 0;
let sequence = 0;

/**
 * A click id, the same TypeID/UUIDv7 shape as `newId('click')` but made without
 * typeid-js's per-id allocations, and strictly increasing within the process: in one
 * millisecond, the 12 bits after the version count up from a random start.
 */
export function newClickId(now: number = Date.now()): string {
  let ms = now;
  if (ms <= lastMs) {
    ms = lastMs;
    sequence += 1;
    if (sequence > 0xfff) {
      ms += 1;
      sequence = 0;
    }
  } else {
    sequence = pooledRandom(1)[0]! << 3; // 0…2040: room to count up
  }
  lastMs = ms;
  const rand = pooledRandom(8);
  const b = new Uint8Array(16);
  b[0] = Math.floor(ms / 2 ** 40) & 0xff;
  b[1] = Math.floor(ms / 2 ** 32) & 0xff;
  b[2] = (ms >>> 24) & 0xff;
  b[3] = (ms >>> 16) & 0xff;
  b[4] = (ms >>> 8) & 0xff;
  b[5] = ms & 0xff;
  b[6] = 0x70 | (sequence >> 8);
  b[7] = sequence & 0xff;
  b[8] = 0x80 | (rand[0]! & 0x3f);
  for (let i = 9; i < 16; i++) b[i] = rand[i - 8]!;
  // 128 bits behind two zero bits, five bits a character (TypeID's base32).
  let out = `${ID_PREFIXES.click}_`;
  for (let i = 0; i < 26; i++) {
    let v = 0;
    for (let bit = i * 5 - 2; bit < i * 5 + 3; bit++) {
      v = (v << 1) | (bit < 0 ? 0 : (b[bit >> 3]! >> (7 - (bit & 7))) & 1);
    }
    out += CROCKFORD[v];
  }
  return out;
}

/** A click id for a given instant (not monotonic): for clicks recorded after the fact,
 *  such as imports and tests. Its timestamp is `ms`, like every click id's. */
export function clickIdAt(ms: number): string {
  const b = new Uint8Array(16);
  b.set(pooledRandom(16));
  for (let i = 0; i < 6; i++) b[i] = Math.floor(ms / 2 ** (8 * (5 - i))) & 0xff;
  b[6] = 0x70 | (b[6]! & 0x0f);
  b[8] = 0x80 | (b[8]! & 0x3f);
  return TypeID.fromUUIDBytes(ID_PREFIXES.click, b).toString();
}
