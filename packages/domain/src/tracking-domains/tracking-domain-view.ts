import type { TrackingDomain } from '@app/db/generated/prisma/client';

export interface TrackingDomainView {
  id: string;
  host: string;
  linkBaseUrl: string;
  createdAt: string;
}

export function toTrackingDomainView(row: TrackingDomain): TrackingDomainView {
  return { id: row.id, host: row.host, linkBaseUrl: `https://${row.host}/c/`, createdAt: row.createdAt.toISOString() };
}
