import { z } from 'zod';
import { httpUrl, listQuery, personName } from './common';

export const affiliateStatus = z.enum(['pending', 'active', 'suspended']);

export const affiliateSchema = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string(),
  website: z.string().nullable(),
  status: affiliateStatus,
  parentAffiliateId: z.string().nullable(),
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
  })
  .strict()
  .refine((v) => v.name !== undefined || v.website !== undefined || v.status !== undefined, {
    message: 'give at least one field to change',
  });
