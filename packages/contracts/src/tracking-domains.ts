import { z } from 'zod';

export const trackingDomainSchema = z.object({
  id: z.string(),
  host: z.string(),
  /** The tracking URL prefix links use on this host. */
  linkBaseUrl: z.string(),
  createdAt: z.string(),
});

export const createTrackingDomainBody = z
  .object({
    /** A host name the network points (CNAME) at the platform, e.g. `go.partners.example`. */
    host: z.string().trim().min(3).max(253),
  })
  .strict();

export const trackingDomainList = z.object({ data: z.array(trackingDomainSchema) });
