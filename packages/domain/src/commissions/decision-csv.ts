import { parse } from 'csv-parse/sync';
import { DomainError } from '../shared/errors';
import { MAX_DECISIONS } from './decide-commissions';

export interface DecisionCsvRow {
  programId: string;
  externalId: string;
  reason: string | null;
}

/**
 * A merchant's CSV upload of conversions to approve or reject: a header row naming
 * `externalId` and optionally `programId` and `reason` (any order, any case, other
 * columns ignored), then one conversion per row. A row without a program or reason takes
 * the request's (`?programId=`, `?reason=`). Parsed by csv-parse (RFC 4180 quoting,
 * embedded commas and newlines, a BOM from spreadsheet exports, CRLF), not by hand.
 */
export function parseDecisionCsv(text: string, defaults: { programId?: string; reason?: string }): DecisionCsvRow[] {
  let records: string[][];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, trim: true, relax_column_count: true }) as string[][];
  } catch (error) {
    throw invalid('body', `not a CSV file (${(error as Error).message})`);
  }
  const header = (records.shift() ?? []).map((h) => h.toLowerCase());
  const col = (name: string) => header.indexOf(name.toLowerCase());
  const [ext, prog, why] = [col('externalId'), col('programId'), col('reason')];
  if (ext < 0) throw invalid('body', 'the header row must name an externalId column');
  if (records.length === 0) throw invalid('body', 'no rows after the header');
  if (records.length > MAX_DECISIONS) throw invalid('body', `at most ${MAX_DECISIONS} rows per upload`);
  return records.map((r, i) => {
    const externalId = r[ext] ?? '';
    const programId = (prog >= 0 ? r[prog] : '') || defaults.programId || '';
    const reason = (why >= 0 ? r[why] : '') || defaults.reason || null;
    if (!externalId || externalId.length > 200) throw invalid(`rows[${i}].externalId`, 'must be 1 to 200 characters');
    if (!programId.startsWith('prg_')) throw invalid(`rows[${i}].programId`, 'a programId column or ?programId= is required');
    if (reason !== null && reason.length > 1000) throw invalid(`rows[${i}].reason`, 'must be at most 1000 characters');
    return { programId, externalId, reason };
  });
}

function invalid(path: string, message: string): DomainError {
  return new DomainError('validation_failed', `The CSV is invalid: ${message}.`, { errors: [{ path, message }] });
}
