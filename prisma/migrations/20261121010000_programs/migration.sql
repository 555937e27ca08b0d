-- Programs (a merchant's offers), their versioned commission plans and partner groups;
-- affiliate profile fields for the publisher directory.

CREATE TABLE programs (
  id               text PRIMARY KEY,
  tenant_id        text NOT NULL REFERENCES tenants (id),
  merchant_id      text NOT NULL,
  name             text NOT NULL,
  description      text,
  category         text,
  landing_url      text NOT NULL,
  allowed_domains  text[] NOT NULL DEFAULT '{}',
  tracking_param   text NOT NULL DEFAULT 'aff_click_id' CHECK (tracking_param ~ '^[A-Za-z][A-Za-z0-9_]{0,39}$'),
  cookie_days      integer NOT NULL DEFAULT 30 CHECK (cookie_days BETWEEN 1 AND 365),
  attribution_model text NOT NULL DEFAULT 'last_click' CHECK (attribution_model IN ('last_click', 'first_click')),
  enrollment_mode  text NOT NULL DEFAULT 'manual' CHECK (enrollment_mode IN ('auto', 'manual', 'invite_only')),
  approval_mode    text NOT NULL DEFAULT 'auto' CHECK (approval_mode IN ('auto', 'manual')),
  hold_days        integer NOT NULL DEFAULT 30 CHECK (hold_days BETWEEN 0 AND 365),
  currency         char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  status           text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'paused', 'archived')),
  visibility       text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'private')),
  terms            text,
  exclusivity_note text,
  fallback_url     text,
  created_at       timestamptz(3) NOT NULL DEFAULT now(),
  updated_at       timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, merchant_id) REFERENCES merchants (tenant_id, id)
);
CREATE INDEX programs_tenant_id_merchant_id_idx ON programs (tenant_id, merchant_id);
CREATE INDEX programs_marketplace_idx ON programs (tenant_id, status, visibility);

-- A plan change never edits a version: it adds one, effective from a date. Commissions
-- record the version they were computed with.
CREATE TABLE program_plan_versions (
  id                 text PRIMARY KEY,
  tenant_id          text NOT NULL REFERENCES tenants (id),
  program_id         text NOT NULL,
  version            integer NOT NULL CHECK (version >= 1),
  plan               jsonb NOT NULL,
  effective_from     timestamptz(3) NOT NULL,
  created_by_user_id text,
  created_at         timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (program_id, version),
  FOREIGN KEY (tenant_id, program_id) REFERENCES programs (tenant_id, id)
);
CREATE INDEX program_plan_versions_program_id_effective_from_idx ON program_plan_versions (program_id, effective_from);
CREATE TRIGGER program_plan_versions_append_only BEFORE UPDATE OR DELETE ON program_plan_versions
  FOR EACH ROW EXECUTE FUNCTION refuse_change();

CREATE TABLE program_groups (
  id            text PRIMARY KEY,
  tenant_id     text NOT NULL REFERENCES tenants (id),
  program_id    text NOT NULL,
  name          text NOT NULL,
  plan_override jsonb NOT NULL DEFAULT '{}',
  created_at    timestamptz(3) NOT NULL DEFAULT now(),
  updated_at    timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (program_id, name),
  FOREIGN KEY (tenant_id, program_id) REFERENCES programs (tenant_id, id)
);

ALTER TABLE affiliates
  ADD COLUMN websites        text[] NOT NULL DEFAULT '{}',
  ADD COLUMN channels        text[] NOT NULL DEFAULT '{}',
  ADD COLUMN countries       text[] NOT NULL DEFAULT '{}',
  ADD COLUMN categories      text[] NOT NULL DEFAULT '{}',
  ADD COLUMN description     text,
  ADD COLUMN payout_currency char(3) CHECK (payout_currency ~ '^[A-Z]{3}$');

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['programs', 'program_plan_versions', 'program_groups'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())', t);
    EXECUTE format('CREATE POLICY system_access ON %I TO affnet_system USING (true) WITH CHECK (true)', t);
  END LOOP;
END $$;

GRANT SELECT, INSERT, UPDATE, DELETE ON programs, program_groups TO affnet_app;
GRANT SELECT, INSERT ON program_plan_versions TO affnet_app;
