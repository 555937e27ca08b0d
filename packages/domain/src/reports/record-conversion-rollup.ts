import type { Tx } from '@app/db/with-tenant';

export interface ConversionRollupInput {
  conversionId: string;
  /** The program's currency: every amount of the conversion's lines is in it. */
  currency: string;
  /** The lines accrued for the conversion (waiting for funds or reserved). */
  lines: readonly { kind: string; amount: bigint }[];
}

/**
 * Adds an accrued conversion to its day's rollup (`conversion_daily_stats`) in the
 * caller's transaction, in one statement: a lead or a sale on the conversion's UTC day,
 * keyed by program, affiliate, link and sub1 as the click rollups are; revenue = the
 * sale's amount as reported (a refund applied before the accrual is taken back from the
 * commissions later by the reversal job, so neither is net of it here); commissions = the
 * affiliate-facing lines (primary, bonus, second-tier share), networkFees = the fee lines.
 *
 * The accrual calls it once per conversion it accrues, before it takes the merchant's
 * funds lock (the row lock of the rollup is only contended by accruals of the same
 * merchant's program, which queue behind that lock anyway). Refunds and rejections after
 * the accrual do not adjust the rollup yet.
 */
export async function recordConversionRollup(tx: Tx, input: ConversionRollupInput): Promise<void> {
  let commissions = 0n;
  let networkFees = 0n;
  for (const line of input.lines) {
    if (line.kind === 'network_fee') networkFees += line.amount;
    else commissions += line.amount;
  }
  await tx.$executeRaw`
    INSERT INTO conversion_daily_stats AS s
           (tenant_id, day, program_id, affiliate_id, link_id, sub1, currency, leads, sales, revenue, commissions, network_fees)
    SELECT c.tenant_id, (c.occurred_at AT TIME ZONE 'UTC')::date, c.program_id, c.affiliate_id, coalesce(c.link_id, ''), coalesce(c.sub1, ''),
           ${input.currency}, (c.type = 'lead')::int, (c.type = 'sale')::int,
           CASE WHEN c.type = 'sale' THEN coalesce(c.amount, 0) ELSE 0 END, ${commissions}, ${networkFees}
      FROM conversions c
     WHERE c.id = ${input.conversionId} AND c.affiliate_id IS NOT NULL
    ON CONFLICT (tenant_id, day, program_id, affiliate_id, link_id, sub1) DO UPDATE
       SET leads = s.leads + EXCLUDED.leads, sales = s.sales + EXCLUDED.sales, revenue = s.revenue + EXCLUDED.revenue,
           commissions = s.commissions + EXCLUDED.commissions, network_fees = s.network_fees + EXCLUDED.network_fees`;
}
