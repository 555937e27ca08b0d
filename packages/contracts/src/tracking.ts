import { z } from 'zod';
import { currencyCode, email } from './common';
import { conversionAccepted, MAX_CONVERSION_AMOUNT } from './conversions';

/** Bodies and answers of the browser tracker's endpoints (/v1/track/*, publishable key). */

const programId = z.string().min(1).max(200);
const pageUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).max(4096);

export const trackClickBody = z
  .object({
    programId,
    code: z
      .string()
      .regex(/^[A-Za-z0-9_-]{4,64}$/, 'must be a link code (4–64 letters, digits, _ or -)')
      .describe('the code of a link of this program (from ?ref= or ?via=)'),
    landingUrl: pageUrl.optional().describe("the page the visitor landed on; on the program's allowed domains"),
    referrer: z.string().max(2048).optional().describe('document.referrer of that page'),
  })
  .strict();

export const trackClickAnswer = z.object({
  clickId: z.string(),
  cookieDays: z.number().int().describe("the program's cookie window, for the tracker's cookie"),
});

export const trackLeadBody = z
  .object({
    programId,
    type: z.enum(['lead', 'sale']).default('lead'),
    externalId: z.string().trim().min(1).max(200).describe('lead or order id; unique per program (a repeat returns the existing conversion)'),
    email: email.optional().describe('stored hashed (in clear only if the merchant opted in)'),
    clickId: z
      .string()
      .regex(/^clk_[0-9a-z]{26}$/, 'must be a click id (clk_…)')
      .optional(),
    amount: z
      .number({ error: 'must be an integer amount in minor units' })
      .int({ error: 'must be a whole number of minor units (no decimals)' })
      .min(0, { error: 'must not be negative' })
      .max(MAX_CONVERSION_AMOUNT)
      .optional()
      .describe('required for sales: minor units'),
    currency: currencyCode.optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    if (body.type === 'sale' && body.amount === undefined) ctx.addIssue({ code: 'custom', path: ['amount'], message: 'a sale needs an amount in minor units' });
  });

export const trackLeadAnswer = conversionAccepted;
