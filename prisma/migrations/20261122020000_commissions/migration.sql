-- Commissions (docs/commissions.md): the lines the accrual job computes for an
-- attributed conversion under the program's plan, each reserved on the ledger by a
-- pending transfer from the merchant's prepaid account (or waiting for funds); the
-- record of every conversion the job has decided, whose sales the tiers and bonuses of
-- later conversions count; and the hold that keeps a program's new commissions waiting
-- behind those that wait for the merchant's funds.

-- Set by the accrual job when a commission of the program could not be reserved for lack
-- of prepaid funds, cleared when every waiting commission of the merchant in that
-- currency has been reserved. Distinct from the merchant's own status: attribution goes
-- on, only the reservation of new commissions waits.
ALTER TABLE programs ADD COLUMN funds_hold_at timestamptz(3);
CREATE INDEX programs_funds_hold_idx ON programs (merchant_id, currency) WHERE funds_hold_at IS NOT NULL;

-- One row per conversion the accrual job has decided, written in the transaction of its
-- commissions: a repeated job finds it and changes nothing, and an affiliate's period
-- counts (tiers, bonuses) are the `accrued` rows of the period whose conversion is not
-- refunded or rejected. `skipped` rows say why a conversion earned nothing (refunded,
-- rejected, unattributed, no plan). explain: the engine's account of the computation.
CREATE TABLE conversion_accruals (
  conversion_id   text PRIMARY KEY,
  tenant_id       text NOT NULL REFERENCES tenants (id),
  merchant_id     text NOT NULL,
  program_id      text NOT NULL,
  affiliate_id    text,
  outcome         text NOT NULL CHECK (outcome IN ('accrued', 'skipped')),
  reason          text,
  plan_version_id text,
  occurred_at     timestamptz(3) NOT NULL,
  merchant_total  bigint NOT NULL DEFAULT 0 CHECK (merchant_total >= 0),
  explain         jsonb,
  created_at      timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, conversion_id),
  CHECK ((outcome <> 'accrued' OR (affiliate_id IS NOT NULL AND plan_version_id IS NOT NULL)) AND (outcome <> 'skipped' OR reason IS NOT NULL)),
  FOREIGN KEY (tenant_id, conversion_id) REFERENCES conversions (tenant_id, id),
  FOREIGN KEY (tenant_id, merchant_id) REFERENCES merchants (tenant_id, id),
  FOREIGN KEY (tenant_id, program_id) REFERENCES programs (tenant_id, id),
  FOREIGN KEY (tenant_id, affiliate_id) REFERENCES affiliates (tenant_id, id),
  FOREIGN KEY (tenant_id, plan_version_id) REFERENCES program_plan_versions (tenant_id, id)
);
-- The period counts of one affiliate in one program.
CREATE INDEX conversion_accruals_period_idx ON conversion_accruals (program_id, affiliate_id, occurred_at) WHERE outcome = 'accrued';

-- A commission line. affiliate_id: who earns it (the affiliate, or its parent for a
-- second-tier share); NULL for the network's fee, which the merchant pays on top.
-- source_affiliate_id: the affiliate the conversion is attributed to. line_key: the
-- engine's deterministic key; bonus_key: the bonus a bonus line, its share and its fee
-- stand or fall with (`bonus:<metric>:<period>:<threshold>:<periodKey>`).
-- pending_transfer_id: the ledger reservation (prepaid → earnings or fee revenue);
-- none while the commission waits for funds. hold_until: when the hold period ends
-- (the conversion's occurred_at + the program's hold_days).
CREATE TABLE commissions (
  id                  text PRIMARY KEY,
  tenant_id           text NOT NULL REFERENCES tenants (id),
  merchant_id         text NOT NULL,
  program_id          text NOT NULL,
  conversion_id       text NOT NULL,
  affiliate_id        text,
  source_affiliate_id text NOT NULL,
  kind                text NOT NULL CHECK (kind IN ('primary', 'bonus', 'second_tier', 'network_fee')),
  line_key            text NOT NULL CHECK (length(line_key) BETWEEN 1 AND 200),
  bonus_key           text,
  amount              bigint NOT NULL CHECK (amount > 0),
  currency            char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  status              text NOT NULL CHECK (status IN ('pending', 'awaiting_funds', 'approved', 'rejected', 'reversed', 'paid')),
  rate_bps            integer CHECK (rate_bps BETWEEN 0 AND 10000),
  flat                bigint NOT NULL DEFAULT 0 CHECK (flat >= 0),
  tier_step           integer CHECK (tier_step >= 0),
  basis               bigint NOT NULL CHECK (basis >= 0),
  plan_version_id     text NOT NULL,
  pending_transfer_id text,
  hold_until          timestamptz(3) NOT NULL,
  reason              text CHECK (length(reason) <= 1000),
  created_at          timestamptz(3) NOT NULL DEFAULT now(),
  updated_at          timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  -- Every line once per conversion.
  UNIQUE (conversion_id, line_key),
  -- One reservation per commission.
  UNIQUE (pending_transfer_id),
  CONSTRAINT commissions_beneficiary_check CHECK ((kind = 'network_fee') = (affiliate_id IS NULL)),
  CONSTRAINT commissions_bonus_key_check CHECK (kind <> 'bonus' OR bonus_key = line_key),
  -- A pending commission is reserved; one waiting for funds is not (yet).
  CONSTRAINT commissions_reservation_check CHECK (
    (status <> 'pending' OR pending_transfer_id IS NOT NULL) AND (status <> 'awaiting_funds' OR pending_transfer_id IS NULL)
  ),
  FOREIGN KEY (tenant_id, merchant_id) REFERENCES merchants (tenant_id, id),
  FOREIGN KEY (tenant_id, program_id) REFERENCES programs (tenant_id, id),
  FOREIGN KEY (tenant_id, conversion_id) REFERENCES conversions (tenant_id, id),
  FOREIGN KEY (tenant_id, affiliate_id) REFERENCES affiliates (tenant_id, id),
  FOREIGN KEY (tenant_id, source_affiliate_id) REFERENCES affiliates (tenant_id, id),
  FOREIGN KEY (tenant_id, plan_version_id) REFERENCES program_plan_versions (tenant_id, id),
  FOREIGN KEY (tenant_id, pending_transfer_id) REFERENCES ledger_transfers (tenant_id, id)
);
-- One commission per conversion × kind × beneficiary for the conversion's own lines
-- (the network's fee line counts once: NULLs not distinct) …
CREATE UNIQUE INDEX commissions_conversion_kind_affiliate_key ON commissions (conversion_id, kind, affiliate_id) NULLS NOT DISTINCT
  WHERE bonus_key IS NULL;
-- … and a bonus, its second-tier share and its fee once per program × affiliate ×
-- period, whichever conversion crossed the threshold first.
CREATE UNIQUE INDEX commissions_bonus_key ON commissions (program_id, source_affiliate_id, line_key) WHERE bonus_key IS NOT NULL;
-- Lists of a merchant's and an affiliate's commissions.
CREATE INDEX commissions_tenant_id_merchant_id_created_at_idx ON commissions (tenant_id, merchant_id, created_at);
CREATE INDEX commissions_tenant_id_affiliate_id_created_at_idx ON commissions (tenant_id, affiliate_id, created_at);
-- What waits for a merchant's funds, oldest first (the order they are reserved in).
CREATE INDEX commissions_awaiting_funds_idx ON commissions (merchant_id, currency, created_at, id) WHERE status = 'awaiting_funds';

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['conversion_accruals', 'commissions'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())', t);
    EXECUTE format('CREATE POLICY system_access ON %I TO affnet_system USING (true) WITH CHECK (true)', t);
  END LOOP;
END $$;

-- An accrual is decided once and never edited. Commissions change status (approval,
-- rejection, reversal, payout) and are never deleted.
GRANT SELECT, INSERT ON conversion_accruals TO affnet_app;
GRANT SELECT, INSERT, UPDATE ON commissions TO affnet_app;
