import type { Enrollment } from '@app/db/generated/prisma/client';
import type { Tx } from '@app/db/with-tenant';
import { DomainError, notFound } from '../shared/errors';

export type EnrollmentStatus = 'pending' | 'invited' | 'approved' | 'rejected' | 'declined' | 'suspended';

export interface EnrollmentView {
  id: string;
  programId: string;
  affiliateId: string;
  status: EnrollmentStatus;
  groupId: string | null;
  planOverride: Record<string, unknown> | null;
  message: string | null;
  reason: string | null;
  decidedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export function toEnrollmentView(e: Enrollment): EnrollmentView {
  return {
    id: e.id,
    programId: e.programId,
    affiliateId: e.affiliateId,
    status: e.status as EnrollmentStatus,
    groupId: e.groupId,
    planOverride: (e.planOverride as Record<string, unknown> | null) ?? null,
    message: e.message,
    reason: e.reason,
    decidedAt: e.decidedAt?.toISOString() ?? null,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  };
}

/**
 * The enrollment state machine. Each action names the states it may start from and the
 * state it leads to; anything else is refused with `invalid_state`, naming both.
 *
 *   (none) ─apply→ pending | approved (auto mode)      (none) ─invite→ invited
 *   invited ─accept→ approved    invited ─decline→ declined
 *   declined ─apply→ pending | approved                declined, rejected ─invite→ invited
 *   pending ─approve→ approved   pending ─reject→ rejected
 *   rejected ─approve→ approved  approved ─suspend→ suspended ─approve→ approved
 */
export const TRANSITIONS = {
  apply: ['declined'],
  invite: ['declined', 'rejected'],
  accept: ['invited'],
  decline: ['invited'],
  approve: ['pending', 'rejected', 'suspended'],
  reject: ['pending'],
  suspend: ['approved'],
} as const satisfies Record<string, readonly EnrollmentStatus[]>;

export type EnrollmentAction = keyof typeof TRANSITIONS;

export function assertTransition(action: EnrollmentAction, from: EnrollmentStatus): void {
  if (!(TRANSITIONS[action] as readonly string[]).includes(from)) {
    throw new DomainError('invalid_state', `An enrollment that is ${from} cannot be ${PAST[action]}.`, { action, status: from });
  }
}

const PAST: Record<EnrollmentAction, string> = {
  apply: 'applied for again',
  invite: 'invited again',
  accept: 'accepted',
  decline: 'declined',
  approve: 'approved',
  reject: 'rejected',
  suspend: 'suspended',
};

/** Locks and loads an enrollment of a program (row lock: decisions on one enrollment are
 *  serialised, so approve and reject racing each other cannot both win). */
export async function lockEnrollmentOrThrow(tx: Tx, programId: string, enrollmentId: string): Promise<Enrollment> {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM enrollments WHERE id = ${enrollmentId} AND program_id = ${programId} FOR UPDATE`;
  if (rows.length === 0) throw notFound('Enrollment', enrollmentId);
  return tx.enrollment.findUniqueOrThrow({ where: { id: enrollmentId } });
}
