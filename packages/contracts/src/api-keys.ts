import { z } from 'zod';
import { displayName, listQuery } from './common';

export const apiKeySchema = z.object({
  id: z.string(),
  merchantId: z.string(),
  type: z.enum(['secret', 'publishable']),
  name: z.string(),
  prefix: z.string().describe('the first characters of the key, to recognise it'),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  createdAt: z.string(),
});

export const createApiKeyBody = z
  .object({
    merchantId: z.string().max(100),
    type: z.enum(['secret', 'publishable']),
    name: displayName,
  })
  .strict();

export const createdApiKeySchema = apiKeySchema.extend({
  key: z.string().describe('the full key; shown only once'),
});

export const apiKeyListQuery = listQuery
  .extend({
    merchantId: z.string().max(100).optional(),
    includeRevoked: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional(),
  })
  .strict();
