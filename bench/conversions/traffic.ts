import type autocannon from 'autocannon';
import type { ConversionSeed } from './seed';

/**
 * What a merchant's servers send to POST /v1/conversions, one distinct externalId per
 * request, and what came back. The mix (shares of fresh requests):
 *
 *  - 60 % a stored click's id, with a new customer (half of them with an e-mail): attributed
 *    by the click, and the customer is bound to the affiliate;
 *  -  5 % a click id that was never stored (two days old): unattributed, click_not_found;
 *  - 12 % a coupon code (one in ten unknown);
 *  - 15 % a returning customer only (bound earlier): attributed by the binding, recurring;
 *  -  8 % nothing to attribute by: unattributed.
 *
 * Four in five are sales (one in twenty in USD, converted at the network's rate; one in
 * five with two order lines, some with metadata), the rest leads. Half the requests carry
 * an Idempotency-Key. One request in a hundred repeats an accepted one (same body, and its
 * Idempotency-Key if it had one): the answer must be 200 with the same conversion.
 */
export type Kind = 'click' | 'unknown_click' | 'coupon' | 'returning' | 'none' | 'repeat';

interface Sent {
  body: string;
  headers: Record<string, string>;
  externalId: string;
}

interface Context {
  sent?: Sent;
  repeat?: boolean;
}

export interface TrafficCounts {
  /** 202 answers (a new conversion each) and their conversion ids. */
  accepted: number;
  /** Answers to repeats: 200 (the stored conversion) or a replayed 202. */
  repeated: number;
  /** Answers of the wrong kind: 200 to a fresh request, a 202 not replayed to a repeat, or not 2xx. */
  wrong: number;
  sent: Record<Kind, number>;
}

const rnd = (n: number) => Math.floor(Math.random() * n);

export class ConversionTraffic {
  readonly acceptedIds: string[] = [];
  readonly counts: TrafficCounts = { accepted: 0, repeated: 0, wrong: 0, sent: { click: 0, unknown_click: 0, coupon: 0, returning: 0, none: 0, repeat: 0 } };
  readonly wrongSamples: string[] = [];
  /** Ids answered to repeats, with the id first answered for that externalId. */
  readonly repeatMismatches: string[] = [];
  private next = 0;
  private readonly recent: (Sent & { id: string })[] = [];
  private readonly firstIdOf = new Map<string, string>();

  constructor(
    private readonly seed: ConversionSeed,
    /** Makes externalIds distinct between servers and runs of the bench. */
    private readonly tag: string,
  ) {}

  /** autocannon's request list: a fresh conversion (or a repeat) per request. */
  requests(): autocannon.Request[] {
    return [
      {
        method: 'POST',
        setupRequest: (req, context) => {
          const ctx = context as Context;
          const repeat = this.recent.length > 0 && Math.random() < 0.01;
          const sent = repeat ? this.recent[rnd(this.recent.length)]! : this.fresh();
          if (repeat) this.counts.sent.repeat++;
          ctx.sent = sent;
          ctx.repeat = repeat;
          req.path = '/v1/conversions';
          req.headers = sent.headers;
          req.body = sent.body;
          return req;
        },
        onResponse: (status, body, context, headers) => {
          const ctx = context as Context;
          const sent = ctx.sent;
          if (!sent) return;
          if (status === 202 && !ctx.repeat) {
            const id = (JSON.parse(body) as { id: string }).id;
            this.counts.accepted++;
            this.acceptedIds.push(id);
            this.firstIdOf.set(sent.externalId, id);
            if (this.recent.length < 1_000) this.recent.push({ ...sent, id });
            else this.recent[rnd(this.recent.length)] = { ...sent, id };
          } else if (ctx.repeat && (status === 200 || (status === 202 && headers?.['idempotent-replayed'] === 'true'))) {
            this.counts.repeated++;
            const id = (JSON.parse(body) as { id: string }).id;
            const first = this.firstIdOf.get(sent.externalId);
            if (id !== first && this.repeatMismatches.length < 20) this.repeatMismatches.push(`${sent.externalId}: ${id} vs ${first}`);
          } else {
            this.counts.wrong++;
            if (this.wrongSamples.length < 5) this.wrongSamples.push(`${status} (${ctx.repeat ? 'repeat' : 'fresh'}): ${body.slice(0, 300)}`);
          }
        },
      },
    ];
  }

  private fresh(): Sent {
    const s = this.seed;
    const n = this.next++;
    const externalId = `bench-${this.tag}-${n}`;
    const roll = Math.random();
    const kind: Kind = roll < 0.6 ? 'click' : roll < 0.65 ? 'unknown_click' : roll < 0.77 ? 'coupon' : roll < 0.92 ? 'returning' : 'none';
    this.counts.sent[kind]++;
    const sale = Math.random() < 0.8;
    const body: Record<string, unknown> = { programId: s.programId, type: sale ? 'sale' : 'lead', externalId };
    if (sale) {
      body.amount = 1_000 + rnd(19_000);
      if (Math.random() < 0.05) body.currency = 'USD';
      if (Math.random() < 0.2) {
        const a = rnd(Number(body.amount));
        body.items = [
          { sku: `SKU-${rnd(500)}`, category: 'shoes', amount: a, quantity: 1 },
          { sku: `SKU-${rnd(500)}`, amount: Number(body.amount) - a, quantity: 1 },
        ];
        body.metadata = { channel: 'web', cart: `c${n}` };
      }
    }
    if (kind === 'click') {
      body.clickId = s.clickIds[rnd(s.clickIds.length)];
      body.customer = Math.random() < 0.5 ? { externalId: `cust-${this.tag}-${n}`, email: `buyer${n}@mail.example` } : { externalId: `cust-${this.tag}-${n}` };
    } else if (kind === 'unknown_click') {
      body.clickId = s.unknownClickIds[rnd(s.unknownClickIds.length)];
    } else if (kind === 'coupon') {
      body.couponCode = Math.random() < 0.9 ? s.couponCodes[rnd(s.couponCodes.length)] : 'NO-SUCH-CODE';
    } else if (kind === 'returning') {
      body.customer = { externalId: s.returningCustomers[rnd(s.returningCustomers.length)] };
    }
    const headers: Record<string, string> = { authorization: `Bearer ${s.secretKey}`, 'content-type': 'application/json' };
    if (Math.random() < 0.5) headers['idempotency-key'] = `idem-${externalId}`;
    return { body: JSON.stringify(body), headers, externalId };
  }
}
