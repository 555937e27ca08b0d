import { z } from 'zod';
import { commissionPlanSchema, planOverrideSchema } from './commission-plans';
import { currencyCode, displayName, httpUrl, listQuery, timestamp } from './common';

export const programStatus = z.enum(['draft', 'active', 'paused', 'archived']);

const domainList = z
  .array(z.string().trim().min(1).max(253))
  .min(1, 'list at least one domain links may land on')
  .max(50)
  .describe('hosts deep links may use; subdomains of each are allowed too');

const programFields = {
  name: displayName,
  description: z.string().trim().max(5000).optional(),
  category: z.string().trim().min(1).max(100).optional(),
  landingUrl: httpUrl,
  allowedDomains: domainList,
  trackingParam: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]{0,39}$/, 'letters, digits and _ only, starting with a letter')
    .optional()
    .describe('query parameter that carries the click id (default aff_click_id)'),
  cookieDays: z.number().int().min(1).max(365).optional(),
  attributionModel: z.enum(['last_click', 'first_click']).optional(),
  enrollmentMode: z.enum(['auto', 'manual', 'invite_only']).optional(),
  approvalMode: z.enum(['auto', 'manual']).optional().describe('auto: approved when the hold period ends; manual: the merchant validates'),
  holdDays: z.number().int().min(0).max(365).optional(),
  visibility: z.enum(['public', 'private']).optional(),
  terms: z.string().max(20_000).optional(),
  exclusivityNote: z.string().max(2000).optional(),
  fallbackUrl: httpUrl.nullable().optional(),
  browserSales: z.boolean().optional().describe('let the browser tracker report sales (forgeable: kept with trust "browser"); default false'),
};

export const createProgramBody = z
  .object({
    merchantId: z.string().max(200),
    ...programFields,
    currency: currencyCode.optional(),
    status: z.enum(['draft', 'active']).optional(),
    plan: commissionPlanSchema,
  })
  .strict();

export const updateProgramBody = z
  .object(programFields)
  .partial()
  .extend({
    status: programStatus.optional(),
    description: z.string().trim().max(5000).nullable().optional(),
    category: z.string().trim().min(1).max(100).nullable().optional(),
    terms: z.string().max(20_000).nullable().optional(),
    exclusivityNote: z.string().max(2000).nullable().optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: 'give at least one field to change' });

export const planVersionSchema = z.object({
  id: z.string(),
  version: z.number().int(),
  plan: z.record(z.string(), z.unknown()),
  effectiveFrom: z.string(),
  createdAt: z.string(),
});

export const programSchema = z.object({
  id: z.string(),
  merchantId: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  category: z.string().nullable(),
  landingUrl: z.string(),
  allowedDomains: z.array(z.string()),
  trackingParam: z.string(),
  cookieDays: z.number().int(),
  attributionModel: z.enum(['last_click', 'first_click']),
  enrollmentMode: z.enum(['auto', 'manual', 'invite_only']),
  approvalMode: z.enum(['auto', 'manual']),
  holdDays: z.number().int(),
  currency: z.string(),
  status: programStatus,
  visibility: z.enum(['public', 'private']),
  terms: z.string().nullable(),
  exclusivityNote: z.string().nullable(),
  fallbackUrl: z.string().nullable(),
  browserSales: z.boolean(),
  plan: planVersionSchema.nullable().describe('the plan version in force now'),
  upcomingPlan: planVersionSchema.nullable().describe('a version that takes effect later, if any'),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const programListQuery = listQuery
  .extend({
    merchantId: z.string().max(200).optional(),
    status: programStatus.optional(),
    q: z.string().trim().min(1).max(100).optional(),
  })
  .strict();

export const createPlanVersionBody = z
  .object({
    plan: commissionPlanSchema,
    effectiveFrom: timestamp.optional().describe('when the version takes effect (default: now); never in the past'),
  })
  .strict();

export const groupSchema = z.object({
  id: z.string(),
  programId: z.string(),
  name: z.string(),
  planOverride: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const createGroupBody = z.object({ name: displayName, planOverride: planOverrideSchema.default({}) }).strict();
export const updateGroupBody = z
  .object({ name: displayName.optional(), planOverride: planOverrideSchema.optional() })
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: 'give at least one field to change' });
export const groupParams = z.object({ id: z.string().max(200), groupId: z.string().max(200) }).strict();
