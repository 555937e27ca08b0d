import { z } from 'zod';
import { DomainError } from '../../shared/errors';

/**
 * The parts of Stripe's event and object shapes the webhook reads, checked before use.
 * Objects are read loosely (Stripe adds fields over time, and an endpoint's API version
 * decides which ones an event carries): fields removed by Stripe's 2025-03-31 API version
 * (an invoice's payment_intent, charge and subscription; a charge's invoice) are optional.
 */

const stripeId = z.string().min(1).max(255);

/** An expandable reference: the id, or the object carrying it when expanded. */
const ref = z
  .union([stripeId, z.looseObject({ id: stripeId })])
  .nullish()
  .transform((v) => (v == null ? null : typeof v === 'string' ? v : v.id));

const amount = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const currency = z
  .string()
  .regex(/^[A-Za-z]{3}$/, 'must be a three-letter currency code')
  .transform((c) => c.toUpperCase());
const metadata = z
  .record(z.string(), z.unknown())
  .nullish()
  .transform((m) => m ?? {});

export const stripeEventSchema = z.looseObject({
  id: stripeId,
  object: z.literal('event'),
  type: z.string().min(1).max(200),
  created: z.number().int().min(0),
  data: z.looseObject({ object: z.record(z.string(), z.unknown()) }),
});

export const checkoutSessionSchema = z.looseObject({
  id: stripeId,
  mode: z.string(),
  client_reference_id: z.string().nullish(),
  metadata,
  customer: ref,
  customer_details: z.looseObject({ email: z.string().nullish() }).nullish(),
  customer_email: z.string().nullish(),
  amount_total: amount.nullish(),
  currency: currency.nullish(),
  payment_intent: ref,
  payment_status: z.string().nullish(),
  subscription: ref,
});

const subscriptionDetails = z.looseObject({ subscription: ref, metadata }).nullish();

export const invoiceSchema = z.looseObject({
  id: stripeId,
  customer: ref,
  customer_email: z.string().nullish(),
  amount_paid: amount,
  currency,
  billing_reason: z.string().nullish(),
  metadata,
  payment_intent: ref,
  charge: ref,
  subscription: ref,
  subscription_details: subscriptionDetails,
  parent: z.looseObject({ subscription_details: subscriptionDetails }).nullish(),
  status_transitions: z.looseObject({ paid_at: z.number().int().min(0).nullish() }).nullish(),
});

export const chargeSchema = z.looseObject({
  id: stripeId,
  amount,
  amount_refunded: amount,
  currency,
  refunded: z.boolean().nullish(),
  invoice: ref,
  payment_intent: ref,
});

export const invoicePaymentSchema = z.looseObject({
  id: stripeId,
  invoice: ref,
  payment: z.looseObject({ type: z.string().nullish(), payment_intent: ref, charge: ref }).nullish(),
});

export type StripeEvent = z.infer<typeof stripeEventSchema>;
export type CheckoutSession = z.infer<typeof checkoutSessionSchema>;
export type Invoice = z.infer<typeof invoiceSchema>;
export type Charge = z.infer<typeof chargeSchema>;
export type InvoicePayment = z.infer<typeof invoicePaymentSchema>;

/** Parses a signed body's JSON as an event, or says which fields are wrong (400). */
export function parseStripeEvent(json: unknown): StripeEvent {
  return parseOrThrow(stripeEventSchema, json, '', 'The body is not a Stripe event (id, object "event", type, created, data.object).');
}

/** Reads an event's data.object as the object its type promises. */
export function parseStripeObject<T extends z.ZodType>(schema: T, event: StripeEvent, what: string): z.output<T> {
  return parseOrThrow(schema, event.data.object, 'data.object', `The ${event.type} event's data.object is not ${what}.`);
}

function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, prefix: string, message: string): z.output<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const errors = parsed.error.issues.slice(0, 20).map((i) => ({
    path: [prefix, ...i.path.map(String)].filter(Boolean).join('.') || 'body',
    message: i.message,
  }));
  throw new DomainError('validation_failed', message, { errors });
}

/** A metadata value as a trimmed, non-empty string of at most `max` characters. */
export function metadataString(m: Record<string, unknown>, key: string, max = 200): string | null {
  const v = m[key];
  if (typeof v !== 'string') return null;
  const t = v.trim();
  return t.length > 0 && t.length <= max ? t : null;
}

/** The tracker's click id a checkout carries: client_reference_id, else metadata. */
export function checkoutClickId(session: CheckoutSession): string | null {
  const reference = session.client_reference_id?.trim();
  if (reference && reference.length <= 200) return reference;
  return metadataString(session.metadata, 'aff_click_id') ?? metadataString(session.metadata, 'click_id');
}

/** The subscription an invoice bills, under every API version's field. */
export function invoiceSubscription(invoice: Invoice): string | null {
  return invoice.parent?.subscription_details?.subscription ?? invoice.subscription ?? invoice.subscription_details?.subscription ?? null;
}

/** The subscription's metadata copied onto the invoice (where the API version puts it). */
export function invoiceSubscriptionMetadata(invoice: Invoice): Record<string, unknown> {
  return invoice.parent?.subscription_details?.metadata ?? invoice.subscription_details?.metadata ?? {};
}

/** Drops empty and repeated references. */
export function distinctRefs(...refs: (string | null | undefined)[]): string[] {
  return [...new Set(refs.filter((r): r is string => typeof r === 'string' && r.length > 0))];
}
