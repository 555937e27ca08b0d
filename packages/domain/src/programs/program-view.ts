import type { Program, ProgramPlanVersion } from '@app/db/generated/prisma/client';
import type { Tx } from '@app/db/with-tenant';
import { DomainError, notFound } from '../shared/errors';
import { normalizeDomain, requireAllowedDestination } from './destination-url';

export interface PlanVersionView {
  id: string;
  version: number;
  plan: Record<string, unknown>;
  effectiveFrom: string;
  createdAt: string;
}

export interface ProgramView {
  id: string;
  merchantId: string;
  name: string;
  description: string | null;
  category: string | null;
  landingUrl: string;
  allowedDomains: string[];
  trackingParam: string;
  cookieDays: number;
  attributionModel: 'last_click' | 'first_click';
  enrollmentMode: 'auto' | 'manual' | 'invite_only';
  approvalMode: 'auto' | 'manual';
  holdDays: number;
  currency: string;
  status: 'draft' | 'active' | 'paused' | 'archived';
  visibility: 'public' | 'private';
  terms: string | null;
  exclusivityNote: string | null;
  fallbackUrl: string | null;
  browserSales: boolean;
  plan: PlanVersionView | null;
  upcomingPlan: PlanVersionView | null;
  createdAt: string;
  updatedAt: string;
}

export function toPlanVersionView(v: ProgramPlanVersion): PlanVersionView {
  return {
    id: v.id,
    version: v.version,
    plan: v.plan as Record<string, unknown>,
    effectiveFrom: v.effectiveFrom.toISOString(),
    createdAt: v.createdAt.toISOString(),
  };
}

/** The version in force at `at` and the next one after it, if any. */
export async function planVersionsAround(tx: Tx, programId: string, at = new Date()) {
  const [current, upcoming] = await Promise.all([
    tx.programPlanVersion.findFirst({ where: { programId, effectiveFrom: { lte: at } }, orderBy: [{ effectiveFrom: 'desc' }, { version: 'desc' }] }),
    tx.programPlanVersion.findFirst({ where: { programId, effectiveFrom: { gt: at } }, orderBy: [{ effectiveFrom: 'asc' }, { version: 'asc' }] }),
  ]);
  return { current, upcoming };
}

export async function toProgramView(tx: Tx, p: Program): Promise<ProgramView> {
  const { current, upcoming } = await planVersionsAround(tx, p.id);
  return {
    id: p.id,
    merchantId: p.merchantId,
    name: p.name,
    description: p.description,
    category: p.category,
    landingUrl: p.landingUrl,
    allowedDomains: p.allowedDomains,
    trackingParam: p.trackingParam,
    cookieDays: p.cookieDays,
    attributionModel: p.attributionModel as ProgramView['attributionModel'],
    enrollmentMode: p.enrollmentMode as ProgramView['enrollmentMode'],
    approvalMode: p.approvalMode as ProgramView['approvalMode'],
    holdDays: p.holdDays,
    currency: p.currency,
    status: p.status as ProgramView['status'],
    visibility: p.visibility as ProgramView['visibility'],
    terms: p.terms,
    exclusivityNote: p.exclusivityNote,
    fallbackUrl: p.fallbackUrl,
    browserSales: p.browserSales,
    plan: current ? toPlanVersionView(current) : null,
    upcomingPlan: upcoming ? toPlanVersionView(upcoming) : null,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

export async function loadProgramOrThrow(tx: Tx, programId: string): Promise<Program> {
  const program = await tx.program.findUnique({ where: { id: programId } });
  if (!program) throw notFound('Program', programId);
  return program;
}

/** Normalises the allowed domains and checks the landing and fallback URLs against them. */
export function validateProgramUrls(input: { allowedDomains: string[]; landingUrl: string; fallbackUrl?: string | null }) {
  const allowedDomains: string[] = [];
  const errors: { path: string; message: string }[] = [];
  input.allowedDomains.forEach((raw, i) => {
    const d = normalizeDomain(raw);
    if (!d) errors.push({ path: `allowedDomains.${i}`, message: `"${raw}" is not a domain name` });
    else if (!allowedDomains.includes(d)) allowedDomains.push(d);
  });
  if (errors.length) throw new DomainError('validation_failed', 'Some allowed domains are not valid domain names.', { errors });
  const landingUrl = requireAllowedDestination(input.landingUrl, allowedDomains, 'landingUrl');
  const fallbackUrl = input.fallbackUrl ? requireAllowedDestination(input.fallbackUrl, allowedDomains, 'fallbackUrl') : (input.fallbackUrl ?? null);
  return { allowedDomains, landingUrl, fallbackUrl };
}

const TRANSITIONS: Record<string, string[]> = {
  draft: ['active', 'archived'],
  active: ['paused', 'archived'],
  paused: ['active', 'archived'],
  archived: [],
};

export function assertStatusTransition(from: string, to: string): void {
  if (from === to) return;
  if (!TRANSITIONS[from]?.includes(to)) {
    throw new DomainError('invalid_state', `A ${from} program cannot become ${to}.`, { from, to, allowed: TRANSITIONS[from] ?? [] });
  }
}
