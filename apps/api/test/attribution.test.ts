import { createPrisma, type PrismaClient } from '@app/db/client';
import { clickIdAt } from '@app/db/ids';
import { AttributionNotReady, attributeConversion } from '@app/domain/attribution/attribute-conversion';
import { hashIp } from '@app/domain/clicks/traffic-quality';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvedEnrollment, createCoupon, createLink, createProgram, networkWithMerchant, partner } from './builders';
import { createApiKey, type Harness, startHarness } from './harness';

/**
 * Attribution against real rows: clicks are written as the click consumer writes them
 * (at chosen instants), conversions go through the API, and the attribution use case
 * runs as the worker runs it.
 */

let h: Harness;
let prisma: PrismaClient;
let tenantId: string;
let merchantToken: string;
let secret: string;
let salt: string;
let lastClick: string;
let firstClick: string;
let other: string;
let paused: string;
let bob: { token: string; id: string };
let carol: { token: string; id: string };
let dave: { token: string; id: string };
let links: Record<'bob' | 'carol' | 'dave' | 'bobFirst' | 'carolFirst' | 'bobOther' | 'bobPaused' | 'bobOff', { id: string; code: string }>;

const DAY = 86_400_000;
const now = () => Date.now();
let seq = 0;

async function click(
  link: { id: string },
  programId: string,
  affiliateId: string,
  at: number,
  extra: { visitorId?: string; ip?: string; billable?: boolean; sub1?: string } = {},
) {
  const id = clickIdAt(at);
  await h.owner.query(
    `INSERT INTO clicks (id, tenant_id, clicked_at, program_id, affiliate_id, link_id, visitor_id, ip_hash, device, landing_url, is_unique, billable, sub1)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'desktop', 'https://shoes.example/', true, $9, $10)`,
    [
      id,
      tenantId,
      new Date(at),
      programId,
      affiliateId,
      link.id,
      extra.visitorId ?? null,
      extra.ip ? hashIp(salt, extra.ip) : null,
      extra.billable ?? true,
      extra.sub1 ?? null,
    ],
  );
  return id;
}

async function conversion(programId: string, fields: Record<string, unknown> = {}): Promise<string> {
  seq += 1;
  const res = await h.request({
    method: 'POST',
    url: '/v1/conversions',
    token: secret,
    payload: { programId, type: 'sale', externalId: `order-${seq}`, amount: 10_000, ...fields },
  });
  if (res.status !== 202) throw new Error(`conversion: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

const attribute = (id: string) => attributeConversion(prisma, tenantId, id);

async function row(id: string) {
  return (await h.owner.query('SELECT * FROM conversions WHERE id = $1', [id])).rows[0];
}

beforeAll(async () => {
  h = await startHarness('attribution', { RATE_LIMIT_MAX: '100000' });
  prisma = createPrisma({ url: h.db.appUrl, poolSize: 4 });
  let net: { tenantId: string };
  let merchantId: string;
  ({ net, merchantId, merchantToken } = await networkWithMerchant(h, 'attr'));
  tenantId = net.tenantId;
  secret = (await createApiKey(h, merchantToken, merchantId)).key;
  salt = (await h.owner.query('SELECT click_salt FROM tenants WHERE id = $1', [tenantId])).rows[0].click_salt;
  await h.owner.query(`SELECT ensure_click_partitions((now() - interval '3 months')::date, 5)`);

  lastClick = await createProgram(h, merchantToken, merchantId, { plan: { sale: { percentBps: 1000 }, recurring: { percentBps: 500, months: 12 } } });
  firstClick = await createProgram(h, merchantToken, merchantId, { name: 'First click', attributionModel: 'first_click' });
  other = await createProgram(h, merchantToken, merchantId, { name: 'Other' });
  paused = await createProgram(h, merchantToken, merchantId, { name: 'Paused' });
  bob = await partner(h, 'attr', 'bob@blog.example');
  carol = await partner(h, 'attr', 'carol@blog.example');
  dave = await partner(h, 'attr', 'dave@blog.example');
  for (const p of [lastClick, firstClick, other, paused]) {
    await approvedEnrollment(h, merchantToken, p, bob.token);
    await approvedEnrollment(h, merchantToken, p, carol.token);
  }
  await approvedEnrollment(h, merchantToken, lastClick, dave.token);
  links = {
    bob: await createLink(h, bob.token, { programId: lastClick }),
    carol: await createLink(h, carol.token, { programId: lastClick }),
    dave: await createLink(h, dave.token, { programId: lastClick }),
    bobFirst: await createLink(h, bob.token, { programId: firstClick }),
    carolFirst: await createLink(h, carol.token, { programId: firstClick }),
    bobOther: await createLink(h, bob.token, { programId: other }),
    bobPaused: await createLink(h, bob.token, { programId: paused }),
    bobOff: await createLink(h, bob.token, { programId: lastClick, label: 'switched off' }),
  };
  await createCoupon(h, merchantToken, { programId: lastClick, affiliateId: carol.id, code: 'CAROL10' });
  await h.owner.query(`UPDATE programs SET status = 'paused' WHERE id = $1`, [paused]);
  await h.owner.query(`UPDATE links SET status = 'disabled' WHERE id = $1`, [links.bobOff.id]);
});

afterAll(async () => {
  await prisma?.$disconnect();
  await h?.close();
});

describe('by click id', () => {
  it('attributes to the clicked link with its sub-ids, and schedules the accrual through the outbox', async () => {
    const clickId = await click(links.bob, lastClick, bob.id, now() - 3_600_000, { sub1: 'newsletter' });
    const id = await conversion(lastClick, { clickId });
    const outcome = await attribute(id);
    expect(outcome).toEqual({ conversionId: id, attribution: 'attributed', affiliateId: bob.id, reason: 'click', changed: true });
    expect(await row(id)).toMatchObject({
      status: 'attributed',
      attribution: 'attributed',
      affiliate_id: bob.id,
      link_id: links.bob.id,
      attributed_click_id: clickId,
      attribution_reason: 'click',
      sub1: 'newsletter',
      recurring: false,
    });
    const outbox = await h.owner.query(`SELECT topic FROM outbox WHERE payload->>'conversionId' = $1 ORDER BY id`, [id]);
    expect(outbox.rows.map((r) => r.topic)).toEqual(['conversions.attribute', 'commissions.accrue']);
    const events = await h.owner.query('SELECT type FROM domain_events WHERE subject_id = $1 ORDER BY id', [id]);
    expect(events.rows.map((e) => e.type)).toEqual(['conversion.created', 'conversion.attributed']);
  });

  it('decides once: running the job again changes nothing and schedules nothing more', async () => {
    const clickId = await click(links.bob, lastClick, bob.id, now() - 60_000);
    const id = await conversion(lastClick, { clickId });
    await attribute(id);
    const again = await attribute(id);
    expect(again).toMatchObject({ attribution: 'attributed', affiliateId: bob.id, reason: 'click', changed: false });
    const outbox = await h.owner.query(`SELECT count(*)::int AS n FROM outbox WHERE topic = 'commissions.accrue' AND payload->>'conversionId' = $1`, [id]);
    expect(outbox.rows[0].n).toBe(1);
  });

  it('counts a click one second inside the cookie window, and not one second outside it', async () => {
    const clickedAt = now() - 40 * DAY;
    const clickId = await click(links.bob, lastClick, bob.id, clickedAt);
    const inside = await conversion(lastClick, { clickId, occurredAt: new Date(clickedAt + 30 * DAY - 1_000).toISOString() });
    const edge = await conversion(lastClick, { clickId, occurredAt: new Date(clickedAt + 30 * DAY).toISOString() });
    const outside = await conversion(lastClick, { clickId, occurredAt: new Date(clickedAt + 30 * DAY + 1_000).toISOString() });
    expect(await attribute(inside)).toMatchObject({ attribution: 'attributed', affiliateId: bob.id });
    expect(await attribute(edge)).toMatchObject({ attribution: 'attributed' });
    expect(await attribute(outside)).toMatchObject({ attribution: 'unattributed', reason: 'click_expired' });
    expect(await row(outside)).toMatchObject({ status: 'unattributed', unattributed_reason: 'click_expired', affiliate_id: null });
  });

  it('refuses a conversion dated before its click, a click of another program, and an unknown click', async () => {
    const clickedAt = now() - DAY;
    const clickId = await click(links.bob, lastClick, bob.id, clickedAt);
    const before = await conversion(lastClick, { clickId, occurredAt: new Date(clickedAt - 1_000).toISOString() });
    expect(await attribute(before)).toMatchObject({ attribution: 'unattributed', reason: 'conversion_before_click' });
    const otherClick = await click(links.bobOther, other, bob.id, clickedAt);
    expect(await attribute(await conversion(lastClick, { clickId: otherClick }))).toMatchObject({ reason: 'click_other_program' });
    expect(await attribute(await conversion(lastClick, { clickId: 'not-a-click-id' }))).toMatchObject({ reason: 'click_not_found' });
    expect(await attribute(await conversion(lastClick, { clickId: clickIdAt(now() - DAY) }))).toMatchObject({ reason: 'click_not_found' });
  });

  it('waits (retries) for a recent click the click stream has not stored yet', async () => {
    const id = await conversion(lastClick, { clickId: clickIdAt(now() - 5_000) });
    await expect(attribute(id)).rejects.toBeInstanceOf(AttributionNotReady);
    expect(await row(id)).toMatchObject({ attribution: 'pending', status: 'received' });
  });

  it('refuses a switched-off link, a suspended enrollment, a suspended affiliate, a paused program', async () => {
    const at = now() - 3_600_000;
    const off = await click(links.bobOff, lastClick, bob.id, at);
    expect(await attribute(await conversion(lastClick, { clickId: off }))).toMatchObject({ attribution: 'unattributed', reason: 'link_inactive' });

    const daveClick = await click(links.dave, lastClick, dave.id, at);
    const daveConversion = await conversion(lastClick, { clickId: daveClick });
    await h.owner.query(`UPDATE enrollments SET status = 'suspended' WHERE program_id = $1 AND affiliate_id = $2`, [lastClick, dave.id]);
    expect(await attribute(daveConversion)).toMatchObject({ reason: 'enrollment_inactive' });
    await h.owner.query(`UPDATE enrollments SET status = 'approved' WHERE program_id = $1 AND affiliate_id = $2`, [lastClick, dave.id]);
    await h.owner.query(`UPDATE affiliates SET status = 'suspended' WHERE id = $1`, [dave.id]);
    expect(await attribute(await conversion(lastClick, { clickId: daveClick }))).toMatchObject({ reason: 'affiliate_inactive' });
    await h.owner.query(`UPDATE affiliates SET status = 'active' WHERE id = $1`, [dave.id]);

    const pausedClick = await click(links.bobPaused, paused, bob.id, at);
    expect(await attribute(await conversion(paused, { clickId: pausedClick }))).toMatchObject({ reason: 'program_inactive' });
  });

  it('says no_signal when the conversion names no click, coupon or known customer', async () => {
    expect(await attribute(await conversion(lastClick))).toMatchObject({ attribution: 'unattributed', reason: 'no_signal' });
    expect(await attribute(await conversion(lastClick, { customer: { externalId: 'never-seen' } }))).toMatchObject({ reason: 'no_signal' });
  });
});

describe('first click and last click', () => {
  it('gives a first-click program to the visitor’s earliest click in the window, a last-click program to the latest', async () => {
    const visitor = 'visitor-aaaaaaaaaaaaaaaa';
    await click(links.bobFirst, firstClick, bob.id, now() - 3 * DAY, { visitorId: visitor });
    const carolsFirst = await click(links.carolFirst, firstClick, carol.id, now() - DAY, { visitorId: visitor });
    expect(await attribute(await conversion(firstClick, { clickId: carolsFirst }))).toMatchObject({ affiliateId: bob.id, reason: 'first_click' });

    await click(links.bob, lastClick, bob.id, now() - 3 * DAY, { visitorId: visitor });
    const carolsLast = await click(links.carol, lastClick, carol.id, now() - DAY, { visitorId: visitor });
    expect(await attribute(await conversion(lastClick, { clickId: carolsLast }))).toMatchObject({ affiliateId: carol.id, reason: 'click' });
  });

  it('ignores earlier clicks outside the window and non-billable ones', async () => {
    const visitor = 'visitor-bbbbbbbbbbbbbbbb';
    await click(links.bobFirst, firstClick, bob.id, now() - 31 * DAY, { visitorId: visitor });
    await click(links.bobFirst, firstClick, bob.id, now() - 2 * DAY, { visitorId: visitor, billable: false });
    const carols = await click(links.carolFirst, firstClick, carol.id, now() - DAY, { visitorId: visitor });
    expect(await attribute(await conversion(firstClick, { clickId: carols }))).toMatchObject({ affiliateId: carol.id, reason: 'click' });
  });
});

describe('by coupon', () => {
  it('attributes a coupon code to its affiliate, in any case', async () => {
    const id = await conversion(lastClick, { couponCode: 'carol10' });
    expect(await attribute(id)).toMatchObject({ affiliateId: carol.id, reason: 'coupon' });
    expect((await row(id)).coupon_id).toMatch(/^cpn_/);
  });

  it('lets a coupon beat a stale cookie, and a valid click beat a coupon', async () => {
    const stale = await click(links.bob, lastClick, bob.id, now() - 45 * DAY);
    expect(await attribute(await conversion(lastClick, { clickId: stale, couponCode: 'CAROL10' }))).toMatchObject({ affiliateId: carol.id, reason: 'coupon' });
    const fresh = await click(links.bob, lastClick, bob.id, now() - DAY);
    expect(await attribute(await conversion(lastClick, { clickId: fresh, couponCode: 'CAROL10' }))).toMatchObject({ affiliateId: bob.id, reason: 'click' });
  });

  it('names the first signal’s reason when every signal fails', async () => {
    const stale = await click(links.bob, lastClick, bob.id, now() - 45 * DAY);
    expect(await attribute(await conversion(lastClick, { clickId: stale, couponCode: 'NOPE' }))).toMatchObject({ reason: 'click_expired' });
    expect(await attribute(await conversion(lastClick, { couponCode: 'NOPE' }))).toMatchObject({ reason: 'coupon_not_found' });
  });
});

describe('by customer binding (recurring, cross-device)', () => {
  it('binds the customer on its first attributed conversion and gives it later conversions without a click', async () => {
    const clickId = await click(links.bob, lastClick, bob.id, now() - DAY);
    const first = await conversion(lastClick, { clickId, customer: { externalId: 'cus-x' }, occurredAt: new Date(now() - 60_000).toISOString() });
    await attribute(first);
    const binding = (await h.owner.query('SELECT * FROM customer_bindings WHERE conversion_id = $1', [first])).rows[0];
    expect(binding).toMatchObject({ affiliate_id: bob.id, program_id: lastClick, link_id: links.bob.id });
    // The plan pays recurring sales for 12 months: the binding ends then.
    const months = (binding.expires_at.getTime() - binding.bound_at.getTime()) / DAY;
    expect(months).toBeGreaterThanOrEqual(365);
    expect(months).toBeLessThanOrEqual(366);

    // Another device, no click: the customer's binding decides.
    const renewal = await conversion(lastClick, { customer: { externalId: 'cus-x' } });
    expect(await attribute(renewal)).toMatchObject({ affiliateId: bob.id, reason: 'customer' });
    expect(await row(renewal)).toMatchObject({ recurring: true, binding_id: binding.id, link_id: links.bob.id });

    // A click by another affiliate wins that sale, but the customer stays bound to the first.
    const carols = await click(links.carol, lastClick, carol.id, now() - 60_000);
    expect(await attribute(await conversion(lastClick, { clickId: carols, customer: { externalId: 'cus-x' } }))).toMatchObject({ affiliateId: carol.id });
    expect((await h.owner.query('SELECT affiliate_id FROM customer_bindings WHERE customer_id = $1', [binding.customer_id])).rows).toEqual([
      { affiliate_id: bob.id },
    ]);
  });

  it('binds for life when the plan pays no limited recurring period, and stops after an expiry', async () => {
    const clickId = await click(links.bobFirst, firstClick, bob.id, now() - DAY);
    const first = await conversion(firstClick, { clickId, customer: { email: 'life@example.com' } });
    await attribute(first);
    const binding = (await h.owner.query('SELECT * FROM customer_bindings WHERE conversion_id = $1', [first])).rows[0];
    expect(binding.expires_at).toBeNull();
    expect(await attribute(await conversion(firstClick, { customer: { email: 'LIFE@example.com' } }))).toMatchObject({ reason: 'customer' });

    await h.owner.query(`UPDATE customer_bindings SET expires_at = now() - interval '1 second' WHERE id = $1`, [binding.id]);
    expect(await attribute(await conversion(firstClick, { customer: { email: 'life@example.com' } }))).toMatchObject({
      attribution: 'unattributed',
      reason: 'binding_expired',
    });
  });

  it('waits for a customer’s sign-up that carries a click before calling its sale unattributed', async () => {
    const clickId = await click(links.bob, lastClick, bob.id, now() - DAY);
    const signup = await conversion(lastClick, { type: 'lead', amount: undefined, clickId, customer: { externalId: 'cus-stripe' } });
    const invoice = await conversion(lastClick, { customer: { externalId: 'cus-stripe' } });
    // The invoice's job runs first: the sign-up may still bind the customer.
    await expect(attribute(invoice)).rejects.toBeInstanceOf(AttributionNotReady);
    await attribute(signup);
    expect(await attribute(invoice)).toMatchObject({ affiliateId: bob.id, reason: 'customer' });
  });
});

describe('refunds and signals', () => {
  it('keeps a refund that came before attribution as the status, with the affiliate recorded', async () => {
    const clickId = await click(links.bob, lastClick, bob.id, now() - DAY);
    const id = await conversion(lastClick, { clickId });
    const refund = await h.request({ method: 'POST', url: `/v1/conversions/${id}/refund`, token: secret, payload: {} });
    expect(refund.status).toBe(201);
    await attribute(id);
    expect(await row(id)).toMatchObject({ status: 'refunded', attribution: 'attributed', affiliate_id: bob.id, refunded_amount: '10000' });
  });

  it('records self-referral signals: the customer is the affiliate, or buys from its login address', async () => {
    const clickId = await click(links.bob, lastClick, bob.id, now() - DAY, { ip: '127.0.0.1' });
    const id = await conversion(lastClick, { clickId, customer: { email: 'Bob@Blog.example' } });
    await attribute(id);
    const signals: string[] = (await row(id)).signals;
    expect(signals.sort()).toEqual(['customer_email_is_affiliate', 'ip_matches_affiliate_login']);

    const elsewhere = await click(links.bob, lastClick, bob.id, now() - DAY, { ip: '203.0.113.9' });
    const clean = await conversion(lastClick, { clickId: elsewhere, customer: { email: 'someone@example.com' } });
    await attribute(clean);
    expect((await row(clean)).signals).toEqual([]);
  });
});
