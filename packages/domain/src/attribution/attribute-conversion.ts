import type { PrismaClient } from '@app/db/client';
import { type Conversion, Prisma } from '@app/db/generated/prisma/client';
import { idTime, isId, newId } from '@app/db/ids';
import { type Tx, withTenant } from '@app/db/with-tenant';
import { hashIp } from '../clicks/traffic-quality';
import { conversionColumns } from '../conversions/record-conversion';
import { normalizeCouponCode } from '../coupons/coupon-view';
import { jobs } from '../jobs/catalogue';
import { hashEmail, tenantSalt } from '../shared/tenant-salt';
import {
  type AttributionReason,
  bindingExpiry,
  type Candidate,
  clickWindowFailure,
  partnerFailure,
  pickAttribution,
  type UnattributedReason,
  windowStart,
} from './attribution-rules';

/** How long after a click its id may still be unknown because the click stream has not
 *  been stored yet: until then the job retries instead of calling the click unknown. */
export const CLICK_STORAGE_GRACE_MS = 10 * 60_000;

/** Thrown to have the job retried later: a signal the decision needs is on its way. */
export class AttributionNotReady extends Error {
  override name = 'AttributionNotReady';
}

export interface AttributionOutcome {
  conversionId: string;
  attribution: 'attributed' | 'unattributed';
  affiliateId: string | null;
  reason: AttributionReason | UnattributedReason;
  /** False when an earlier run had already decided (the job ran again). */
  changed: boolean;
}

/** The conversion, locked, with what its program and customer say about it. */
interface Locked extends Conversion {
  programStatus: string;
  cookieDays: number;
  attributionModel: string;
  customerEmailHash: string | null;
}

/** The click fields attribution uses. */
interface ClickFacts {
  id: string;
  programId: string;
  clickedAt: Date;
  visitorId: string | null;
  affiliateId: string;
  linkId: string | null;
  linkStatus: string | null;
  ipHash: string | null;
  billable: boolean;
  sub1: string | null;
  sub2: string | null;
  sub3: string | null;
  sub4: string | null;
  sub5: string | null;
}

/** An affiliate that one of the signals names: its standing in the program, and what the
 *  self-referral checks compare with (e-mails of its users, where they logged in from). */
interface PartnerFacts {
  id: string;
  status: string;
  enrollmentStatus: string | null;
  email: string;
  userEmails: string[] | null;
  loginIps: string[] | null;
}

/** Every signal of the conversion, read in one statement. */
interface SignalFacts {
  click: ClickFacts | null;
  coupon: { id: string; affiliateId: string } | null;
  binding: { id: string; affiliateId: string; linkId: string | null; expiresAt: Date | null } | null;
  partners: Map<string, PartnerFacts>;
  /** recurring.months of the plan in force at the conversion (else of the first one after it). */
  recurringMonths: number | null;
}

interface Winner {
  reason: AttributionReason;
  affiliateId: string;
  linkId: string | null;
  click: ClickFacts | null;
  couponId: string | null;
  bindingId: string | null;
  recurring: boolean;
}

const LOGIN_LOOKBACK_MS = 90 * 86_400_000;

/**
 * The attribution job: decides once which affiliate earned a conversion. The conversion
 * row is locked and only a `pending` one is decided, so a retried or duplicated job
 * changes nothing. An attributed conversion binds its customer to the affiliate (first
 * binding wins), records self-referral signals, and schedules its accrual through the
 * outbox in the same transaction.
 *
 * Three statements in the tenant's transaction, whatever the conversion carries: the
 * locked conversion with its program, every signal with the affiliates they name, then the
 * decision written with its binding, event and outbox rows (a first-click program reads
 * the visitor's earliest click with one more). The worker runs this for every conversion.
 */
export async function attributeConversion(prisma: PrismaClient, tenantId: string, conversionId: string, now = new Date()): Promise<AttributionOutcome> {
  return withTenant(prisma, tenantId, async (tx) => {
    // FOR UPDATE returns the row's latest committed version even after waiting for a lock.
    const [conversion] = await tx.$queryRaw<Locked[]>`
      SELECT ${conversionColumns('c')}, p.status AS "programStatus", p.cookie_days AS "cookieDays", p.attribution_model AS "attributionModel",
             (SELECT cu.email_hash FROM customers cu WHERE cu.id = c.customer_id) AS "customerEmailHash"
        FROM conversions c JOIN programs p ON p.id = c.program_id
       WHERE c.id = ${conversionId}
         FOR UPDATE OF c`;
    if (!conversion) throw new Error(`conversion ${conversionId} not found`);
    if (conversion.attribution !== 'pending') {
      return {
        conversionId,
        attribution: conversion.attribution as AttributionOutcome['attribution'],
        affiliateId: conversion.affiliateId,
        reason: (conversion.attributionReason ?? conversion.unattributedReason) as AttributionOutcome['reason'],
        changed: false,
      };
    }
    const decision = conversion.programStatus === 'active' ? await decide(tx, conversion, now) : null;
    const result: Candidate<{ winner: Winner; facts: SignalFacts }> = decision ?? { ok: false, reason: 'program_inactive' };
    if (!result.ok) {
      await writeUnattributed(tx, conversion, result.reason, now);
      return { conversionId, attribution: 'unattributed', affiliateId: null, reason: result.reason, changed: true };
    }
    const { winner: w, facts } = result.value;
    const partner = facts.partners.get(w.affiliateId) ?? (await partnerFacts(tx, conversion, [w.affiliateId], true)).get(w.affiliateId);
    const signals = selfReferralSignals(await tenantSalt(tx, tenantId), conversion, w, partner);
    await writeAttributed(tx, conversion, w, signals, facts, now);
    return { conversionId, attribution: 'attributed', affiliateId: w.affiliateId, reason: w.reason, changed: true };
  });
}

/** A refund or a rejection that came first stays the conversion's status. */
function keepFinal(status: string, next: string): string {
  return status === 'refunded' || status === 'rejected' ? status : next;
}

async function decide(tx: Tx, conversion: Locked, now: Date): Promise<Candidate<{ winner: Winner; facts: SignalFacts }>> {
  const facts = await signalFacts(tx, conversion);
  const candidates: Candidate<Winner>[] = [];
  if (conversion.clickId) candidates.push(await clickCandidate(tx, conversion, facts, now));
  if (conversion.couponCode) candidates.push(couponCandidate(facts));
  if (conversion.customerId) {
    const bound = bindingCandidate(conversion, facts);
    if (bound) candidates.push(bound);
    else if (candidates.length === 0 && (await bindingOnItsWay(tx, conversion))) {
      // A sale of a customer whose sign-up (with a click or coupon) is still being
      // attributed — a Stripe subscription's first invoice and its checkout arrive
      // together: wait for that binding rather than call this sale unattributed.
      throw new AttributionNotReady(`conversion ${conversion.id} waits for the attribution of its customer's earlier conversion`);
    }
  }
  const picked = pickAttribution(candidates);
  return picked.ok ? { ok: true, value: { winner: picked.value, facts } } : picked;
}

function partnerFailureOf(facts: Map<string, PartnerFacts>, affiliateId: string, linkStatus: string | null | undefined, hasLink: boolean) {
  const partner = facts.get(affiliateId);
  return partnerFailure({
    linkStatus: hasLink ? (linkStatus ?? 'deleted') : null,
    enrollmentStatus: partner?.enrollmentStatus ?? null,
    affiliateStatus: partner?.status ?? null,
  });
}

async function clickCandidate(tx: Tx, conversion: Locked, facts: SignalFacts, now: Date): Promise<Candidate<Winner>> {
  const clickId = conversion.clickId as string;
  let click = facts.click;
  if (!click) {
    // Clicks reach Postgres through the click stream, seconds after the redirect.
    if (isId('click', clickId) && now.getTime() - idTime(clickId).getTime() < CLICK_STORAGE_GRACE_MS && idTime(clickId) <= now) {
      throw new AttributionNotReady(`click ${clickId} is not stored yet; the attribution of ${conversion.id} will be retried`);
    }
    return { ok: false, reason: 'click_not_found' };
  }
  if (click.programId !== conversion.programId) return { ok: false, reason: 'click_other_program' };
  const windowFailure = clickWindowFailure(conversion.occurredAt, click.clickedAt, conversion.cookieDays);
  if (windowFailure) return { ok: false, reason: windowFailure };

  let reason: AttributionReason = 'click';
  if (conversion.attributionModel === 'first_click' && click.visitorId) {
    // The visitor's earliest click in this program still inside the window.
    const first = await firstClickOfVisitor(tx, conversion, click);
    if (first && first.id !== click.id) {
      const partners = await partnerFacts(tx, conversion, [first.affiliateId], first.ipHash !== null);
      if (partnerFailureOf(partners, first.affiliateId, first.linkStatus, first.linkId !== null) === null) {
        for (const [id, p] of partners) if (!facts.partners.has(id)) facts.partners.set(id, p);
        click = first;
        reason = 'first_click';
      }
    }
  }
  const failure = partnerFailureOf(facts.partners, click.affiliateId, click.linkStatus, click.linkId !== null);
  if (failure) return { ok: false, reason: failure };
  return { ok: true, value: { reason, affiliateId: click.affiliateId, linkId: click.linkId, click, couponId: null, bindingId: null, recurring: false } };
}

function couponCandidate(facts: SignalFacts): Candidate<Winner> {
  const coupon = facts.coupon;
  if (!coupon) return { ok: false, reason: 'coupon_not_found' };
  const failure = partnerFailureOf(facts.partners, coupon.affiliateId, null, false);
  if (failure) return { ok: false, reason: failure };
  return {
    ok: true,
    value: { reason: 'coupon', affiliateId: coupon.affiliateId, linkId: null, click: null, couponId: coupon.id, bindingId: null, recurring: false },
  };
}

function bindingCandidate(conversion: Locked, facts: SignalFacts): Candidate<Winner> | null {
  const binding = facts.binding;
  // A binding made by a conversion dated a little later still counts: a subscription's
  // first invoice is often paid a second before its checkout completes.
  if (!binding) return null;
  if (binding.expiresAt && binding.expiresAt <= conversion.occurredAt) return { ok: false, reason: 'binding_expired' };
  const failure = partnerFailureOf(facts.partners, binding.affiliateId, null, false);
  if (failure) return { ok: false, reason: failure };
  return {
    ok: true,
    value: {
      reason: 'customer',
      affiliateId: binding.affiliateId,
      linkId: binding.linkId,
      click: null,
      couponId: null,
      bindingId: binding.id,
      recurring: true,
    },
  };
}

const CLICK_FIELDS = Prisma.sql`k.id, k.program_id AS "programId", k.clicked_at AS "clickedAt", k.visitor_id AS "visitorId",
  k.affiliate_id AS "affiliateId", k.link_id AS "linkId", (SELECT l.status FROM links l WHERE l.id = k.link_id) AS "linkStatus",
  k.ip_hash AS "ipHash", k.billable, k.sub1, k.sub2, k.sub3, k.sub4, k.sub5`;

interface FactsRow {
  click: ClickFacts | null;
  couponId: string | null;
  couponAffiliateId: string | null;
  bindingId: string | null;
  bindingAffiliateId: string | null;
  bindingLinkId: string | null;
  bindingExpiresAt: string | null;
  partners: PartnerFacts[] | null;
  currentPlan: { recurring?: { months?: number | null } | null } | null;
  upcomingPlan: { recurring?: { months?: number | null } | null } | null;
}

/** The id is what identifies a click; the instant inside it only narrows the look-up to
 *  its partition. A click written with a clicked_at a few milliseconds off its id's time
 *  (an import that read the clock twice) is still found. */
const CLICK_TIME_SLACK_MS = 60_000;

/**
 * The conversion's click (by its id, near the instant inside it, which is the partition
 * key: one partition is read), its coupon if active at the conversion's time, its
 * customer's binding in the program, the affiliates these name, and the plan's recurring
 * period (for a binding made now): one statement.
 */
async function signalFacts(tx: Tx, conversion: Locked): Promise<SignalFacts> {
  const clickId = conversion.clickId && isId('click', conversion.clickId) ? conversion.clickId : null;
  const couponCode = conversion.couponCode ? normalizeCouponCode(conversion.couponCode) : '';
  const at = conversion.occurredAt;
  const [row] = await tx.$queryRaw<FactsRow[]>`
    WITH click AS (${
      clickId
        ? Prisma.sql`SELECT ${CLICK_FIELDS} FROM clicks k
                      WHERE k.id = ${clickId} AND k.clicked_at BETWEEN ${new Date(idTime(clickId).getTime() - CLICK_TIME_SLACK_MS)}
                                                              AND ${new Date(idTime(clickId).getTime() + CLICK_TIME_SLACK_MS)}`
        : Prisma.sql`SELECT ${CLICK_FIELDS} FROM clicks k WHERE false`
    }),
    coupon AS (
      SELECT id, affiliate_id FROM coupons
       WHERE ${couponCode ? Prisma.sql`program_id = ${conversion.programId} AND code_normalized = ${couponCode}` : Prisma.sql`false`}
         AND status = 'active' AND (valid_from IS NULL OR valid_from <= ${at}) AND (valid_until IS NULL OR valid_until > ${at})
       LIMIT 1),
    binding AS (
      SELECT id, affiliate_id, link_id, expires_at FROM customer_bindings
       WHERE customer_id = ${conversion.customerId} AND program_id = ${conversion.programId})
    SELECT (SELECT row_to_json(click) FROM click) AS click,
           coupon.id AS "couponId", coupon.affiliate_id AS "couponAffiliateId",
           binding.id AS "bindingId", binding.affiliate_id AS "bindingAffiliateId", binding.link_id AS "bindingLinkId",
           binding.expires_at AS "bindingExpiresAt",
           ${partnersJson(
             conversion,
             Prisma.sql`SELECT "affiliateId" FROM click UNION SELECT affiliate_id FROM coupon UNION SELECT affiliate_id FROM binding`,
             Prisma.sql`(SELECT "ipHash" FROM click) IS NOT NULL`,
           )} AS partners,
           ${
             conversion.customerId
               ? Prisma.sql`(SELECT plan FROM program_plan_versions WHERE program_id = ${conversion.programId} AND effective_from <= ${at}
                              ORDER BY effective_from DESC, version DESC LIMIT 1) AS "currentPlan",
                            (SELECT plan FROM program_plan_versions WHERE program_id = ${conversion.programId} AND effective_from > ${at}
                              ORDER BY effective_from ASC, version ASC LIMIT 1) AS "upcomingPlan"`
               : Prisma.sql`NULL::jsonb AS "currentPlan", NULL::jsonb AS "upcomingPlan"`
           }
      FROM (VALUES (1)) AS one (x) LEFT JOIN coupon ON true LEFT JOIN binding ON true`;
  if (!row) throw new Error(`signals of ${conversion.id} could not be read`);
  const click = row.click ? { ...row.click, clickedAt: new Date(row.click.clickedAt) } : null;
  const plan = row.currentPlan ?? row.upcomingPlan;
  return {
    click,
    coupon: row.couponId ? { id: row.couponId, affiliateId: row.couponAffiliateId as string } : null,
    binding: row.bindingId
      ? {
          id: row.bindingId,
          affiliateId: row.bindingAffiliateId as string,
          linkId: row.bindingLinkId,
          expiresAt: row.bindingExpiresAt ? new Date(row.bindingExpiresAt) : null,
        }
      : null,
    partners: new Map((row.partners ?? []).map((p) => [p.id, p])),
    recurringMonths: plan?.recurring?.months ?? null,
  };
}

/**
 * A JSON array of the affiliates `ids` selects: status, enrollment in the program,
 * e-mail, and — for the self-referral checks — the e-mails of its users when the
 * customer has an e-mail hash, and the addresses they logged in from in the last 90
 * days when the buyer's address is known (`clickHasIp`, or the conversion's own).
 */
function partnersJson(conversion: Locked, ids: Prisma.Sql, clickHasIp: Prisma.Sql): Prisma.Sql {
  const since = new Date(Date.now() - LOGIN_LOOKBACK_MS);
  return Prisma.sql`(
    SELECT json_agg(json_build_object(
             'id', a.id, 'status', a.status, 'email', a.email,
             'enrollmentStatus', (SELECT e.status FROM enrollments e WHERE e.program_id = ${conversion.programId} AND e.affiliate_id = a.id),
             'userEmails', ${
               conversion.customerEmailHash
                 ? Prisma.sql`(SELECT coalesce(array_agg(u.email), '{}') FROM memberships m JOIN users u ON u.id = m.user_id
                                WHERE m.scope = 'affiliate' AND m.affiliate_id = a.id)`
                 : Prisma.sql`NULL`
             },
             'loginIps', CASE WHEN ${conversion.ipHash !== null} OR ${clickHasIp} THEN (
                 SELECT coalesce(array_agg(s.ip), '{}') FROM (
                   SELECT DISTINCT s.ip FROM auth_sessions s
                    WHERE s.user_id IN (SELECT m.user_id FROM memberships m WHERE m.scope = 'affiliate' AND m.affiliate_id = a.id)
                      AND s.ip IS NOT NULL AND s.created_at >= ${since}
                    LIMIT 200) s) END))
      FROM affiliates a WHERE a.id IN (${ids}))`;
}

/** partnersJson on its own, for an affiliate the first statement did not name. */
async function partnerFacts(tx: Tx, conversion: Locked, ids: string[], clickHasIp: boolean): Promise<Map<string, PartnerFacts>> {
  const [row] = await tx.$queryRaw<{ partners: PartnerFacts[] | null }[]>`
    SELECT ${partnersJson(conversion, Prisma.sql`${Prisma.join(ids)}`, Prisma.sql`${clickHasIp}`)} AS partners`;
  return new Map((row?.partners ?? []).map((p) => [p.id, p]));
}

async function firstClickOfVisitor(tx: Tx, conversion: Locked, click: ClickFacts): Promise<ClickFacts | null> {
  const [first] = await tx.$queryRaw<ClickFacts[]>`
    SELECT ${CLICK_FIELDS} FROM clicks k
     WHERE k.tenant_id = ${conversion.tenantId} AND k.visitor_id = ${click.visitorId} AND k.program_id = ${conversion.programId}
       AND k.clicked_at >= ${windowStart(conversion.occurredAt, conversion.cookieDays)} AND k.clicked_at <= ${click.clickedAt}
       AND k.billable
     ORDER BY k.clicked_at ASC, k.id ASC LIMIT 1`;
  return first ?? null;
}

/** Another conversion of this customer in the program, not yet attributed, that carries a
 *  click id or coupon (and so may bind the customer). */
async function bindingOnItsWay(tx: Tx, conversion: Locked): Promise<boolean> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM conversions
     WHERE program_id = ${conversion.programId} AND customer_id = ${conversion.customerId} AND attribution = 'pending' AND id <> ${conversion.id}
       AND (click_id IS NOT NULL OR coupon_code IS NOT NULL)
     LIMIT 1`;
  return rows.length > 0;
}

/** Signals for the fraud checks: the customer is the affiliate (same e-mail), or buys from
 *  an IP the affiliate's users logged in from. Recorded, not acted on. */
function selfReferralSignals(salt: string, conversion: Locked, w: Winner, partner: PartnerFacts | undefined): string[] {
  const signals = new Set<string>(conversion.signals);
  if (partner && conversion.customerEmailHash) {
    const hashes = new Set([partner.email, ...(partner.userEmails ?? [])].map((e) => hashEmail(salt, e)));
    if (hashes.has(conversion.customerEmailHash)) signals.add('customer_email_is_affiliate');
  }
  const buyerIps = [conversion.ipHash, w.click?.ipHash].filter((h): h is string => !!h);
  if (partner && buyerIps.length > 0 && (partner.loginIps?.length ?? 0) > 0) {
    const loginHashes = new Set((partner.loginIps ?? []).map((ip) => hashIp(salt, ip)));
    if (buyerIps.some((h) => loginHashes.has(h))) signals.add('ip_matches_affiliate_login');
  }
  if (w.click && !w.click.billable) signals.add('non_billable_click');
  return [...signals];
}

/**
 * The decision, its `conversion.attributed` event and the outbox rows (the event's
 * dispatch, the accrual) in one statement; with the first attributed conversion of a
 * customer in the program, the customer's binding to the affiliate too (first binding
 * wins: a binding made meanwhile by another conversion is kept, and this one records none).
 */
async function writeAttributed(tx: Tx, conversion: Locked, w: Winner, signals: string[], facts: SignalFacts, now: Date): Promise<void> {
  const tenantId = conversion.tenantId;
  const eventId = newId('event');
  const bind = w.bindingId === null && conversion.customerId !== null;
  const bindingId = newId('binding');
  const dispatchJob = jobs['events.dispatch'].payload.parse({ eventId });
  const accrueJob = jobs['commissions.accrue'].payload.parse({ conversionId: conversion.id });
  await tx.$executeRaw`
    WITH ${
      bind
        ? Prisma.sql`binding AS (
            INSERT INTO customer_bindings (id, tenant_id, customer_id, program_id, affiliate_id, link_id, conversion_id, bound_at, expires_at)
            VALUES (${bindingId}, ${tenantId}, ${conversion.customerId}, ${conversion.programId}, ${w.affiliateId}, ${w.linkId}, ${conversion.id},
                    ${conversion.occurredAt}, ${bindingExpiry(conversion.occurredAt, facts.recurringMonths)})
            ON CONFLICT DO NOTHING RETURNING id),`
        : Prisma.empty
    }
    decided AS (
      UPDATE conversions
         SET attribution = 'attributed', status = ${keepFinal(conversion.status, 'attributed')}, affiliate_id = ${w.affiliateId},
             link_id = ${w.linkId}, attributed_click_id = ${w.click?.id ?? null}, coupon_id = ${w.couponId},
             binding_id = ${bind ? Prisma.sql`(SELECT id FROM binding)` : w.bindingId}, recurring = ${w.recurring}, attribution_reason = ${w.reason},
             sub1 = ${w.click?.sub1 ?? null}, sub2 = ${w.click?.sub2 ?? null}, sub3 = ${w.click?.sub3 ?? null}, sub4 = ${w.click?.sub4 ?? null},
             sub5 = ${w.click?.sub5 ?? null}, signals = ${signals}::text[], attributed_at = ${now}, updated_at = now()
       WHERE id = ${conversion.id}
       RETURNING id),
    event AS (
      INSERT INTO domain_events (id, tenant_id, type, subject_type, subject_id, payload)
      SELECT ${eventId}, ${tenantId}, 'conversion.attributed', 'conversion', id,
             jsonb_build_object('programId', ${conversion.programId}::text, 'affiliateId', ${w.affiliateId}::text, 'reason', ${w.reason}::text,
                                'clickId', ${w.click?.id ?? null}::text)
        FROM decided),
    dispatch_job AS (
      INSERT INTO outbox (id, tenant_id, topic, payload)
      SELECT ${newId('outbox')}, ${tenantId}, 'events.dispatch', ${JSON.stringify(dispatchJob)}::jsonb FROM decided)
    INSERT INTO outbox (id, tenant_id, topic, payload)
    SELECT ${newId('outbox')}, ${tenantId}, 'commissions.accrue', ${JSON.stringify(accrueJob)}::jsonb FROM decided`;
}

/** No affiliate earned it: the reason, its `conversion.unattributed` event and the
 *  event's dispatch, in one statement. */
async function writeUnattributed(tx: Tx, conversion: Locked, reason: UnattributedReason, now: Date): Promise<void> {
  const eventId = newId('event');
  const dispatchJob = jobs['events.dispatch'].payload.parse({ eventId });
  await tx.$executeRaw`
    WITH decided AS (
      UPDATE conversions
         SET attribution = 'unattributed', unattributed_reason = ${reason}, status = ${keepFinal(conversion.status, 'unattributed')},
             attributed_at = ${now}, updated_at = now()
       WHERE id = ${conversion.id}
       RETURNING id),
    event AS (
      INSERT INTO domain_events (id, tenant_id, type, subject_type, subject_id, payload)
      SELECT ${eventId}, ${conversion.tenantId}, 'conversion.unattributed', 'conversion', id,
             jsonb_build_object('programId', ${conversion.programId}::text, 'reason', ${reason}::text)
        FROM decided)
    INSERT INTO outbox (id, tenant_id, topic, payload)
    SELECT ${newId('outbox')}, ${conversion.tenantId}, 'events.dispatch', ${JSON.stringify(dispatchJob)}::jsonb FROM decided`;
}
