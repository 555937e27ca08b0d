import type { Creative } from '@app/db/generated/prisma/client';

export interface CreativeView {
  id: string;
  programId: string;
  type: 'banner' | 'text_link' | 'email' | 'guidelines';
  name: string;
  body: string | null;
  imageUrl: string | null;
  width: number | null;
  height: number | null;
  status: 'active' | 'archived';
  trackingUrl: string | null;
  html: string | null;
  createdAt: string;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

export function imageUrlOf(publicUrl: string, c: Pick<Creative, 'id' | 'imageKey'>): string | null {
  return c.imageKey ? `${publicUrl}/creatives/${c.id}/image` : null;
}

/** The creative as the merchant sees it, or — with `trackingUrl` — as an affiliate
 *  sees it: its own link embedded in ready-to-paste HTML. */
export function toCreativeView(c: Creative, publicUrl: string, trackingUrl: string | null = null): CreativeView {
  const imageUrl = imageUrlOf(publicUrl, c);
  let html: string | null = null;
  let body = c.body;
  if (trackingUrl) {
    const href = escapeHtml(trackingUrl);
    if (c.type === 'banner' && imageUrl) {
      html = `<a href="${href}" rel="sponsored"><img src="${escapeHtml(imageUrl)}" width="${c.width}" height="${c.height}" alt="${escapeHtml(c.body ?? c.name)}"></a>`;
    } else if (c.type === 'text_link') {
      html = `<a href="${href}" rel="sponsored">${escapeHtml(c.body ?? c.name)}</a>`;
    } else if (c.type === 'email' && c.body) {
      body = c.body.replaceAll('{{link}}', trackingUrl);
      html = body;
    }
  }
  return {
    id: c.id,
    programId: c.programId,
    type: c.type as CreativeView['type'],
    name: c.name,
    body,
    imageUrl,
    width: c.width,
    height: c.height,
    status: c.status as CreativeView['status'],
    trackingUrl,
    html,
    createdAt: c.createdAt.toISOString(),
  };
}
