import { z } from 'zod';

/** A Stripe webhook endpoint's signing secret: `whsec_` and base64-ish characters. */
export const stripeSigningSecret = z
  .string()
  .trim()
  .regex(/^whsec_[A-Za-z0-9+/=]{16,200}$/, "must be the endpoint's signing secret from the Stripe dashboard (whsec_…)")
  .describe("the Stripe webhook endpoint's signing secret; stored, never shown again");

export const stripeIntegrationBody = z
  .object({
    signingSecret: stripeSigningSecret,
    programId: z.string().min(1).max(200).describe("the merchant's program that Stripe events go to unless an event names another of its programs"),
  })
  .strict();

export const stripeIntegrationSchema = z.object({
  merchantId: z.string(),
  programId: z.string().nullable(),
  webhookUrl: z.string().describe("the URL to enter as the endpoint in Stripe's dashboard"),
  configured: z.boolean(),
  events: z.array(z.string()).describe('the Stripe events to send to it'),
});

export const stripeWebhookParams = z.object({ merchantId: z.string().min(1).max(200) }).strict();

/** What a handled Stripe event did (also kept with the event id). */
export const stripeOutcome = z.enum([
  'sale_recorded',
  'lead_recorded',
  'conversion_exists',
  'refund_applied',
  'refund_waiting',
  'payment_linked',
  'ignored',
  'ignored_zero_amount',
  'ignored_unpaid',
  'ignored_already_refunded',
  'ignored_currency_mismatch',
  'ignored_merchant_suspended',
  'ignored_program_archived',
]);

export const stripeWebhookAnswer = z.object({
  received: z.literal(true),
  duplicate: z.literal(true).optional().describe('the event id was handled before; nothing was done again'),
  outcome: stripeOutcome.optional(),
  conversionId: z.string().optional(),
});

export type StripeOutcome = z.infer<typeof stripeOutcome>;
export type StripeWebhookAnswer = z.infer<typeof stripeWebhookAnswer>;
