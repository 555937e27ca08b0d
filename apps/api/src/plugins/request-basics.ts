import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export type TrustProxy = boolean | string | ((address: string, hop: number) => boolean);

/** TRUST_PROXY: true/false, a hop count, or a comma-separated list of addresses/CIDRs. */
export function parseTrustProxy(value: string): TrustProxy {
  if (value === 'true') return true;
  if (value === 'false' || value === '') return false;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return (_address, hop) => hop < hops;
  }
  return value;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * A Fastify `genReqId`: a well-formed incoming `x-request-id`, else `<prefix>` + a
 * per-process random part + a counter — unique without a random draw per request.
 */
export function requestIds(prefix: string): (req: IncomingMessage) => string {
  const base = `${prefix}${randomBytes(6).toString('base64url')}`;
  let counter = 0;
  return (req) => {
    const incoming = req.headers['x-request-id'];
    return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : `${base}${(counter++).toString(36)}`;
  };
}
