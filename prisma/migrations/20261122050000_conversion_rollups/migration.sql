-- Conversions and money per UTC day, kept by the accrual job in its own transaction and
-- keyed like click_daily_stats, so the summary report merges both by the same keys and
-- never reads raw conversions or commissions. The day is the conversion's occurred_at
-- (UTC); amounts are minor units of the program's currency (`currency`, the program's:
-- a program has one currency).
CREATE TABLE conversion_daily_stats (
  tenant_id    text NOT NULL REFERENCES tenants (id),
  day          date NOT NULL,
  program_id   text NOT NULL,
  affiliate_id text NOT NULL,
  link_id      text NOT NULL DEFAULT '',
  sub1         text NOT NULL DEFAULT '',
  currency     char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  leads        bigint NOT NULL DEFAULT 0 CHECK (leads >= 0),
  sales        bigint NOT NULL DEFAULT 0 CHECK (sales >= 0),
  -- The sales' amounts as reported (refunds do not adjust the rollup yet).
  revenue      bigint NOT NULL DEFAULT 0,
  -- Affiliate-facing lines accrued (primary, bonus, second-tier share) …
  commissions  bigint NOT NULL DEFAULT 0,
  -- … and the network's fee lines.
  network_fees bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, day, program_id, affiliate_id, link_id, sub1),
  FOREIGN KEY (tenant_id, program_id) REFERENCES programs (tenant_id, id),
  FOREIGN KEY (tenant_id, affiliate_id) REFERENCES affiliates (tenant_id, id)
);
CREATE INDEX conversion_daily_stats_affiliate_idx ON conversion_daily_stats (tenant_id, affiliate_id, day);

ALTER TABLE conversion_daily_stats ENABLE ROW LEVEL SECURITY;
ALTER TABLE conversion_daily_stats FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON conversion_daily_stats USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
CREATE POLICY system_access ON conversion_daily_stats TO affnet_system USING (true) WITH CHECK (true);

-- Rollups only grow or are corrected, never deleted.
GRANT SELECT, INSERT, UPDATE ON conversion_daily_stats TO affnet_app;
