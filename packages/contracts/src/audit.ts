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
  to: z.string(),
  subject: z.string(),
  template: z.string(),
  status: z.enum(['stored', 'sent', 'failed']),
  transport: z.string().describe('smtp, or none when no SMTP server is configured'),
  error: z.string().nullable(),
  text: z.string(),
  html: z.string().nullable(),
  createdAt: z.string(),
  sentAt: z.string().nullable(),
});

export const emailListQuery = listQuery
  .extend({
    limit: z.coerce.number().int().min(1).max(100).default(50),
    status: z.enum(['stored', 'sent', 'failed']).optional(),
  })
  .strict();
