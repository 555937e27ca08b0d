import type { Tx } from '@app/db/with-tenant';

/** How long a receipt is kept. A postback is accepted at most 300 s either side of its
 *  `ts`, so its signature can be valid for 600 s at most; an hour leaves room for clock
 *  differences between the API and Postgres. */
export const RECEIPT_RETENTION = '1 hour';

/**
 * Deletes up to `limit` of the tenant's receipts past retention (the caller's
 * transaction; RLS keeps it to the tenant). Called on a small fraction of postbacks so
 * the table stays small without a job.
 */
export async function prunePostbackReceipts(tx: Tx, limit = 500): Promise<number> {
  return tx.$executeRaw`
    DELETE FROM postback_receipts WHERE signature IN (
      SELECT signature FROM postback_receipts WHERE received_at < now() - ${RECEIPT_RETENTION}::interval LIMIT ${limit}
    )`;
}
