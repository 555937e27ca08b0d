import { randomBytes } from 'node:crypto';
import { createPrisma, type PrismaClient } from '@app/db/client';
import { newId } from '@app/db/ids';
import { createTestDatabase, type TestDatabase } from '@app/db/testing/test-database';
import { withTenant } from '@app/db/with-tenant';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchEvent } from './dispatch-event';
import { type EventType, recordEvent } from './record-event';

let db: TestDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await createTestDatabase('dispatch');
  prisma = createPrisma({ url: db.appUrl });
}, 30_000);

afterAll(async () => {
  await prisma.$disconnect();
  await db.drop();
});

async function tenantWithEvent(type: EventType, payload: Record<string, unknown>): Promise<{ tenantId: string; eventId: string }> {
  const tenantId = newId('tenant');
  const eventId = await withTenant(prisma, tenantId, async (tx) => {
    await tx.tenant.create({ data: { id: tenantId, slug: `d-${randomBytes(4).toString('hex')}`, name: 'Globex Partners', defaultCurrency: 'EUR' } });
    return recordEvent(tx, { tenantId, type, subjectType: 'x', subjectId: 'x_1', payload });
  });
  return { tenantId, eventId };
}

const emailsOf = (tenantId: string) => withTenant(prisma, tenantId, (tx) => tx.email.findMany());

describe('dispatchEvent', () => {
  it('writes the notification once, however often the event is dispatched', async () => {
    const { tenantId, eventId } = await tenantWithEvent('affiliate.created', { email: 'ann@example.com', name: 'Ann' });
    const first = await dispatchEvent(prisma, tenantId, eventId, { smtpConfigured: false });
    const second = await dispatchEvent(prisma, tenantId, eventId, { smtpConfigured: false });
    expect(second.emailIds).toEqual(first.emailIds);
    const emails = await emailsOf(tenantId);
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({
      dedupeKey: `${eventId}:affiliate.created`,
      toAddress: 'ann@example.com',
      subject: 'Welcome to Globex Partners', // the tenant's name when the payload has none
      template: 'affiliate.created',
      status: 'stored',
    });
  });

  it('mails the member and the key creator', async () => {
    const member = await tenantWithEvent('member.added', { email: 'max@example.com', name: 'Max', merchantName: 'Shoes Ltd' });
    await dispatchEvent(prisma, member.tenantId, member.eventId, { smtpConfigured: true });
    expect((await emailsOf(member.tenantId)).map((e) => e.subject)).toEqual(['You were added to Shoes Ltd']);

    const key = await tenantWithEvent('api_key.created', { email: 'dev@example.com', keyName: 'ci', keyPrefix: 'sk_ab' });
    await dispatchEvent(prisma, key.tenantId, key.eventId, { smtpConfigured: true });
    const [mail] = await emailsOf(key.tenantId);
    expect(mail).toMatchObject({ toAddress: 'dev@example.com', transport: 'smtp', template: 'api_key.created' });
    const topics = await withTenant(prisma, key.tenantId, (tx) => tx.outbox.findMany({ orderBy: { id: 'asc' } }));
    expect(topics.map((o) => o.topic)).toEqual(['events.dispatch', 'email.send']);
  });

  it('does nothing for event types without a consumer', async () => {
    const { tenantId, eventId } = await tenantWithEvent('merchant.created', { email: 'm@example.com', name: 'M' });
    expect(await dispatchEvent(prisma, tenantId, eventId, { smtpConfigured: true })).toEqual({ eventType: 'merchant.created', emailIds: [] });
    expect(await emailsOf(tenantId)).toEqual([]);
  });

  it('refuses an event whose payload lacks the recipient, and an event of another tenant', async () => {
    const { tenantId, eventId } = await tenantWithEvent('network.created', { name: 'No Mail' });
    await expect(dispatchEvent(prisma, tenantId, eventId, { smtpConfigured: false })).rejects.toMatchObject({ code: 'validation_failed' });
    expect(await emailsOf(tenantId)).toEqual([]);

    const other = await tenantWithEvent('network.created', { email: 'o@example.com', name: 'O' });
    await expect(dispatchEvent(prisma, tenantId, other.eventId, { smtpConfigured: false })).rejects.toMatchObject({ code: 'not_found' });
  });
});
