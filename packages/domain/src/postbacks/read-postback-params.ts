import { MAX_POSTBACK_PARAMS, POSTBACK_PARAM_NAMES, type PostbackParams, postbackParams } from '@app/contracts/postbacks';
import { DomainError } from '../shared/errors';
import type { PostbackParam } from './postback-signature';

export interface FieldError {
  path: string;
  message: string;
}

const KNOWN = new Set<string>(POSTBACK_PARAM_NAMES);

/**
 * The one value of each parameter the platform reads. An empty value counts as not
 * given (form builders send empty optional fields); a known name given twice is refused
 * (which value would count is ambiguous). Unknown names are left to the signature.
 */
export function knownValues(params: readonly PostbackParam[]): { values: Record<string, string>; errors: FieldError[] } {
  const values: Record<string, string> = {};
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  if (params.length > MAX_POSTBACK_PARAMS) errors.push({ path: 'params', message: `at most ${MAX_POSTBACK_PARAMS} parameters, got ${params.length}` });
  for (const [name, value] of params) {
    if (!KNOWN.has(name)) continue;
    if (seen.has(name)) {
      if (!errors.some((e) => e.path === name)) errors.push({ path: name, message: 'is given more than once' });
      continue;
    }
    seen.add(name);
    if (value !== '') values[name] = value;
  }
  return { values, errors };
}

/** Reads and checks every parameter; throws validation_failed listing each bad one. */
export function readPostbackParams(params: readonly PostbackParam[]): PostbackParams {
  const { values, errors } = knownValues(params);
  const parsed = postbackParams.safeParse(values);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.map(String).join('.') || 'params';
      if (errors.some((e) => e.path === path)) continue;
      errors.push({ path, message: values[path] === undefined && issue.code === 'invalid_type' ? 'is required' : issue.message });
    }
  }
  if (errors.length || !parsed.success) throw invalidParams(errors);
  return parsed.data;
}

export function invalidParams(errors: FieldError[]): DomainError {
  return new DomainError('validation_failed', `The postback has ${errors.length} invalid parameter(s): ${errors.map((e) => e.path).join(', ')}; see errors.`, {
    errors,
  });
}
