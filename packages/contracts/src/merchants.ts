import { z } from 'zod';
import { currencyCode, displayName, email, httpUrl, listQuery, password, personName } from './common';

export const merchantRole = z.enum(['owner', 'admin', 'finance', 'analyst']);

export const merchantSchema = z.object({
  id: z.string(),
  name: z.string(),
  website: z.string().nullable(),
  status: z.enum(['active', 'suspended']),
  defaultCurrency: z.string(),
  storeCustomerEmails: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const createMerchantBody = z
  .object({
    name: displayName,
    website: httpUrl.optional(),
    defaultCurrency: currencyCode.optional(),
    owner: z.object({ name: personName, email, password }).strict(),
  })
  .strict();

export const updateMerchantBody = z
  .object({
    name: displayName.optional(),
    website: httpUrl.nullable().optional(),
    defaultCurrency: currencyCode.optional(),
    status: z.enum(['active', 'suspended']).optional(),
    storeCustomerEmails: z
      .boolean()
      .optional()
      .describe('keep customer e-mail addresses of conversions in clear (always kept hashed for matching); default false'),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: 'give at least one field to change' });

export const merchantListQuery = listQuery
  .extend({
    status: z.enum(['active', 'suspended']).optional(),
    q: z.string().trim().min(1).max(100).optional(),
  })
  .strict();

export const merchantUserSchema = z.object({
  userId: z.string(),
  name: z.string(),
  email: z.string(),
  role: merchantRole,
  addedAt: z.string(),
});

export const addMerchantUserBody = z
  .object({
    name: personName,
    email,
    /** Needed when the email has no account in this network yet. */
    password: password.optional(),
    role: merchantRole,
  })
  .strict();

export const updateMerchantUserBody = z.object({ role: merchantRole }).strict();
export const merchantUserParams = z.object({ id: z.string().max(200), userId: z.string().max(200) }).strict();
