import { z } from 'zod';

/**
 * What the redirect edge writes to the click stream for every click it answers, and
 * the click consumer reads back. The edge does the least it can (look the link up,
 * redirect, write this); hashing, bot detection, unique counting and storage happen in
 * the consumer. The IP travels in clear only through this stream, whose entries the
 * consumer deletes once the click is stored.
 */
export const clickEventSchema = z
  .object({
    v: z.literal(1),
    id: z.string().regex(/^clk_[0-7][0-9a-hjkmnp-tv-z]{25}$/),
    tenantId: z.string().min(1).max(64),
    programId: z.string().min(1).max(64),
    affiliateId: z.string().min(1).max(64),
    linkId: z.string().min(1).max(64).nullable(),
    method: z.enum(['GET', 'HEAD', 'POST']),
    ip: z.string().max(64).nullable(),
    userAgent: z.string().max(512).nullable(),
    referrer: z.string().max(1024).nullable(),
    country: z
      .string()
      .regex(/^[A-Z]{2}$/)
      .nullable(),
    visitorId: z.string().max(64).nullable(),
    subs: z.tuple([subId(), subId(), subId(), subId(), subId()]),
    landingUrl: z.string().min(1).max(4096),
    /** What the edge already knows makes the click not billable, or worth a note. */
    flags: z.array(z.enum(['deep_link_refused', 'link_disabled', 'enrollment_inactive', 'affiliate_inactive', 'program_paused'])).max(8),
  })
  .strict();

function subId() {
  return z.string().max(255).nullable();
}

export type ClickEvent = z.infer<typeof clickEventSchema>;

/** Flags set by the edge that make a click not count as billable traffic. */
export const NOT_BILLABLE_AT_EDGE: ReadonlySet<string> = new Set(['link_disabled', 'enrollment_inactive', 'affiliate_inactive']);

/** The Redis stream of clicks, under the deployment's key prefix. */
export function clickStreamKey(prefix: string): string {
  return `${prefix}:clicks`;
}

/** The consumer group that stores clicks. */
export const CLICK_CONSUMER_GROUP = 'click-store';
