/**
 * Notification mails: plain, short, rendered to text and to simple HTML (every
 * interpolated value is HTML-escaped).
 *
 * Event payload fields each template expects (written by the code that records the event
 * with `recordEvent`; `networkName` falls back to the tenant's name when absent):
 *
 * | event / template    | recipient        | payload fields                                        |
 * |---------------------|------------------|-------------------------------------------------------|
 * | `network.created`   | the owner        | `email`, `name`, `networkName?`                       |
 * | `affiliate.created` | the affiliate    | `email`, `name`, `networkName?`                       |
 * | `member.added`      | the added user   | `email`, `name`, `merchantName`, `role?`              |
 * | `api_key.created`   | the key's creator| `email`, `name?`, `keyName`, `keyPrefix`, `merchantName?` |
 */
import { z } from 'zod';

const email = z.email().transform((v) => v.toLowerCase());
const text = z.string().trim().min(1).max(200);

/** Payload schemas, non-strict: events may carry more than the mail needs. */
export const templatePayloads = {
  'network.created': z.object({ email, name: text, networkName: text.optional() }),
  'affiliate.created': z.object({ email, name: text, networkName: text.optional() }),
  'member.added': z.object({ email, name: text, merchantName: text, role: text.optional() }),
  'api_key.created': z.object({
    email,
    name: text.optional(),
    keyName: text,
    keyPrefix: text,
    merchantName: text.optional(),
  }),
} as const;

export type TemplateName = keyof typeof templatePayloads;
export type TemplatePayload<T extends TemplateName> = z.infer<(typeof templatePayloads)[T]>;

export interface RenderedEmail {
  to: string;
  subject: string;
  text: string;
  html: string;
  template: TemplateName;
}

export function isTemplateName(value: string): value is TemplateName {
  return Object.hasOwn(templatePayloads, value);
}

export function escapeHtml(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

/** A mail as paragraphs: joined with blank lines for text, `<p>` (escaped) for HTML. */
function compose(template: TemplateName, to: string, subject: string, paragraphs: string[]): RenderedEmail {
  const body = paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n');
  return {
    to,
    subject,
    template,
    text: `${paragraphs.join('\n\n')}\n`,
    html: `<!doctype html>\n<html><body style="font-family:sans-serif;line-height:1.5">\n${body}\n</body></html>\n`,
  };
}

/** Renders `template` for a payload already validated with `templatePayloads[template]`. */
export function renderTemplate<T extends TemplateName>(template: T, payload: TemplatePayload<T>, context: { networkName: string }): RenderedEmail {
  switch (template) {
    case 'network.created': {
      const p = payload as TemplatePayload<'network.created'>;
      const network = p.networkName ?? context.networkName;
      return compose(template, p.email, `Welcome to ${network}`, [
        `Hello ${p.name},`,
        `Your affiliate network ${network} is ready. You are its owner: you can now add merchants, invite affiliates and create programs.`,
        'If you did not create this network, reply to this message.',
      ]);
    }
    case 'affiliate.created': {
      const p = payload as TemplatePayload<'affiliate.created'>;
      const network = p.networkName ?? context.networkName;
      return compose(template, p.email, `Welcome to ${network}`, [
        `Hello ${p.name},`,
        `Your affiliate account with ${network} has been created. You can now join programs and start promoting them with your tracked links.`,
      ]);
    }
    case 'member.added': {
      const p = payload as TemplatePayload<'member.added'>;
      const role = p.role ? ` as ${p.role}` : '';
      return compose(template, p.email, `You were added to ${p.merchantName}`, [
        `Hello ${p.name},`,
        `You were added to the merchant ${p.merchantName}${role} on ${context.networkName}.`,
      ]);
    }
    case 'api_key.created': {
      const p = payload as TemplatePayload<'api_key.created'>;
      const owner = p.merchantName ? ` for ${p.merchantName}` : '';
      return compose(template, p.email, 'Security notice: a new API key was created', [
        p.name ? `Hello ${p.name},` : 'Hello,',
        `A new API key "${p.keyName}" (${p.keyPrefix}…) was created${owner} on ${context.networkName}.`,
        'If you did not expect this, revoke the key right away and review your account access.',
      ]);
    }
    default:
      throw new Error(`Unknown email template ${String(template)}`);
  }
}
