-- Foundation: networks, users, memberships, merchants, affiliates, API keys, sessions,
-- audit log, outbox, domain events, emails; row-level security for every tenant table.
-- The roles affnet_app (the application, no BYPASSRLS, owns nothing) and affnet_system
-- (owner of the few SECURITY DEFINER functions that must look across tenants) are
-- created by the migration runner before this file runs.

CREATE TABLE tenants (
  id               text PRIMARY KEY,
  slug             text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$'),
  name             text NOT NULL,
  default_currency char(3) NOT NULL CHECK (default_currency ~ '^[A-Z]{3}$'),
  settings         jsonb NOT NULL DEFAULT '{}',
  created_at       timestamptz(3) NOT NULL DEFAULT now(),
  updated_at       timestamptz(3) NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id            text PRIMARY KEY,
  tenant_id     text NOT NULL REFERENCES tenants (id),
  email         text NOT NULL CHECK (email = lower(email)),
  name          text NOT NULL,
  password_hash text NOT NULL,
  status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  last_login_at timestamptz(3),
  created_at    timestamptz(3) NOT NULL DEFAULT now(),
  updated_at    timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, email),
  UNIQUE (tenant_id, id)
);

CREATE TABLE merchants (
  id               text PRIMARY KEY,
  tenant_id        text NOT NULL REFERENCES tenants (id),
  name             text NOT NULL,
  website          text,
  status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  default_currency char(3) NOT NULL CHECK (default_currency ~ '^[A-Z]{3}$'),
  created_at       timestamptz(3) NOT NULL DEFAULT now(),
  updated_at       timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id)
);

CREATE TABLE affiliates (
  id                  text PRIMARY KEY,
  tenant_id           text NOT NULL REFERENCES tenants (id),
  name                text NOT NULL,
  email               text NOT NULL CHECK (email = lower(email)),
  website             text,
  status              text NOT NULL DEFAULT 'active' CHECK (status IN ('pending', 'active', 'suspended')),
  parent_affiliate_id text,
  created_at          timestamptz(3) NOT NULL DEFAULT now(),
  updated_at          timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, email),
  FOREIGN KEY (tenant_id, parent_affiliate_id) REFERENCES affiliates (tenant_id, id)
);

CREATE TABLE memberships (
  id           text PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES tenants (id),
  user_id      text NOT NULL,
  scope        text NOT NULL CHECK (scope IN ('network', 'merchant', 'affiliate')),
  merchant_id  text,
  affiliate_id text,
  role         text NOT NULL CHECK (role IN ('owner', 'admin', 'finance', 'analyst')),
  created_at   timestamptz(3) NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, merchant_id) REFERENCES merchants (tenant_id, id),
  FOREIGN KEY (tenant_id, affiliate_id) REFERENCES affiliates (tenant_id, id),
  CHECK (
    (scope = 'network' AND merchant_id IS NULL AND affiliate_id IS NULL) OR
    (scope = 'merchant' AND merchant_id IS NOT NULL AND affiliate_id IS NULL) OR
    (scope = 'affiliate' AND affiliate_id IS NOT NULL AND merchant_id IS NULL)
  )
);
CREATE INDEX memberships_tenant_id_user_id_idx ON memberships (tenant_id, user_id);
CREATE UNIQUE INDEX memberships_network_uniq ON memberships (tenant_id, user_id) WHERE scope = 'network';
CREATE UNIQUE INDEX memberships_merchant_uniq ON memberships (tenant_id, user_id, merchant_id) WHERE scope = 'merchant';
CREATE UNIQUE INDEX memberships_affiliate_uniq ON memberships (tenant_id, user_id, affiliate_id) WHERE scope = 'affiliate';

CREATE TABLE api_keys (
  id                 text PRIMARY KEY,
  tenant_id          text NOT NULL REFERENCES tenants (id),
  merchant_id        text NOT NULL,
  type               text NOT NULL CHECK (type IN ('secret', 'publishable')),
  name               text NOT NULL,
  prefix             text NOT NULL,
  key_hash           text NOT NULL UNIQUE,
  created_by_user_id text,
  last_used_at       timestamptz(3),
  revoked_at         timestamptz(3),
  created_at         timestamptz(3) NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant_id, merchant_id) REFERENCES merchants (tenant_id, id)
);
CREATE INDEX api_keys_tenant_id_merchant_id_idx ON api_keys (tenant_id, merchant_id);

CREATE TABLE auth_sessions (
  id          text PRIMARY KEY,
  tenant_id   text NOT NULL REFERENCES tenants (id),
  user_id     text NOT NULL,
  family_id   text NOT NULL,
  token_hash  text NOT NULL UNIQUE,
  expires_at  timestamptz(3) NOT NULL,
  rotated_at  timestamptz(3),
  revoked_at  timestamptz(3),
  ip          text,
  user_agent  text,
  created_at  timestamptz(3) NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX auth_sessions_tenant_id_family_id_idx ON auth_sessions (tenant_id, family_id);

CREATE TABLE audit_log (
  id           text PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES tenants (id),
  actor_type   text NOT NULL,
  actor_id     text,
  action       text NOT NULL,
  subject_type text NOT NULL,
  subject_id   text,
  data         jsonb NOT NULL DEFAULT '{}',
  request_id   text,
  ip           text,
  created_at   timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_tenant_id_created_at_idx ON audit_log (tenant_id, created_at);

CREATE TABLE outbox (
  id         text PRIMARY KEY,
  tenant_id  text NOT NULL REFERENCES tenants (id),
  topic      text NOT NULL,
  payload    jsonb NOT NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  sent_at    timestamptz(3),
  attempts   integer NOT NULL DEFAULT 0
);
CREATE INDEX outbox_unsent_idx ON outbox (topic, id) WHERE sent_at IS NULL;

CREATE TABLE domain_events (
  id           text PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES tenants (id),
  type         text NOT NULL,
  subject_type text NOT NULL,
  subject_id   text NOT NULL,
  payload      jsonb NOT NULL DEFAULT '{}',
  created_at   timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX domain_events_tenant_id_type_created_at_idx ON domain_events (tenant_id, type, created_at);

CREATE TABLE emails (
  id          text PRIMARY KEY,
  tenant_id   text NOT NULL REFERENCES tenants (id),
  dedupe_key  text NOT NULL,
  to_address  text NOT NULL,
  subject     text NOT NULL,
  text_body   text NOT NULL,
  html_body   text,
  template    text NOT NULL,
  status      text NOT NULL CHECK (status IN ('stored', 'sent', 'failed')),
  transport   text NOT NULL,
  error       text,
  created_at  timestamptz(3) NOT NULL DEFAULT now(),
  sent_at     timestamptz(3),
  UNIQUE (tenant_id, dedupe_key)
);

-- Audit log and domain events are append-only.
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER domain_events_append_only BEFORE UPDATE OR DELETE ON domain_events
  FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Row-level security. Every request runs in withTenant(), which sets app.tenant_id for
-- its transaction only; without it a session sees and writes nothing.
CREATE FUNCTION app_tenant_id() RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT nullif(current_setting('app.tenant_id', true), '') $$;

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants USING (id = app_tenant_id()) WITH CHECK (id = app_tenant_id());
CREATE POLICY system_access ON tenants TO affnet_system USING (true) WITH CHECK (true);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['users', 'memberships', 'merchants', 'affiliates', 'api_keys',
    'auth_sessions', 'audit_log', 'outbox', 'domain_events', 'emails'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())', t);
    EXECUTE format('CREATE POLICY system_access ON %I TO affnet_system USING (true) WITH CHECK (true)', t);
  END LOOP;
END $$;

-- Cross-tenant look-ups the application needs before it knows the tenant, as narrow
-- SECURITY DEFINER functions owned by affnet_system (never a table-wide bypass). Their
-- search_path names pg_temp last: otherwise a caller's temporary table called api_keys
-- or tenants would be read in place of the real one.
CREATE FUNCTION auth_tenant_by_slug(p_slug text) RETURNS TABLE (id text, slug text, name text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS
  $$ SELECT t.id, t.slug, t.name FROM tenants t WHERE t.slug = lower(p_slug) $$;

CREATE FUNCTION auth_api_key_lookup(p_hash text)
  RETURNS TABLE (id text, tenant_id text, merchant_id text, type text, revoked_at timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS
  $$ SELECT k.id, k.tenant_id, k.merchant_id, k.type, k.revoked_at FROM api_keys k WHERE k.key_hash = p_hash $$;

CREATE FUNCTION auth_session_tenant(p_hash text) RETURNS text
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS
  $$ SELECT s.tenant_id FROM auth_sessions s WHERE s.token_hash = p_hash $$;

-- The outbox relay claims unsent rows of every tenant whose topic it knows (rows of a
-- topic a newer release introduced wait for a worker that knows it, without blocking
-- the others); locks hold until the caller's transaction ends, so two relays never
-- take the same row.
CREATE FUNCTION outbox_claim(p_limit integer, p_topics text[], p_min_age interval DEFAULT '0 seconds')
  RETURNS SETOF outbox
  LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS
  $$ SELECT * FROM outbox WHERE sent_at IS NULL AND topic = ANY (p_topics) AND created_at <= now() - p_min_age
     ORDER BY id LIMIT p_limit FOR UPDATE SKIP LOCKED $$;

CREATE FUNCTION outbox_mark_sent(p_ids text[]) RETURNS integer
  LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS
  $$ WITH u AS (UPDATE outbox SET sent_at = now(), attempts = attempts + 1
                WHERE id = ANY (p_ids) AND sent_at IS NULL RETURNING 1)
     SELECT count(*)::integer FROM u $$;

CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('outbox', '');
  RETURN NULL;
END $$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
  FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

GRANT SELECT ON tenants, api_keys, auth_sessions, outbox TO affnet_system;
GRANT UPDATE ON outbox TO affnet_system;
ALTER FUNCTION auth_tenant_by_slug(text) OWNER TO affnet_system;
ALTER FUNCTION auth_api_key_lookup(text) OWNER TO affnet_system;
ALTER FUNCTION auth_session_tenant(text) OWNER TO affnet_system;
ALTER FUNCTION outbox_claim(integer, text[], interval) OWNER TO affnet_system;
ALTER FUNCTION outbox_mark_sent(text[]) OWNER TO affnet_system;

-- The application role: data rights on every table, owner of none.
GRANT USAGE ON SCHEMA public TO affnet_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO affnet_app;
REVOKE ALL ON _prisma_migrations FROM affnet_app;
REVOKE UPDATE, DELETE ON audit_log, domain_events FROM affnet_app;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO affnet_app;
