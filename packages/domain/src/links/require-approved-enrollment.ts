import type { Enrollment, Program } from '@app/db/generated/prisma/client';
import type { Tx } from '@app/db/with-tenant';
import { DomainError, notFound } from '../shared/errors';

/**
 * Links and coupons belong to an affiliate's approved enrollment in a live program.
 * These checks are shared by both (and answer the way the marketplace would: a program
 * an affiliate cannot browse and is not enrolled in does not exist for it).
 */

function marketplaceVisible(program: Program): boolean {
  return program.visibility === 'public' && (program.status === 'active' || program.status === 'paused');
}

function requireNotArchived(program: Program): void {
  if (program.status === 'archived') {
    throw new DomainError('invalid_state', `Program ${program.id} is archived: it takes no new links or coupons.`, { programId: program.id });
  }
}

/** For an affiliate acting for itself. */
export async function requireOwnApprovedEnrollment(tx: Tx, programId: string, affiliateId: string): Promise<{ program: Program; enrollment: Enrollment }> {
  const program = await tx.program.findUnique({ where: { id: programId } });
  const enrollment = program ? await tx.enrollment.findUnique({ where: { programId_affiliateId: { programId, affiliateId } } }) : null;
  if (!program || (!enrollment && !marketplaceVisible(program))) throw notFound('Program', programId);
  requireNotArchived(program);
  if (!enrollment) {
    throw new DomainError('invalid_state', `You are not a partner of program ${programId} yet: apply to it first.`, { programId });
  }
  if (enrollment.status !== 'approved') {
    throw new DomainError(
      'invalid_state',
      `Your enrollment in program ${programId} is ${enrollment.status}: tracked links and coupons need an approved enrollment.`,
      { programId, enrollmentStatus: enrollment.status },
    );
  }
  return { program, enrollment };
}

/** For a merchant (or network staff) acting on an affiliate of one of its programs. */
export async function requirePartnerApprovedEnrollment(tx: Tx, program: Program, affiliateId: string): Promise<Enrollment> {
  requireNotArchived(program);
  const enrollment = await tx.enrollment.findUnique({ where: { programId_affiliateId: { programId: program.id, affiliateId } } });
  if (!enrollment) {
    const affiliate = await tx.affiliate.findUnique({ where: { id: affiliateId }, select: { id: true } });
    if (!affiliate) throw notFound('Affiliate', affiliateId);
    throw new DomainError('invalid_state', `Affiliate ${affiliateId} is not a partner of program ${program.id}.`, { programId: program.id, affiliateId });
  }
  if (enrollment.status !== 'approved') {
    throw new DomainError('invalid_state', `The enrollment of affiliate ${affiliateId} in program ${program.id} is ${enrollment.status}, not approved.`, {
      programId: program.id,
      affiliateId,
      enrollmentStatus: enrollment.status,
    });
  }
  return enrollment;
}
