import type { Deps } from '../shared/deps';
import { notFound } from '../shared/errors';

/**
 * A banner's image, for anyone: affiliates embed it on their sites, so it is served
 * without credentials. Only the creative id (unguessable) leads to it; archived
 * creatives stop serving.
 */
export async function getCreativeImage(deps: Deps, creativeId: string): Promise<{ data: Uint8Array; contentType: string }> {
  const rows = await deps.prisma.$queryRaw<{ image_key: string | null; image_type: string | null; status: string }[]>`
    SELECT image_key, image_type, status FROM creative_image_lookup(${creativeId})`;
  const row = rows[0];
  if (!row?.image_key || !row.image_type || row.status !== 'active') throw notFound('Image', creativeId);
  const data = await deps.storage.get(row.image_key);
  if (!data) throw notFound('Image', creativeId);
  return { data, contentType: row.image_type };
}
