import type { PrismaClient } from '@app/db/client';
import type { Click, Conversion, Program } from '@app/db/generated/prisma/client';
import { idTime, isId, newId } from '@app/db/ids';
import { type Tx, withTenant } from '@app/db/with-tenant';
import { hashIp } from '../clicks/traffic-quality';
import { findActiveCoupon } from '../coupons/find-active-coupon';
import { recordEvent } from '../events/record-event';
import { planVersionsAround } from '../programs/program-view';
import { enqueueAfterCommit } from '../shared/outbox';
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

interface Winner {
  reason: AttributionReason;
  affiliateId: string;
  linkId: string | null;
  click: Click | null;
  couponId: string | null;
  bindingId: string | null;
  recurring: boolean;
}

/**
 * The attribution job: decides once which affiliate earned a conversion. The conversion
 * row is locked and only a `pending` one is decided, so a retried or duplicated job
 * changes nothing. An attributed conversion binds its customer to the affiliate (first
 * binding wins), records self-referral signals, and schedules its accrual through the
 * outbox in the same transaction.
 */
export async function attributeConversion(prisma: PrismaClient, tenantId: string, conversionId: string, now = new Date()): Promise<AttributionOutcome> {
  return withTenant(prisma, tenantId, async (tx) => {
    const [locked] = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM conversions WHERE id = ${conversionId} FOR UPDATE`;
    if (!locked) throw new Error(`conversion ${conversionId} not found`);
    const conversion = await tx.conversion.findUniqueOrThrow({ where: { id: conversionId } });
    if (conversion.attribution !== 'pending') {
      return {
        conversionId,
        attribution: conversion.attribution as AttributionOutcome['attribution'],
        affiliateId: conversion.affiliateId,
        reason: (conversion.attributionReason ?? conversion.unattributedReason) as AttributionOutcome['reason'],
        changed: false,
      };
    }
    const program = await tx.program.findUniqueOrThrow({ where: { id: conversion.programId } });
    const decision = await decide(tx, program, conversion, now);
    if (!decision.ok) {
      await tx.conversion.update({
        where: { id: conversion.id },
        data: { attribution: 'unattributed', unattributedReason: decision.reason, status: keepFinal(conversion.status, 'unattributed'), attributedAt: now },
      });
      await recordEvent(tx, {
        tenantId,
        type: 'conversion.unattributed',
        subjectType: 'conversion',
        subjectId: conversion.id,
        payload: { programId: conversion.programId, reason: decision.reason },
      });
      return { conversionId, attribution: 'unattributed', affiliateId: null, reason: decision.reason, changed: true };
    }

    const w = decision.value;
    const bindingId = w.bindingId ?? (await bindCustomer(tx, program, conversion, w));
    const signals = await selfReferralSignals(tx, tenantId, conversion, w);
    await tx.conversion.update({
      where: { id: conversion.id },
      data: {
        attribution: 'attributed',
        status: keepFinal(conversion.status, 'attributed'),
        affiliateId: w.affiliateId,
        linkId: w.linkId,
        attributedClickId: w.click?.id ?? null,
        couponId: w.couponId,
        bindingId,
        recurring: w.recurring,
        attributionReason: w.reason,
        sub1: w.click?.sub1 ?? null,
        sub2: w.click?.sub2 ?? null,
        sub3: w.click?.sub3 ?? null,
        sub4: w.click?.sub4 ?? null,
        sub5: w.click?.sub5 ?? null,
        signals,
        attributedAt: now,
      },
    });
    await recordEvent(tx, {
      tenantId,
      type: 'conversion.attributed',
      subjectType: 'conversion',
      subjectId: conversion.id,
      payload: { programId: conversion.programId, affiliateId: w.affiliateId, reason: w.reason, clickId: w.click?.id ?? null },
    });
    await enqueueAfterCommit(tx, tenantId, 'commissions.accrue', { conversionId: conversion.id });
    return { conversionId, attribution: 'attributed', affiliateId: w.affiliateId, reason: w.reason, changed: true };
  });
}

/** A refund or a rejection that came first stays the conversion's status. */
function keepFinal(status: string, next: string): string {
  return status === 'refunded' || status === 'rejected' ? status : next;
}

async function decide(tx: Tx, program: Program, conversion: Conversion, now: Date): Promise<Candidate<Winner>> {
  if (program.status !== 'active') return { ok: false, reason: 'program_inactive' };
  const candidates: Candidate<Winner>[] = [];
  if (conversion.clickId) candidates.push(await clickCandidate(tx, program, conversion, now));
  if (conversion.couponCode) candidates.push(await couponCandidate(tx, program, conversion));
  if (conversion.customerId) {
    const bound = await bindingCandidate(tx, program, conversion);
    if (bound) candidates.push(bound);
    else if (candidates.length === 0 && (await bindingOnItsWay(tx, program, conversion))) {
      // A sale of a customer whose sign-up (with a click or coupon) is still being
      // attributed — a Stripe subscription's first invoice and its checkout arrive
      // together: wait for that binding rather than call this sale unattributed.
      throw new AttributionNotReady(`conversion ${conversion.id} waits for the attribution of its customer's earlier conversion`);
    }
  }
  return pickAttribution(candidates);
}

async function findClick(tx: Tx, clickId: string): Promise<Click | null> {
  if (!isId('click', clickId)) return null;
  // The id carries the click's time, which is the partition key: one partition is read.
  return tx.click.findUnique({ where: { id_clickedAt: { id: clickId, clickedAt: idTime(clickId) } } });
}

async function clickCandidate(tx: Tx, program: Program, conversion: Conversion, now: Date): Promise<Candidate<Winner>> {
  const clickId = conversion.clickId as string;
  let click = await findClick(tx, clickId);
  if (!click) {
    // Clicks reach Postgres through the click stream, seconds after the redirect.
    if (isId('click', clickId) && now.getTime() - idTime(clickId).getTime() < CLICK_STORAGE_GRACE_MS && idTime(clickId) <= now) {
      throw new AttributionNotReady(`click ${clickId} is not stored yet; the attribution of ${conversion.id} will be retried`);
    }
    return { ok: false, reason: 'click_not_found' };
  }
  if (click.programId !== program.id) return { ok: false, reason: 'click_other_program' };
  const windowFailure = clickWindowFailure(conversion.occurredAt, click.clickedAt, program.cookieDays);
  if (windowFailure) return { ok: false, reason: windowFailure };

  let reason: AttributionReason = 'click';
  if (program.attributionModel === 'first_click' && click.visitorId) {
    // The visitor's earliest click in this program still inside the window.
    const first = await tx.click.findFirst({
      where: {
        tenantId: program.tenantId,
        visitorId: click.visitorId,
        programId: program.id,
        clickedAt: { gte: windowStart(conversion.occurredAt, program.cookieDays), lte: click.clickedAt },
        billable: true,
      },
      orderBy: [{ clickedAt: 'asc' }, { id: 'asc' }],
    });
    if (first && first.id !== click.id) {
      const firstOk = (await partnerFailureOf(tx, program.id, first.affiliateId, first.linkId)) === null;
      if (firstOk) {
        click = first;
        reason = 'first_click';
      }
    }
  }
  const failure = await partnerFailureOf(tx, program.id, click.affiliateId, click.linkId);
  if (failure) return { ok: false, reason: failure };
  return { ok: true, value: { reason, affiliateId: click.affiliateId, linkId: click.linkId, click, couponId: null, bindingId: null, recurring: false } };
}

async function couponCandidate(tx: Tx, program: Program, conversion: Conversion): Promise<Candidate<Winner>> {
  const coupon = await findActiveCoupon(tx, program.id, conversion.couponCode as string, conversion.occurredAt);
  if (!coupon) return { ok: false, reason: 'coupon_not_found' };
  const failure = await partnerFailureOf(tx, program.id, coupon.affiliateId, null);
  if (failure) return { ok: false, reason: failure };
  return {
    ok: true,
    value: { reason: 'coupon', affiliateId: coupon.affiliateId, linkId: null, click: null, couponId: coupon.id, bindingId: null, recurring: false },
  };
}

async function bindingCandidate(tx: Tx, program: Program, conversion: Conversion): Promise<Candidate<Winner> | null> {
  const binding = await tx.customerBinding.findUnique({
    where: { customerId_programId: { customerId: conversion.customerId as string, programId: program.id } },
  });
  // A binding made by a conversion dated a little later still counts: a subscription's
  // first invoice is often paid a second before its checkout completes.
  if (!binding) return null;
  if (binding.expiresAt && binding.expiresAt <= conversion.occurredAt) return { ok: false, reason: 'binding_expired' };
  const failure = await partnerFailureOf(tx, program.id, binding.affiliateId, null);
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

/** Another conversion of this customer in the program, not yet attributed, that carries a
 *  click id or coupon (and so may bind the customer). */
async function bindingOnItsWay(tx: Tx, program: Program, conversion: Conversion): Promise<boolean> {
  const other = await tx.conversion.findFirst({
    where: {
      programId: program.id,
      customerId: conversion.customerId,
      attribution: 'pending',
      id: { not: conversion.id },
      OR: [{ clickId: { not: null } }, { couponCode: { not: null } }],
    },
    select: { id: true },
  });
  return other !== null;
}

async function partnerFailureOf(tx: Tx, programId: string, affiliateId: string, linkId: string | null) {
  const [enrollment, affiliate, link] = await Promise.all([
    tx.enrollment.findUnique({ where: { programId_affiliateId: { programId, affiliateId } }, select: { status: true } }),
    tx.affiliate.findUnique({ where: { id: affiliateId }, select: { status: true } }),
    linkId ? tx.link.findUnique({ where: { id: linkId }, select: { status: true } }) : Promise.resolve(null),
  ]);
  return partnerFailure({
    linkStatus: linkId ? (link?.status ?? 'deleted') : null,
    enrollmentStatus: enrollment?.status ?? null,
    affiliateStatus: affiliate?.status ?? null,
  });
}

/** The first attributed conversion of a customer in a program binds it to the affiliate. */
async function bindCustomer(tx: Tx, program: Program, conversion: Conversion, w: Winner): Promise<string | null> {
  if (!conversion.customerId) return null;
  // The plan in force at the conversion; one dated before the first plan uses the first.
  const { current, upcoming } = await planVersionsAround(tx, program.id, conversion.occurredAt);
  const recurring = ((current ?? upcoming)?.plan as { recurring?: { months?: number | null } | null } | undefined)?.recurring;
  const id = newId('binding');
  const inserted = await tx.customerBinding.createManyAndReturn({
    data: [
      {
        id,
        tenantId: program.tenantId,
        customerId: conversion.customerId,
        programId: program.id,
        affiliateId: w.affiliateId,
        linkId: w.linkId,
        conversionId: conversion.id,
        boundAt: conversion.occurredAt,
        expiresAt: bindingExpiry(conversion.occurredAt, recurring?.months ?? null),
      },
    ],
    skipDuplicates: true,
  });
  return inserted[0]?.id ?? null;
}

const LOGIN_LOOKBACK_MS = 90 * 86_400_000;

/** Signals for the fraud checks: the customer is the affiliate (same e-mail), or buys from
 *  an IP the affiliate's users logged in from. Recorded, not acted on. */
async function selfReferralSignals(tx: Tx, tenantId: string, conversion: Conversion, w: Winner): Promise<string[]> {
  const signals = new Set<string>(conversion.signals);
  const salt = await tenantSalt(tx, tenantId);
  const affiliate = await tx.affiliate.findUniqueOrThrow({ where: { id: w.affiliateId }, select: { email: true } });
  const users = await tx.membership.findMany({ where: { scope: 'affiliate', affiliateId: w.affiliateId }, select: { userId: true } });
  if (conversion.customerId) {
    const customer = await tx.customer.findUnique({ where: { id: conversion.customerId }, select: { emailHash: true } });
    if (customer?.emailHash) {
      const userEmails = await tx.user.findMany({ where: { id: { in: users.map((u) => u.userId) } }, select: { email: true } });
      const hashes = new Set([affiliate.email, ...userEmails.map((u) => u.email)].map((e) => hashEmail(salt, e)));
      if (hashes.has(customer.emailHash)) signals.add('customer_email_is_affiliate');
    }
  }
  const buyerIps = [conversion.ipHash, w.click?.ipHash].filter((h): h is string => !!h);
  if (buyerIps.length > 0 && users.length > 0) {
    const sessions = await tx.authSession.findMany({
      where: { userId: { in: users.map((u) => u.userId) }, ip: { not: null }, createdAt: { gte: new Date(Date.now() - LOGIN_LOOKBACK_MS) } },
      select: { ip: true },
      distinct: ['ip'],
      take: 200,
    });
    const loginHashes = new Set(sessions.map((s) => hashIp(salt, s.ip as string)));
    if (buyerIps.some((h) => loginHashes.has(h))) signals.add('ip_matches_affiliate_login');
  }
  if (w.click && !w.click.billable) signals.add('non_billable_click');
  return [...signals];
}
