-- Enrollments (an affiliate in a program), tracked links, coupon codes and creatives.

CREATE TABLE enrollments (
  id             text PRIMARY KEY,
  tenant_id      text NOT NULL REFERENCES tenants (id),
  program_id     text NOT NULL,
  affiliate_id   text NOT NULL,
  status         text NOT NULL CHECK (status IN ('pending', 'invited', 'approved', 'rejected', 'declined', 'suspended')),
  group_id       text,
  plan_override  jsonb,
  message        text,
  reason         text,
  invited_by_user_id text,
  decided_at     timestamptz(3),
  created_at     timestamptz(3) NOT NULL DEFAULT now(),
  updated_at     timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (program_id, affiliate_id),
  FOREIGN KEY (tenant_id, program_id) REFERENCES programs (tenant_id, id),
  FOREIGN KEY (tenant_id, affiliate_id) REFERENCES affiliates (tenant_id, id),
  FOREIGN KEY (tenant_id, group_id) REFERENCES program_groups (tenant_id, id)
);
CREATE INDEX enrollments_tenant_id_affiliate_id_idx ON enrollments (tenant_id, affiliate_id);

-- Link codes are unique across the platform: /c/{code} on the shared tracking host must
-- find one link without knowing the tenant.
CREATE TABLE links (
  id              text PRIMARY KEY,
  tenant_id       text NOT NULL REFERENCES tenants (id),
  program_id      text NOT NULL,
  affiliate_id    text NOT NULL,
  enrollment_id   text NOT NULL,
  code            text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9_-]{4,64}$'),
  destination_url text NOT NULL,
  label           text,
  sub1            text,
  sub2            text,
  sub3            text,
  sub4            text,
  sub5            text,
  is_default      boolean NOT NULL DEFAULT false,
  status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at      timestamptz(3) NOT NULL DEFAULT now(),
  updated_at      timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, enrollment_id) REFERENCES enrollments (tenant_id, id),
  FOREIGN KEY (tenant_id, program_id) REFERENCES programs (tenant_id, id),
  FOREIGN KEY (tenant_id, affiliate_id) REFERENCES affiliates (tenant_id, id)
);
CREATE INDEX links_tenant_id_affiliate_id_idx ON links (tenant_id, affiliate_id);
CREATE UNIQUE INDEX links_one_default_per_enrollment ON links (enrollment_id) WHERE is_default;

CREATE TABLE coupons (
  id              text PRIMARY KEY,
  tenant_id       text NOT NULL REFERENCES tenants (id),
  program_id      text NOT NULL,
  affiliate_id    text NOT NULL,
  code            text NOT NULL CHECK (length(code) BETWEEN 2 AND 64),
  code_normalized text NOT NULL,
  status          text NOT NULL DEFAULT 'active' CHECK (status IN ('requested', 'active', 'disabled', 'rejected')),
  valid_from      timestamptz(3),
  valid_until     timestamptz(3),
  created_by_user_id text,
  created_at      timestamptz(3) NOT NULL DEFAULT now(),
  updated_at      timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (program_id, code_normalized),
  CHECK (valid_until IS NULL OR valid_from IS NULL OR valid_until > valid_from),
  FOREIGN KEY (tenant_id, program_id) REFERENCES programs (tenant_id, id),
  FOREIGN KEY (tenant_id, affiliate_id) REFERENCES affiliates (tenant_id, id)
);

CREATE TABLE creatives (
  id          text PRIMARY KEY,
  tenant_id   text NOT NULL REFERENCES tenants (id),
  program_id  text NOT NULL,
  type        text NOT NULL CHECK (type IN ('banner', 'text_link', 'email', 'guidelines')),
  name        text NOT NULL,
  body        text,
  image_key   text,
  image_type  text,
  width       integer,
  height      integer,
  status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
  created_at  timestamptz(3) NOT NULL DEFAULT now(),
  updated_at  timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, program_id) REFERENCES programs (tenant_id, id)
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['enrollments', 'links', 'coupons', 'creatives'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())', t);
    EXECUTE format('CREATE POLICY system_access ON %I TO affnet_system USING (true) WITH CHECK (true)', t);
  END LOOP;
END $$;

GRANT SELECT, INSERT, UPDATE, DELETE ON enrollments, links, coupons, creatives TO affnet_app;

-- Banner images are embedded on affiliates' sites and fetched without credentials: the
-- image route finds a creative by its (unguessable) id across tenants, and nothing else.
CREATE FUNCTION creative_image_lookup(p_id text) RETURNS TABLE (image_key text, image_type text, status text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS
  $$ SELECT c.image_key, c.image_type, c.status FROM creatives c WHERE c.id = p_id $$;
GRANT SELECT ON creatives TO affnet_system;
ALTER FUNCTION creative_image_lookup(text) OWNER TO affnet_system;
GRANT EXECUTE ON FUNCTION creative_image_lookup(text) TO affnet_app;
