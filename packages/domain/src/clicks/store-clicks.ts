import type { PrismaClient } from '@app/db/client';

/** A click ready to be stored: what the consumer made of a click event. */
export interface StoredClick {
  id: string;
  tenantId: string;
  clickedAt: Date;
  programId: string;
  affiliateId: string;
  linkId: string | null;
  visitorId: string | null;
  ipHash: string | null;
  ipPrefix: string | null;
  userAgent: string | null;
  referrer: string | null;
  country: string | null;
  device: string;
  method: string;
  subs: (string | null)[];
  landingUrl: string;
  isUnique: boolean;
  billable: boolean;
  flags: string[];
}

/** The rollup keeps sub1 values up to this length (longer ones are cut). */
const ROLLUP_SUB1_MAX = 100;

/**
 * Stores clicks and their daily rollups in ONE transaction: each tenant's clicks are
 * inserted under that tenant's row-level security setting, `ON CONFLICT DO NOTHING`
 * skips clicks already stored (the click id and its timestamp are the key), and only
 * the rows actually inserted are added to the rollups. Replaying a batch therefore
 * changes nothing. Returns how many clicks were new.
 */
export async function storeClicks(prisma: PrismaClient, clicks: readonly StoredClick[]): Promise<number> {
  if (clicks.length === 0) return 0;
  const byTenant = new Map<string, StoredClick[]>();
  for (const click of clicks) {
    const list = byTenant.get(click.tenantId);
    if (list) list.push(click);
    else byTenant.set(click.tenantId, [click]);
  }
  return prisma.$transaction(
    async (tx) => {
      let inserted = 0;
      // Tenants in a fixed order too, for the same reason.
      for (const [tenantId, list] of [...byTenant].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        await tx.$executeRaw`SELECT set_config('app.tenant_id', ${tenantId}, true)`;
        const rows = JSON.stringify(list.map(toRow));
        const [result] = await tx.$queryRaw<{ n: bigint }[]>`
          WITH input AS (
            SELECT * FROM jsonb_to_recordset(${rows}::jsonb) AS x(
              id text, tenant_id text, clicked_at timestamptz, program_id text, affiliate_id text, link_id text,
              visitor_id text, ip_hash text, ip_prefix text, user_agent text, referrer text, country text,
              device text, method text, sub1 text, sub2 text, sub3 text, sub4 text, sub5 text, landing_url text,
              is_unique boolean, billable boolean, flags text[])
          ),
          inserted AS (
            INSERT INTO clicks (id, tenant_id, clicked_at, program_id, affiliate_id, link_id, visitor_id, ip_hash, ip_prefix,
                                user_agent, referrer, country, device, method, sub1, sub2, sub3, sub4, sub5, landing_url,
                                is_unique, billable, flags)
            SELECT id, tenant_id, clicked_at, program_id, affiliate_id, link_id, visitor_id, ip_hash, ip_prefix,
                   user_agent, referrer, country, device, method, sub1, sub2, sub3, sub4, sub5, landing_url,
                   is_unique, billable, flags
            FROM input
            ON CONFLICT DO NOTHING
            RETURNING tenant_id, clicked_at, program_id, affiliate_id, link_id, sub1, is_unique, billable
          ),
          rolled AS (
            INSERT INTO click_daily_stats AS s (tenant_id, day, program_id, affiliate_id, link_id, sub1, clicks, unique_clicks, filtered_clicks)
            SELECT tenant_id, (clicked_at AT TIME ZONE 'UTC')::date, program_id, affiliate_id, coalesce(link_id, ''),
                   left(coalesce(sub1, ''), ${ROLLUP_SUB1_MAX}),
                   count(*) FILTER (WHERE billable), count(*) FILTER (WHERE billable AND is_unique), count(*) FILTER (WHERE NOT billable)
            FROM inserted
            GROUP BY 1, 2, 3, 4, 5, 6
            -- Rollup rows are locked in key order, so consumers storing batches that
            -- touch the same rows at once wait for each other instead of deadlocking.
            ORDER BY 1, 2, 3, 4, 5, 6
            ON CONFLICT (tenant_id, day, program_id, affiliate_id, link_id, sub1) DO UPDATE
              SET clicks = s.clicks + excluded.clicks,
                  unique_clicks = s.unique_clicks + excluded.unique_clicks,
                  filtered_clicks = s.filtered_clicks + excluded.filtered_clicks
            RETURNING 1
          )
          SELECT count(*) AS n FROM inserted`;
        inserted += Number(result?.n ?? 0);
      }
      return inserted;
    },
    { timeout: 30_000, maxWait: 10_000 },
  );
}

function toRow(c: StoredClick) {
  return {
    id: c.id,
    tenant_id: c.tenantId,
    clicked_at: c.clickedAt.toISOString(),
    program_id: c.programId,
    affiliate_id: c.affiliateId,
    link_id: c.linkId,
    visitor_id: c.visitorId,
    ip_hash: c.ipHash,
    ip_prefix: c.ipPrefix,
    user_agent: c.userAgent,
    referrer: c.referrer,
    country: c.country,
    device: c.device,
    method: c.method,
    sub1: c.subs[0] ?? null,
    sub2: c.subs[1] ?? null,
    sub3: c.subs[2] ?? null,
    sub4: c.subs[3] ?? null,
    sub5: c.subs[4] ?? null,
    landing_url: c.landingUrl,
    is_unique: c.isUnique,
    billable: c.billable,
    flags: c.flags,
  };
}

/** Makes the monthly click partitions from `from`'s month on, `months` of them; returns
 *  how many were new. */
export async function ensureClickPartitions(prisma: PrismaClient, from: Date, months: number): Promise<number> {
  const [row] = await prisma.$queryRaw<{ n: number }[]>`SELECT ensure_click_partitions(${from.toISOString().slice(0, 10)}::date, ${months}::int) AS n`;
  return Number(row?.n ?? 0);
}

/** Detaches the monthly click partitions that end on or before `before`. */
export async function detachClickPartitions(prisma: PrismaClient, before: Date): Promise<string[]> {
  const [row] = await prisma.$queryRaw<{ names: string[] }[]>`SELECT detach_click_partitions(${before.toISOString().slice(0, 10)}::date) AS names`;
  return row?.names ?? [];
}

/** The networks' IP-hash salts, by tenant id (read once per tenant by the consumer). */
export async function clickSalts(prisma: PrismaClient, tenantIds: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const tenantId of tenantIds) {
    const rows = await prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT set_config('app.tenant_id', ${tenantId}, true)`;
      return tx.tenant.findMany({ where: { id: tenantId }, select: { clickSalt: true } });
    });
    if (rows[0]) out.set(tenantId, rows[0].clickSalt);
  }
  return out;
}
