import { z } from 'zod';
import { currencyCode, listQuery, timestamp } from './common';

export const createFxRateBody = z
  .object({
    from: currencyCode,
    to: currencyCode,
    rate: z
      .string()
      .regex(/^\d{1,10}(\.\d{1,9})?$/, 'must be a decimal string with at most 9 decimals, e.g. "0.9215"')
      .describe('units of `to` per unit of `from`'),
    effectiveFrom: timestamp.optional().describe('default: now'),
  })
  .strict();

export const fxRateSchema = z.object({ id: z.string(), from: z.string(), to: z.string(), rate: z.string(), effectiveFrom: z.string(), createdAt: z.string() });

export const fxRateListQuery = listQuery.extend({ from: currencyCode.optional(), to: currencyCode.optional() }).strict();
