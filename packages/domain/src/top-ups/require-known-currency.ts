import { DomainError } from '../shared/errors';

let known: ReadonlySet<string> | undefined;

/**
 * Refuses a well-formed code that is no currency (`XYZ`): a prepaid account opened in it
 * could never be paid into. The list is ICU's (shipped with Node), the one the money
 * helpers already read minor-unit digits from.
 */
export function requireKnownCurrency(currency: string): void {
  known ??= new Set(Intl.supportedValuesOf('currency'));
  if (!known.has(currency)) {
    throw new DomainError('validation_failed', `${currency} is not an ISO 4217 currency.`, { errors: [{ path: 'currency', message: 'unknown currency' }] });
  }
}
