import { z } from 'zod';
import { currencyCode, httpUrl, listQuery, personName } from './common';

/** How an affiliate promotes: the directory filters on these. */
export const channel = z.enum(['site', 'blog', 'social', 'video', 'email', 'coupon', 'cashback', 'comparison', 'paid_search', 'influencer', 'app', 'other']);

export const affiliateStatus = z.enum(['pending', 'active', 'suspended']);

export const affiliateSchema = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string(),
  website: z.string().nullable(),
  status: affiliateStatus,
  parentAffiliateId: z.string().nullable(),
  websites: z.array(z.string()),
  channels: z.array(z.string()),
  countries: z.array(z.string()),
  categories: z.array(z.string()),
  description: z.string().nullable(),
  payoutCurrency: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const affiliateListQuery = listQuery
  .extend({
    status: affiliateStatus.optional(),
    q: z.string().trim().min(1).max(100).optional(),
  })
  .strict();

export const updateAffiliateBody = z
  .object({
    name: personName.optional(),
    website: httpUrl.nullable().optional(),
    /** Network owner/admin only. */
    status: z.enum(['active', 'suspended']).optional(),
    reason: z.string().trim().max(500).optional(),
    websites: z.array(httpUrl).max(20).optional(),
    channels: z.array(channel).max(20).optional(),
    countries: z
      .array(z.string().regex(/^[A-Z]{2}$/, 'ISO 3166 alpha-2 code in upper case'))
      .max(250)
      .optional(),
    categories: z.array(z.string().trim().min(1).max(100)).max(50).optional(),
    description: z.string().trim().max(5000).nullable().optional(),
    payoutCurrency: currencyCode.nullable().optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).some((k) => k !== 'reason'), { message: 'give at least one field to change' });

export const recruitLinkSchema = z.object({
  affiliateId: z.string(),
  url: z.string(),
  referredBy: z.string(),
  recruits: z.number().int(),
});
