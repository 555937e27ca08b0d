import { randomBytes } from 'node:crypto';
import { createPrisma, type PrismaClient } from '@app/db/client';
import { newId } from '@app/db/ids';
import { createTestDatabase, type TestDatabase } from '@app/db/testing/test-database';
import { withTenant } from '@app/db/with-tenant';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailMessage, MailTransport } from './create-mail-transport';
import { listEmails } from './list-emails';
import { type QueueEmailInput, queueEmail } from './queue-email';
import { sendEmail } from './send-email';

let db: TestDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await createTestDatabase('notifications');
  prisma = createPrisma({ url: db.appUrl });
}, 30_000);

afterAll(async () => {
  await prisma.$disconnect();
  await db.drop();
});

async function createTenant(): Promise<string> {
  const id = newId('tenant');
  await withTenant(prisma, id, (tx) => tx.tenant.create({ data: { id, slug: `n-${randomBytes(4).toString('hex')}`, name: 'Net', defaultCurrency: 'EUR' } }));
  return id;
}

function mail(tenantId: string, dedupeKey: string): QueueEmailInput {
  return { tenantId, dedupeKey, to: 'x@example.com', subject: `S ${dedupeKey}`, text: 'T', html: '<p>T</p>', template: 'network.created' };
}

/** An SMTP stand-in recording what it was asked to send (SMTP itself is exercised by the
 *  worker's end-to-end tests against a real SMTP conversation). */
function recordingTransport(fail = false): MailTransport & { sent: MailMessage[] } {
  const sent: MailMessage[] = [];
  return {
    sent,
    async send(message) {
      if (fail) throw new Error('421 service not available');
      sent.push(message);
      return { messageId: `<${sent.length}@test>` };
    },
    close() {},
  };
}

describe('queueEmail', () => {
  it('stores once per dedupe key and schedules delivery once when SMTP is configured', async () => {
    const tenantId = await createTenant();
    const first = await withTenant(prisma, tenantId, (tx) => queueEmail(tx, mail(tenantId, 'k1'), { smtpConfigured: true }));
    const again = await withTenant(prisma, tenantId, (tx) => queueEmail(tx, mail(tenantId, 'k1'), { smtpConfigured: true }));
    expect(first.created).toBe(true);
    expect(again).toEqual({ id: first.id, created: false });

    await withTenant(prisma, tenantId, async (tx) => {
      const rows = await tx.email.findMany();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ id: first.id, status: 'stored', transport: 'smtp', toAddress: 'x@example.com' });
      const outbox = await tx.outbox.findMany();
      expect(outbox.map((o) => [o.topic, o.payload])).toEqual([['email.send', { emailId: first.id }]]);
    });
  });

  it('without SMTP only stores the mail (transport none, nothing scheduled)', async () => {
    const tenantId = await createTenant();
    await withTenant(prisma, tenantId, (tx) => queueEmail(tx, mail(tenantId, 'k1'), { smtpConfigured: false }));
    await withTenant(prisma, tenantId, async (tx) => {
      expect((await tx.email.findMany()).map((e) => [e.status, e.transport])).toEqual([['stored', 'none']]);
      expect(await tx.outbox.count()).toBe(0);
    });
  });

  it('leaves the caller transaction usable after a duplicate', async () => {
    const tenantId = await createTenant();
    await withTenant(prisma, tenantId, (tx) => queueEmail(tx, mail(tenantId, 'dup'), { smtpConfigured: false }));
    const count = await withTenant(prisma, tenantId, async (tx) => {
      await queueEmail(tx, mail(tenantId, 'dup'), { smtpConfigured: false });
      await queueEmail(tx, mail(tenantId, 'other'), { smtpConfigured: false });
      return tx.email.count();
    });
    expect(count).toBe(2);
  });
});

describe('sendEmail', () => {
  it('sends a stored mail once and marks it sent; a repeat sends nothing', async () => {
    const tenantId = await createTenant();
    const { id } = await withTenant(prisma, tenantId, (tx) => queueEmail(tx, mail(tenantId, 's'), { smtpConfigured: true }));
    const transport = recordingTransport();
    expect(await sendEmail(prisma, tenantId, id, transport)).toBe('sent');
    expect(await sendEmail(prisma, tenantId, id, transport)).toBe('already_sent');
    expect(transport.sent).toEqual([{ to: 'x@example.com', subject: 'S s', text: 'T', html: '<p>T</p>' }]);
    const row = await withTenant(prisma, tenantId, (tx) => tx.email.findUniqueOrThrow({ where: { id } }));
    expect(row.status).toBe('sent');
    expect(row.sentAt).toBeInstanceOf(Date);
  });

  it('records the error and rethrows; only the final attempt marks it failed', async () => {
    const tenantId = await createTenant();
    const { id } = await withTenant(prisma, tenantId, (tx) => queueEmail(tx, mail(tenantId, 'f'), { smtpConfigured: true }));
    const broken = recordingTransport(true);
    const read = () => withTenant(prisma, tenantId, (tx) => tx.email.findUniqueOrThrow({ where: { id } }));

    await expect(sendEmail(prisma, tenantId, id, broken)).rejects.toThrow('421');
    expect(await read()).toMatchObject({ status: 'stored', error: '421 service not available' });
    await expect(sendEmail(prisma, tenantId, id, broken, { finalAttempt: true })).rejects.toThrow('421');
    expect(await read()).toMatchObject({ status: 'failed', sentAt: null });
  });

  it('answers not_found for a mail of another tenant', async () => {
    const owner = await createTenant();
    const other = await createTenant();
    const { id } = await withTenant(prisma, owner, (tx) => queueEmail(tx, mail(owner, 'x'), { smtpConfigured: true }));
    const transport = recordingTransport();
    await expect(sendEmail(prisma, other, id, transport)).rejects.toMatchObject({ code: 'not_found' });
    expect(transport.sent).toEqual([]);
  });
});

describe('listEmails', () => {
  it('pages newest first with opaque cursors, filters by status, sees only its tenant', async () => {
    const tenantId = await createTenant();
    const otherTenant = await createTenant();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await withTenant(prisma, tenantId, (tx) => queueEmail(tx, mail(tenantId, `p${i}`), { smtpConfigured: false }))).id);
    }
    await withTenant(prisma, otherTenant, (tx) => queueEmail(tx, mail(otherTenant, 'p0'), { smtpConfigured: false }));
    await withTenant(prisma, tenantId, (tx) => tx.email.update({ where: { id: ids[1] }, data: { status: 'sent' } }));

    const seen: string[] = [];
    let cursor: string | undefined;
    const sizes: number[] = [];
    do {
      const page = await withTenant(prisma, tenantId, (tx) => listEmails(tx, { limit: 2, cursor }));
      sizes.push(page.data.length);
      seen.push(...page.data.map((e) => e.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(sizes).toEqual([2, 2, 1]);
    expect(seen).toEqual([...ids].reverse());

    const sent = await withTenant(prisma, tenantId, (tx) => listEmails(tx, { limit: 10, status: 'sent' }));
    expect(sent.data.map((e) => e.id)).toEqual([ids[1]]);
    expect(sent.nextCursor).toBeNull();
    await expect(withTenant(prisma, tenantId, (tx) => listEmails(tx, { limit: 2, cursor: 'garbage!' }))).rejects.toMatchObject({
      code: 'bad_request',
    });
  });
});
