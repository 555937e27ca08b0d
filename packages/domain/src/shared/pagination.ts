import { DomainError } from './errors';

/**
 * Keyset pagination over sortable ids, newest first. The cursor is the last id of the
 * previous page (opaque to clients: base64url).
 */
export function decodeCursor(cursor: string | undefined): string | undefined {
  if (!cursor) return undefined;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[a-z]{2,8}_[0-9a-z]{26}$/.test(id)) throw new DomainError('bad_request', 'The cursor is not valid.');
  return id;
}

export function pageOf<T extends { id: string }>(rows: T[], limit: number): { data: T[]; nextCursor: string | null } {
  const data = rows.slice(0, limit);
  const last = data.at(-1);
  return { data, nextCursor: rows.length > limit && last ? Buffer.from(last.id).toString('base64url') : null };
}
