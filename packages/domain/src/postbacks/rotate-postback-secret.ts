import { randomBytes } from 'node:crypto';
import { withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { loadProgramOrThrow } from '../programs/program-view';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { type PostbackSecretView, toPostbackSecretView } from './postback-secret-view';
import { requireProgramWrite } from './program-write-access';

/**
 * Replaces the program's postback secret with 256 fresh random bits. The old secret stops
 * working at once: postbacks signed with it are refused from the commit on. The audit log
 * records who rotated it, never the secret.
 */
export async function rotatePostbackSecret(deps: Deps, actor: Actor, programId: string): Promise<PostbackSecretView> {
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const before = await loadProgramOrThrow(tx, programId);
    requireProgramWrite(actor, before);
    const program = await tx.program.update({ where: { id: before.id }, data: { postbackSecret: randomBytes(32).toString('hex') } });
    await writeAudit(tx, actor, {
      action: 'program.postback_secret_rotated',
      subjectType: 'program',
      subjectId: program.id,
      data: { merchantId: program.merchantId },
    });
    return toPostbackSecretView(program, deps.publicUrl);
  });
}
