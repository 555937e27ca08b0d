import { z } from 'zod';
import { listQuery } from './common';

export const linkStatus = z.enum(['active', 'disabled']);

/** Printable text only: no control, format (zero-width, bidi) or unassigned characters,
 *  which would end up in reports, CSV exports and postback URLs. */
const PRINTABLE = /^[^\p{C}]*$/u;

const subId = z.string().min(1).max(255).regex(PRINTABLE, 'must be printable text (no control or invisible characters)');
const label = z.string().trim().min(1).max(200).regex(PRINTABLE, 'must be printable text (no control or invisible characters)');
// Checked against the program's allowed domains by the domain layer, which names the
// reason (wrong host, credentials, scheme…); here only the size is bounded.
const destinationUrl = z.string().min(1).max(2048).describe("a deep link on one of the program's allowed domains (default: its landing page)");

const subIds = {
  sub1: subId.optional(),
  sub2: subId.optional(),
  sub3: subId.optional(),
  sub4: subId.optional(),
  sub5: subId.optional(),
};

export const createLinkBody = z
  .object({
    programId: z.string().max(200),
    destinationUrl: destinationUrl.optional(),
    label: label.optional(),
    ...subIds,
  })
  .strict();

export const updateLinkBody = z
  .object({
    destinationUrl: destinationUrl.nullable().optional().describe("a new deep link; null goes back to the program's landing page"),
    label: label.nullable().optional(),
    sub1: subId.nullable().optional(),
    sub2: subId.nullable().optional(),
    sub3: subId.nullable().optional(),
    sub4: subId.nullable().optional(),
    sub5: subId.nullable().optional(),
    status: linkStatus.optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: 'give at least one field to change' });

export const linkListQuery = listQuery
  .extend({
    programId: z.string().max(200).optional(),
    affiliateId: z.string().max(200).optional(),
    status: linkStatus.optional(),
  })
  .strict();

export const linkSchema = z.object({
  id: z.string(),
  code: z.string(),
  url: z.string().describe('the tracked URL to share: <public URL>/c/<code>'),
  programId: z.string(),
  affiliateId: z.string(),
  destinationUrl: z.string(),
  label: z.string().nullable(),
  sub1: z.string().nullable(),
  sub2: z.string().nullable(),
  sub3: z.string().nullable(),
  sub4: z.string().nullable(),
  sub5: z.string().nullable(),
  isDefault: z.boolean().describe("the enrollment's default link, created on approval"),
  status: linkStatus,
  createdAt: z.string(),
  updatedAt: z.string(),
});
