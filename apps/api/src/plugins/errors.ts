import { DomainError, ERROR_CODES, type ErrorCode } from '@app/domain/shared/errors';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';

/**
 * The one mapping from errors to RFC 9457 problem+json. Domain errors carry a stable
 * code; validation errors list every offending field; anything unexpected becomes a
 * generic 500 that names the request id (and is logged with its stack).
 */

const TITLES: Record<ErrorCode, string> = {
  validation_failed: 'Your request has invalid fields',
  bad_request: 'Bad request',
  unauthenticated: 'Authentication required',
  invalid_credentials: 'Wrong sign-in details',
  invalid_token: 'Invalid credentials',
  token_expired: 'Token expired',
  api_key_revoked: 'API key revoked',
  invalid_signature: 'Signature not valid',
  signature_expired: 'Signature too old or too new',
  refresh_token_reused: 'Session revoked',
  forbidden: 'Not allowed',
  account_suspended: 'Account suspended',
  not_found: 'Not found',
  conflict: 'Conflict',
  already_exists: 'Already exists',
  idempotency_conflict: 'Idempotency key reused with a different request',
  invalid_state: 'Not possible in the current state',
  replayed: 'Request already received',
  payload_too_large: 'Request body too large',
  unsupported_media_type: 'Unsupported content type',
  rate_limited: 'Too many requests',
  internal_error: 'Internal server error',
  service_unavailable: 'Service unavailable',
};

export interface FieldError {
  path: string;
  message: string;
  code?: string;
}

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  code: ErrorCode,
  detail: string,
  extra: { errors?: FieldError[]; details?: Record<string, unknown> } = {},
): FastifyReply {
  const status = ERROR_CODES[code];
  if ((code === 'unauthenticated' || code === 'invalid_token' || code === 'token_expired') && !reply.getHeader('www-authenticate')) {
    reply.header('www-authenticate', code === 'unauthenticated' ? 'Bearer' : `Bearer error="invalid_token"`);
  }
  return reply
    .status(status)
    .type('application/problem+json; charset=utf-8')
    .send({
      type: `/problems/${code}`,
      title: TITLES[code],
      status,
      detail,
      code,
      requestId: request.id,
      instance: request.url.split('?')[0],
      ...(extra.errors ? { errors: extra.errors } : {}),
      ...(extra.details ? { details: extra.details } : {}),
    });
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'bad_request',
  FST_ERR_CTP_INVALID_JSON_BODY: 'bad_request',
};

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof DomainError) {
      const errors = Array.isArray(error.details?.errors) ? (error.details.errors as FieldError[]) : undefined;
      const details = error.details && !errors ? error.details : undefined;
      return sendProblem(request, reply, error.code, error.message, { errors, details });
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const where = error.validationContext ?? 'body';
      const errors = error.validation.map((v) => {
        const segments = v.instancePath.split('/').filter(Boolean);
        const path = [where === 'body' ? '' : where, ...segments].filter(Boolean).join('.') || where;
        const keys = (v.params as { keys?: string[] }).keys;
        if (v.keyword === 'unrecognized_keys' && keys) {
          return { path, message: `unknown field(s): ${keys.join(', ')}`, code: v.keyword };
        }
        return { path, message: v.message ?? 'invalid', code: v.keyword };
      });
      return sendProblem(request, reply, 'validation_failed', `The ${where} has ${errors.length} invalid field(s); see errors.`, { errors });
    }
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error, issues: error.cause.issues }, 'response did not match its schema');
      return sendProblem(request, reply, 'internal_error', `Something went wrong on our side. Quote request id ${request.id} to support.`);
    }
    const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
    if (mapped) return sendProblem(request, reply, mapped, error.message);
    if (error.statusCode === 429) {
      return sendProblem(request, reply, 'rate_limited', error.message || 'Too many requests; slow down and retry after the time in Retry-After.');
    }
    if (error instanceof SyntaxError || error.statusCode === 400) {
      return sendProblem(request, reply, 'bad_request', error.message);
    }
    if (error.statusCode === 413) return sendProblem(request, reply, 'payload_too_large', error.message);
    if (error.statusCode === 415) return sendProblem(request, reply, 'unsupported_media_type', error.message);
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(request, reply, 'internal_error', `Something went wrong on our side. Quote request id ${request.id} to support.`);
  });

  app.setNotFoundHandler((request, reply) => sendProblem(request, reply, 'not_found', `There is no ${request.method} ${request.url.split('?')[0]}.`));
}
