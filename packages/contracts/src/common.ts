import { z } from 'zod';

/** Shared building blocks of request/response schemas. Inputs are `.strict()`. */

export const currencyCode = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code in upper case, e.g. EUR')
  .describe('ISO 4217 currency code');

export const email = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email({ message: 'must be a valid email address' }))
  .transform((v) => v.toLowerCase());

export const password = z.string().min(10, 'must be at least 10 characters').max(200, 'must be at most 200 characters');

export const personName = z.string().trim().min(1).max(120);
export const displayName = z.string().trim().min(1).max(200);
export const httpUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).max(2048);

export const slug = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'use lower-case letters, digits and dashes (max 63)');

export const idOf = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[0-9a-z]{26}$`), `must be an id starting with ${prefix}_`);

export const timestamp = z.iso.datetime({ offset: true }).describe('RFC 3339 timestamp');

export const listQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();

export function page<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), nextCursor: z.string().nullable() });
}

export const idParams = z.object({ id: z.string().min(1).max(200) }).strict();

/** RFC 9457 problem details, with the platform's stable `code` and request id. */
export const problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    code: z.string(),
    requestId: z.string(),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string(), code: z.string().optional() })).optional(),
  })
  .passthrough();

/** The problem responses every authenticated route may give, for the OpenAPI document. */
export const problemResponses = { 400: problem, 401: problem, 403: problem, 404: problem, 409: problem, 429: problem } as const;
