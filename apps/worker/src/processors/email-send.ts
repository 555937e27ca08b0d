import { type SendEmailResult, sendEmail } from '@app/domain/notifications/send-email';
import type { Job } from 'bullmq';
import { parseJob } from './parse-job';
import type { ProcessorContext } from './processor-context';

export async function processEmailSend(job: Job, ctx: ProcessorContext): Promise<SendEmailResult> {
  const { tenantId, payload } = parseJob('email.send', job.data);
  if (!ctx.mailTransport) {
    // Queued while SMTP was configured, but this worker has none: retry (another worker
    // or a restart with SMTP_URL may deliver it); the mail itself stays `stored`.
    throw new Error('SMTP is not configured on this worker');
  }
  // attemptsMade counts the attempts that already failed; this one is the last when it
  // reaches the job's attempts.
  const finalAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  return sendEmail(ctx.prisma, tenantId, payload.emailId, ctx.mailTransport, { finalAttempt });
}
