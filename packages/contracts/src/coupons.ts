import { z } from 'zod';
import { listQuery, timestamp } from './common';

export const couponStatus = z.enum(['requested', 'active', 'disabled', 'rejected']);

export const couponCode = z
  .string()
  .regex(/^[A-Za-z0-9_-]{2,64}$/, 'use 2–64 letters, digits, - or _')
  .describe('stored as typed; unique per program in any case (SUMMER10 and summer10 are the same code)');

export const createCouponBody = z
  .object({
    programId: z.string().max(200),
    affiliateId: z.string().max(200).optional().describe('required for merchants; an affiliate requests a code for itself'),
    code: couponCode,
    validFrom: timestamp.optional(),
    validUntil: timestamp.optional().describe('exclusive; after validFrom'),
  })
  .strict();

export const updateCouponBody = z
  .object({
    status: z.enum(['active', 'disabled']).optional(),
    validFrom: timestamp.nullable().optional(),
    validUntil: timestamp.nullable().optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: 'give at least one field to change' });

export const rejectCouponBody = z
  .object({ reason: z.string().trim().min(1).max(1000).optional() })
  .strict()
  .nullish()
  .describe('optional; the reason is kept in the audit log');

export const couponListQuery = listQuery
  .extend({
    programId: z.string().max(200).optional(),
    affiliateId: z.string().max(200).optional(),
    status: couponStatus.optional(),
  })
  .strict();

export const couponSchema = z.object({
  id: z.string(),
  programId: z.string(),
  affiliateId: z.string(),
  code: z.string(),
  status: couponStatus,
  validFrom: z.string().nullable(),
  validUntil: z.string().nullable(),
  createdByUserId: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
