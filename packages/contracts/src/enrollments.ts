import { z } from 'zod';
import { planOverrideSchema } from './commission-plans';
import { listQuery } from './common';

export const enrollmentStatus = z.enum(['pending', 'invited', 'approved', 'rejected', 'declined', 'suspended']);

export const enrollmentSchema = z.object({
  id: z.string(),
  programId: z.string(),
  affiliateId: z.string(),
  status: enrollmentStatus,
  groupId: z.string().nullable(),
  planOverride: z.record(z.string(), z.unknown()).nullable(),
  message: z.string().nullable(),
  reason: z.string().nullable(),
  decidedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** An affiliate applies (`message`), or a merchant invites (`affiliateId`). */
export const createEnrollmentBody = z
  .object({
    message: z.string().trim().max(2000).optional(),
    affiliateId: z.string().max(200).optional().describe('merchant invites this affiliate'),
  })
  .strict();

export const decisionBody = z.object({ reason: z.string().trim().max(2000).optional() }).strict();

export const updateEnrollmentBody = z
  .object({
    groupId: z.string().max(200).nullable().optional(),
    planOverride: planOverrideSchema.nullable().optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: 'give at least one field to change' });

export const enrollmentParams = z.object({ id: z.string().max(200), enrollmentId: z.string().max(200) }).strict();

export const enrollmentListQuery = listQuery.extend({ status: enrollmentStatus.optional() }).strict();

export const marketplaceQuery = listQuery
  .extend({
    category: z.string().trim().min(1).max(100).optional(),
    commissionType: z.enum(['lead', 'sale', 'recurring']).optional(),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .optional(),
    q: z.string().trim().min(1).max(100).optional(),
  })
  .strict();

export const marketplaceProgramSchema = z.object({
  id: z.string(),
  merchantId: z.string(),
  merchantName: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  category: z.string().nullable(),
  landingUrl: z.string(),
  currency: z.string(),
  cookieDays: z.number().int(),
  holdDays: z.number().int(),
  enrollmentMode: z.enum(['auto', 'manual', 'invite_only']),
  terms: z.string().nullable(),
  exclusivityNote: z.string().nullable(),
  plan: z.record(z.string(), z.unknown()).nullable(),
  myEnrollment: z.object({ id: z.string(), status: enrollmentStatus }).nullable(),
});

export const directoryQuery = listQuery
  .extend({
    channel: z.string().trim().min(1).max(50).optional(),
    country: z
      .string()
      .regex(/^[A-Z]{2}$/)
      .optional(),
    category: z.string().trim().min(1).max(100).optional(),
    q: z.string().trim().min(1).max(100).optional(),
  })
  .strict();

export const directoryEntrySchema = z.object({
  id: z.string(),
  name: z.string(),
  websites: z.array(z.string()),
  channels: z.array(z.string()),
  countries: z.array(z.string()),
  categories: z.array(z.string()),
  description: z.string().nullable(),
});
