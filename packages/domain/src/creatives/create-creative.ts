import { newId } from '@app/db/ids';
import { withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { loadProgramOrThrow } from '../programs/program-view';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { DomainError } from '../shared/errors';
import { requireMerchantWrite } from '../shared/policies';
import { checkImage } from './creative-image';
import { type CreativeView, toCreativeView } from './creative-view';

export type CreateCreativeInput =
  | { programId: string; name: string; type: 'banner'; image: { contentType: string; dataBase64: string }; alt?: string }
  | { programId: string; name: string; type: 'text_link' | 'email' | 'guidelines'; body: string };

/** A merchant adds a banner (image stored through the storage interface), a text link,
 *  an email template or brand guidelines to a program. */
export async function createCreative(deps: Deps, actor: Actor, input: CreateCreativeInput): Promise<CreativeView> {
  const image = input.type === 'banner' ? checkImage(input.image.dataBase64, input.image.contentType) : null;
  const id = newId('creative');
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const program = await loadProgramOrThrow(tx, input.programId);
    requireMerchantWrite(actor, program.merchantId);
    if (program.status === 'archived') throw new DomainError('invalid_state', 'An archived program takes no new creatives.');
    let imageKey: string | null = null;
    if (image) {
      imageKey = `${actor.tenantId}/creatives/${id}.${image.contentType.split('/')[1]}`;
      // Stored before the row commits: a failed commit leaves an orphan file, never a
      // row pointing at nothing.
      await deps.storage.put(imageKey, image.data, image.contentType);
    }
    const creative = await tx.creative.create({
      data: {
        id,
        tenantId: actor.tenantId,
        programId: program.id,
        type: input.type,
        name: input.name,
        body: input.type === 'banner' ? (input.alt ?? null) : input.body,
        imageKey,
        imageType: image?.contentType ?? null,
        width: image?.width ?? null,
        height: image?.height ?? null,
      },
    });
    await writeAudit(tx, actor, { action: 'creative.created', subjectType: 'creative', subjectId: id, data: { programId: program.id, type: input.type } });
    return toCreativeView(creative, deps.publicUrl);
  });
}
