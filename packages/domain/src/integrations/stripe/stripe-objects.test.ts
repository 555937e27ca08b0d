import { describe, expect, it } from 'vitest';
import { DomainError } from '../../shared/errors';
import {
  type CheckoutSession,
  chargeSchema,
  checkoutClickId,
  checkoutSessionSchema,
  distinctRefs,
  invoiceSchema,
  invoiceSubscription,
  invoiceSubscriptionMetadata,
  parseStripeEvent,
  parseStripeObject,
} from './stripe-objects';

const event = (type: string, object: Record<string, unknown>) =>
  parseStripeEvent({ id: 'evt_1', object: 'event', type, created: 1_700_000_000, data: { object } });

function session(extra: Record<string, unknown>): CheckoutSession {
  return parseStripeObject(checkoutSessionSchema, event('checkout.session.completed', { id: 'cs_1', mode: 'payment', ...extra }), 'a session');
}

function validation(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError && error.code === 'validation_failed') return error;
    throw error;
  }
  throw new Error('expected validation_failed');
}

describe('parseStripeEvent', () => {
  it.each([
    ['an array', []],
    ['a string', 'evt_1'],
    ['no id', { object: 'event', type: 'x', created: 1, data: { object: {} } }],
    ['another object', { id: 'ch_1', object: 'charge', type: 'x', created: 1, data: { object: {} } }],
    ['no data.object', { id: 'evt_1', object: 'event', type: 'x', created: 1, data: {} }],
    ['a created that is not a number', { id: 'evt_1', object: 'event', type: 'x', created: '1', data: { object: {} } }],
  ])('refuses %s', (_label, json) => {
    expect(validation(() => parseStripeEvent(json)).details?.errors).toBeDefined();
  });
});

describe('checkout sessions', () => {
  it('reads the click id from client_reference_id, else metadata.aff_click_id, else metadata.click_id', () => {
    expect(checkoutClickId(session({ client_reference_id: ' clk_a ', metadata: { aff_click_id: 'clk_b' } }))).toBe('clk_a');
    expect(checkoutClickId(session({ client_reference_id: null, metadata: { aff_click_id: 'clk_b', click_id: 'clk_c' } }))).toBe('clk_b');
    expect(checkoutClickId(session({ metadata: { click_id: 'clk_c' } }))).toBe('clk_c');
    expect(checkoutClickId(session({ client_reference_id: '', metadata: null }))).toBeNull();
    expect(checkoutClickId(session({ client_reference_id: 'x'.repeat(201) }))).toBeNull();
  });

  it('takes expanded references by their id and upper-cases the currency', () => {
    const s = session({ customer: { id: 'cus_1', object: 'customer' }, payment_intent: 'pi_1', currency: 'eur', amount_total: 2000 });
    expect(s).toMatchObject({ customer: 'cus_1', payment_intent: 'pi_1', currency: 'EUR', amount_total: 2000 });
  });

  it('refuses amounts that are not whole non-negative numbers, naming the field', () => {
    for (const amount_total of [12.5, -1, '2000']) {
      const error = validation(() => session({ amount_total }));
      expect(error.details?.errors).toEqual([expect.objectContaining({ path: 'data.object.amount_total' })]);
    }
  });
});

describe('invoices and charges across API versions', () => {
  it('finds the subscription and its metadata where each version puts them', () => {
    const legacy = parseStripeObject(
      invoiceSchema,
      event('invoice.paid', {
        id: 'in_1',
        amount_paid: 1,
        currency: 'usd',
        subscription: 'sub_1',
        subscription_details: { metadata: { program_id: 'prg_1' } },
      }),
      'an invoice',
    );
    expect(invoiceSubscription(legacy)).toBe('sub_1');
    expect(invoiceSubscriptionMetadata(legacy)).toEqual({ program_id: 'prg_1' });
    const basil = parseStripeObject(
      invoiceSchema,
      event('invoice.paid', {
        id: 'in_2',
        amount_paid: 1,
        currency: 'usd',
        parent: { type: 'subscription_details', subscription_details: { subscription: 'sub_2', metadata: { aff_click_id: 'clk_1' } } },
      }),
      'an invoice',
    );
    expect(invoiceSubscription(basil)).toBe('sub_2');
    expect(invoiceSubscriptionMetadata(basil)).toEqual({ aff_click_id: 'clk_1' });
    expect(basil.payment_intent).toBeNull();
  });

  it('reads a charge without an invoice (API 2025-03-31 and later)', () => {
    const charge = parseStripeObject(
      chargeSchema,
      event('charge.refunded', { id: 'ch_1', amount: 2000, amount_refunded: 500, currency: 'eur', payment_intent: 'pi_1' }),
      'a charge',
    );
    expect(charge).toMatchObject({ invoice: null, payment_intent: 'pi_1', currency: 'EUR' });
  });

  it('drops empty and repeated references', () => {
    expect(distinctRefs('pi_1', null, undefined, '', 'pi_1', 'in_1')).toEqual(['pi_1', 'in_1']);
  });
});
