import { z } from 'zod';
import { displayName, listQuery } from './common';

const base = { programId: z.string().max(200), name: displayName };

/** Banners come as base64 in JSON (≤ 2 MiB decoded; PNG, JPEG, GIF or WebP). Text links,
 *  email templates and guidelines carry a body; in text links and email templates
 *  `{{link}}` is replaced by each affiliate's own tracking link. */
export const createCreativeBody = z.discriminatedUnion('type', [
  z
    .object({
      ...base,
      type: z.literal('banner'),
      image: z.object({ contentType: z.enum(['image/png', 'image/jpeg', 'image/gif', 'image/webp']), dataBase64: z.string().min(4).max(3_000_000) }).strict(),
      alt: z.string().trim().max(300).optional(),
    })
    .strict(),
  z.object({ ...base, type: z.literal('text_link'), body: z.string().trim().min(1).max(500) }).strict(),
  z.object({ ...base, type: z.literal('email'), body: z.string().min(1).max(100_000) }).strict(),
  z.object({ ...base, type: z.literal('guidelines'), body: z.string().min(1).max(100_000) }).strict(),
]);

export const creativeSchema = z.object({
  id: z.string(),
  programId: z.string(),
  type: z.enum(['banner', 'text_link', 'email', 'guidelines']),
  name: z.string(),
  body: z.string().nullable(),
  imageUrl: z.string().nullable(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  status: z.enum(['active', 'archived']),
  trackingUrl: z.string().nullable().describe("for affiliates: their default link in the creative's program"),
  html: z.string().nullable().describe('for affiliates: ready-to-paste code with their link embedded'),
  createdAt: z.string(),
});

export const creativeListQuery = listQuery
  .extend({ programId: z.string().max(200).optional(), type: z.enum(['banner', 'text_link', 'email', 'guidelines']).optional() })
  .strict();

export const updateCreativeBody = z
  .object({ name: displayName.optional(), status: z.enum(['active', 'archived']).optional(), body: z.string().min(1).max(100_000).optional() })
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: 'give at least one field to change' });
