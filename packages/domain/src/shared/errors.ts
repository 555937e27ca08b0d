/**
 * The one error type of the domain. Codes are a closed set, stable and snake_case: they
 * reach API clients as the `code` of an RFC 9457 problem, so renaming one breaks them.
 * The API maps each code to an HTTP status in one place (apps/api/src/plugins/errors.ts).
 */
export const ERROR_CODES = {
  validation_failed: 400,
  bad_request: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  invalid_token: 401,
  token_expired: 401,
  api_key_revoked: 401,
  invalid_signature: 401,
  signature_expired: 401,
  refresh_token_reused: 401,
  forbidden: 403,
  account_suspended: 403,
  not_found: 404,
  conflict: 409,
  already_exists: 409,
  idempotency_conflict: 409,
  invalid_state: 409,
  replayed: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class DomainError extends Error {
  override name = 'DomainError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export function notFound(what: string, id?: string): DomainError {
  return new DomainError('not_found', id ? `${what} ${id} was not found.` : `${what} was not found.`, id ? { id } : undefined);
}

export function forbidden(message = 'You do not have permission to do this.'): DomainError {
  return new DomainError('forbidden', message);
}
