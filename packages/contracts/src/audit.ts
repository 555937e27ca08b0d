import { z } from 'zod';
import { listQuery } from './common';

export const auditEntrySchema = z.object({
  id: z.string(),
  actorType: z.string(),
  actorId: z.string().nullable(),
  action: z.string(),
  subjectType: z.string(),
  subjectId: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  requestId: z.string().nullable(),
  ip: z.string().nullable(),
  createdAt: z.string(),
});

export const auditListQuery = listQuery
  .extend({
    action: z.string().max(100).optional(),
    subjectId: z.string().max(100).optional(),
  })
  .strict();

export const emailSchema = z.object({
  id: z.string(),
  toAddress: z.string(),
  subject: z.string(),
  textBody: z.string(),
  htmlBody: z.string().nullable(),
  template: z.string(),
  status: z.enum(['stored', 'sent', 'failed']),
  transport: z.string(),
  error: z.string().nullable(),
  createdAt: z.string(),
  sentAt: z.string().nullable(),
});

export const emailListQuery = listQuery
  .extend({
    status: z.enum(['stored', 'sent', 'failed']).optional(),
  })
  .strict();
