import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for Stripe's API (the real one is unreachable from tests), for the calls the
 * platform makes: `POST /v1/checkout/sessions` for a top-up. It checks what it receives
 * the way Stripe would, and stricter: the Bearer key must be one it was told about; the
 * body must be form-encoded with exactly the fields a top-up session has (mode payment,
 * one line item of a positive amount with quantity 1, client_reference_id = the top-up id
 * = metadata.topUpId, merchant and network in the metadata, http(s) success and cancel
 * URLs, Adaptive Pricing off) and nothing else; an Idempotency-Key and a Stripe-Version
 * header are required. Anything else gets a Stripe-shaped error (`{ error: { type,
 * message, param } }`) with Stripe's status. Idempotency behaves like Stripe's: the same
 * key and body answer the first session again, the same key with another body is refused.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The form fields, as sent (bracket notation kept: `line_items[0][quantity]`). */
  form: Record<string, string>;
  status: number;
}

export interface FakeCheckoutSession {
  id: string;
  object: 'checkout.session';
  mode: 'payment';
  status: 'open';
  payment_status: 'unpaid';
  amount_total: number;
  currency: string;
  client_reference_id: string;
  metadata: Record<string, string>;
  success_url: string;
  cancel_url: string;
  url: string;
  livemode: boolean;
  created: number;
  expires_at: number;
}

export interface FakeStripe {
  /** Base URL to give the platform as STRIPE_API_BASE. */
  url: string;
  /** Secret keys the fake accepts; a request with any other gets 401. */
  keys: Set<string>;
  /** Every request received, in order, with the status it got. */
  requests: RecordedRequest[];
  /** Sessions created, by id. */
  sessions: Map<string, FakeCheckoutSession & { secretKey: string }>;
  /** Answer the next `times` requests with this status and a Stripe error of `type`. */
  fail(times: number, status: number, type?: string): void;
  close(): Promise<void>;
}

const REQUIRED = [
  'mode',
  'line_items[0][quantity]',
  'line_items[0][price_data][currency]',
  'line_items[0][price_data][unit_amount]',
  'line_items[0][price_data][product_data][name]',
  'adaptive_pricing[enabled]',
  'client_reference_id',
  'metadata[topUpId]',
  'metadata[merchantId]',
  'metadata[tenantId]',
  'success_url',
  'cancel_url',
] as const;
const ALLOWED = new Set<string>(REQUIRED);

class StripeRefusal extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

function httpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

/** Checks a session's fields as Stripe would (and that nothing else is sent). */
function checkSessionForm(form: URLSearchParams): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [key, value] of form) {
    if (!ALLOWED.has(key)) throw new StripeRefusal(400, 'invalid_request_error', `Received unknown parameter: ${key}`, key);
    if (key in fields) throw new StripeRefusal(400, 'invalid_request_error', `Received the parameter ${key} twice`, key);
    fields[key] = value;
  }
  for (const key of REQUIRED) {
    if (!(key in fields)) throw new StripeRefusal(400, 'invalid_request_error', `Missing required param: ${key}.`, key);
  }
  const bad = (param: string, message: string) => new StripeRefusal(400, 'invalid_request_error', message, param);
  if (fields.mode !== 'payment') throw bad('mode', 'A top-up session must be in payment mode.');
  if (fields['line_items[0][quantity]'] !== '1') throw bad('line_items[0][quantity]', 'A top-up is one item.');
  if (!/^[a-z]{3}$/.test(fields['line_items[0][price_data][currency]']!)) {
    throw bad('line_items[0][price_data][currency]', 'Invalid currency: must be a lower-case ISO code.');
  }
  const amount = fields['line_items[0][price_data][unit_amount]']!;
  if (!/^[1-9][0-9]{0,7}$/.test(amount)) {
    throw bad('line_items[0][price_data][unit_amount]', 'Invalid integer: unit_amount must be a positive integer of at most 8 digits.');
  }
  if (fields['line_items[0][price_data][product_data][name]']!.trim() === '')
    throw bad('line_items[0][price_data][product_data][name]', 'A product needs a name.');
  if (fields['adaptive_pricing[enabled]'] !== 'false') throw bad('adaptive_pricing[enabled]', 'Expected adaptive pricing off.');
  const reference = fields.client_reference_id!;
  if (reference.length < 1 || reference.length > 200) throw bad('client_reference_id', 'client_reference_id must be 1 to 200 characters.');
  if (fields['metadata[topUpId]'] !== reference) throw bad('metadata[topUpId]', 'Expected metadata[topUpId] = client_reference_id.');
  for (const key of ['metadata[topUpId]', 'metadata[merchantId]', 'metadata[tenantId]']) {
    if (fields[key]!.length < 1 || fields[key]!.length > 500) throw bad(key, 'Metadata values are 1 to 500 characters.');
  }
  for (const key of ['success_url', 'cancel_url']) {
    if (!httpUrl(fields[key]!)) throw bad(key, `Not a valid URL: ${key}`);
  }
  return fields;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakeStripe(): Promise<FakeStripe> {
  const keys = new Set<string>();
  const requests: RecordedRequest[] = [];
  const sessions: FakeStripe['sessions'] = new Map();
  const idempotency = new Map<string, { bodyHash: string; session: FakeCheckoutSession }>();
  let failures: { times: number; status: number; type: string } | null = null;

  const send = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    response.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${randomBytes(6).toString('hex')}`, ...headers });
    response.end(JSON.stringify(body));
  };

  const handle = async (
    request: IncomingMessage,
    recorded: RecordedRequest,
    raw: string,
  ): Promise<{ status: number; body: unknown; headers: Record<string, string> }> => {
    if (failures && failures.times > 0) {
      failures.times -= 1;
      throw new StripeRefusal(failures.status, failures.type, 'Injected failure of the fake Stripe server.');
    }
    const auth = request.headers.authorization;
    const key = auth?.startsWith('Bearer ') ? auth.slice(7) : null;
    if (!key) throw new StripeRefusal(401, 'invalid_request_error', 'You did not provide an API key. Provide it in the Authorization header as Bearer.');
    if (!keys.has(key)) throw new StripeRefusal(401, 'invalid_request_error', `Invalid API Key provided: ${key.slice(0, 8)}****${key.slice(-4)}`);
    if (request.method !== 'POST' || recorded.path !== '/v1/checkout/sessions') {
      throw new StripeRefusal(404, 'invalid_request_error', `Unrecognized request URL (${request.method}: ${recorded.path}).`);
    }
    if (!String(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      throw new StripeRefusal(400, 'invalid_request_error', 'The body must be form-encoded.');
    }
    if (typeof request.headers['stripe-version'] !== 'string') throw new StripeRefusal(400, 'invalid_request_error', 'Missing Stripe-Version header.');
    const idempotencyKey = request.headers['idempotency-key'];
    if (typeof idempotencyKey !== 'string' || idempotencyKey.length === 0) {
      throw new StripeRefusal(400, 'invalid_request_error', 'This fake requires an Idempotency-Key on every POST.');
    }
    const fields = checkSessionForm(new URLSearchParams(raw));
    const bodyHash = createHash('sha256').update(`${key}\n${raw}`).digest('hex');
    const earlier = idempotency.get(idempotencyKey);
    if (earlier) {
      if (earlier.bodyHash !== bodyHash) {
        throw new StripeRefusal(400, 'idempotency_error', 'Keys for idempotent requests can only be used with the same parameters they were first used with.');
      }
      return { status: 200, body: earlier.session, headers: { 'idempotent-replayed': 'true' } };
    }
    const id = `cs_test_${randomBytes(12).toString('hex')}`;
    const now = Math.floor(Date.now() / 1000);
    const session: FakeCheckoutSession = {
      id,
      object: 'checkout.session',
      mode: 'payment',
      status: 'open',
      payment_status: 'unpaid',
      amount_total: Number(fields['line_items[0][price_data][unit_amount]']),
      currency: fields['line_items[0][price_data][currency]']!,
      client_reference_id: fields.client_reference_id!,
      metadata: { topUpId: fields['metadata[topUpId]']!, merchantId: fields['metadata[merchantId]']!, tenantId: fields['metadata[tenantId]']! },
      success_url: fields.success_url!,
      cancel_url: fields.cancel_url!,
      url: `https://checkout.stripe.test/c/pay/${id}`,
      livemode: key.startsWith('sk_live_'),
      created: now,
      expires_at: now + 86_400,
    };
    sessions.set(id, { ...session, secretKey: key });
    idempotency.set(idempotencyKey, { bodyHash, session });
    return { status: 200, body: session, headers: {} };
  };

  const server: Server = createServer((request, response) => {
    void (async () => {
      const raw = await readBody(request);
      const path = (request.url ?? '/').split('?')[0]!;
      const recorded: RecordedRequest = {
        method: request.method ?? '',
        path,
        headers: { ...request.headers },
        form: Object.fromEntries(new URLSearchParams(raw)),
        status: 0,
      };
      requests.push(recorded);
      try {
        const answer = await handle(request, recorded, raw);
        recorded.status = answer.status;
        send(response, answer.status, answer.body, answer.headers);
      } catch (error) {
        const refusal = error instanceof StripeRefusal ? error : new StripeRefusal(500, 'api_error', String(error));
        recorded.status = refusal.status;
        send(response, refusal.status, { error: { type: refusal.type, message: refusal.message, ...(refusal.param ? { param: refusal.param } : {}) } });
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    keys,
    requests,
    sessions,
    fail(times, status, type = 'api_error') {
      failures = { times, status, type };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
