import { describe, expect, it } from 'vitest';
import { escapeHtml, renderTemplate, type TemplateName, templatePayloads } from './templates';

const context = { networkName: 'Acme <Net>' };

describe('notification templates', () => {
  it.each<[TemplateName, Record<string, unknown>, string, string]>([
    ['network.created', { email: 'o@x.test', name: 'Olivia', networkName: 'Acme' }, 'Welcome to Acme', 'Your affiliate network Acme is ready'],
    ['network.created', { email: 'o@x.test', name: 'Olivia' }, 'Welcome to Acme <Net>', 'Your affiliate network Acme <Net> is ready'],
    ['affiliate.created', { email: 'a@x.test', name: 'Ann' }, 'Welcome to Acme <Net>', 'Your affiliate account with Acme <Net>'],
    [
      'member.added',
      { email: 'm@x.test', name: 'Max', merchantName: 'Shoes Ltd', role: 'admin' },
      'You were added to Shoes Ltd',
      'merchant Shoes Ltd as admin',
    ],
    ['api_key.created', { email: 'k@x.test', keyName: 'ci', keyPrefix: 'sk_live_ab12' }, 'Security notice: a new API key was created', '"ci" (sk_live_ab12…)'],
  ])('%s renders subject and text', (template, payload, subject, excerpt) => {
    const mail = renderTemplate(template, templatePayloads[template].parse(payload) as never, context);
    expect(mail.subject).toBe(subject);
    expect(mail.text).toContain(excerpt);
    expect(mail.to).toBe(payload.email);
    expect(mail.template).toBe(template);
  });

  it('escapes every interpolated value in the HTML, never in the text', () => {
    const mail = renderTemplate('member.added', { email: 'm@x.test', name: '<script>x</script>', merchantName: 'A&B "Co"' }, context);
    expect(mail.html).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(mail.html).toContain('A&amp;B &quot;Co&quot;');
    expect(mail.html).toContain('Acme &lt;Net&gt;');
    expect(mail.html).not.toContain('<script>');
    expect(mail.text).toContain('<script>x</script>');
    expect(escapeHtml(`'`)).toBe('&#39;');
  });

  it('refuses payloads without a valid recipient, and lower-cases the address', () => {
    expect(templatePayloads['network.created'].safeParse({ name: 'x' }).success).toBe(false);
    expect(templatePayloads['network.created'].safeParse({ email: 'not-an-email', name: 'x' }).success).toBe(false);
    expect(templatePayloads['member.added'].safeParse({ email: 'a@x.test', name: 'x' }).success).toBe(false);
    expect(templatePayloads['affiliate.created'].parse({ email: 'Ann@X.test', name: 'Ann' }).email).toBe('ann@x.test');
  });
});
