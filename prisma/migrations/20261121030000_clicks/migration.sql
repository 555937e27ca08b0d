-- Click tracking: custom tracking domains, the click table (range-partitioned by month,
-- partitions made ahead by a scheduled job), daily click rollups, the look-ups the
-- redirect edge makes across tenants, and the notifications that keep its link cache
-- fresh.

-- A per-network secret mixed into click IP hashes: the same IP hashes differently in
-- two networks, and a hash cannot be reversed by trying every IPv4 address without it.
ALTER TABLE tenants ADD COLUMN click_salt text NOT NULL DEFAULT md5(gen_random_uuid()::text || clock_timestamp()::text);

CREATE TABLE tracking_domains (
  id         text PRIMARY KEY,
  tenant_id  text NOT NULL REFERENCES tenants (id),
  host       text NOT NULL UNIQUE CHECK (host ~ '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$' AND length(host) <= 253),
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id)
);
CREATE INDEX tracking_domains_tenant_id_idx ON tracking_domains (tenant_id);

-- One row per click. The primary key carries the partition key; the click id is a
-- UUIDv7 TypeID whose timestamp IS clicked_at, so a replayed click always lands on the
-- same row and ON CONFLICT DO NOTHING makes ingestion idempotent.
CREATE TABLE clicks (
  id           text NOT NULL,
  tenant_id    text NOT NULL,
  clicked_at   timestamptz(3) NOT NULL,
  program_id   text NOT NULL,
  affiliate_id text NOT NULL,
  link_id      text,
  visitor_id   text,
  ip_hash      text,
  ip_prefix    text,
  user_agent   text,
  referrer     text,
  country      char(2),
  device       text NOT NULL CHECK (device IN ('desktop', 'mobile', 'tablet', 'bot', 'unknown')),
  method       text NOT NULL DEFAULT 'GET' CHECK (method IN ('GET', 'HEAD', 'POST')),
  sub1         text,
  sub2         text,
  sub3         text,
  sub4         text,
  sub5         text,
  landing_url  text NOT NULL,
  is_unique    boolean NOT NULL,
  billable     boolean NOT NULL,
  flags        text[] NOT NULL DEFAULT '{}',
  received_at  timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (id, clicked_at)
  -- No foreign keys to programs, affiliates or links: the edge takes these ids from the
  -- database, and on the busiest table of the platform three look-ups per inserted row
  -- would cost more than the insert. The rollups keep theirs.
) PARTITION BY RANGE (clicked_at);
CREATE INDEX clicks_visitor_idx ON clicks (tenant_id, visitor_id, clicked_at);
CREATE INDEX clicks_affiliate_idx ON clicks (tenant_id, affiliate_id, clicked_at);

-- Daily rollups, kept by the click consumer in the transaction that inserts the clicks.
-- Reports read these, never raw clicks. link_id and sub1 are '' when absent.
CREATE TABLE click_daily_stats (
  tenant_id       text NOT NULL REFERENCES tenants (id),
  day             date NOT NULL,
  program_id      text NOT NULL,
  affiliate_id    text NOT NULL,
  link_id         text NOT NULL DEFAULT '',
  sub1            text NOT NULL DEFAULT '',
  clicks          bigint NOT NULL DEFAULT 0 CHECK (clicks >= 0),
  unique_clicks   bigint NOT NULL DEFAULT 0 CHECK (unique_clicks >= 0 AND unique_clicks <= clicks),
  filtered_clicks bigint NOT NULL DEFAULT 0 CHECK (filtered_clicks >= 0),
  PRIMARY KEY (tenant_id, day, program_id, affiliate_id, link_id, sub1),
  FOREIGN KEY (tenant_id, program_id) REFERENCES programs (tenant_id, id),
  FOREIGN KEY (tenant_id, affiliate_id) REFERENCES affiliates (tenant_id, id)
);
CREATE INDEX click_daily_stats_affiliate_idx ON click_daily_stats (tenant_id, affiliate_id, day);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['tracking_domains', 'clicks', 'click_daily_stats'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())', t);
    EXECUTE format('CREATE POLICY system_access ON %I TO affnet_system USING (true) WITH CHECK (true)', t);
  END LOOP;
END $$;

GRANT SELECT, INSERT, DELETE ON tracking_domains TO affnet_app;
GRANT SELECT, INSERT ON clicks TO affnet_app;
GRANT SELECT, INSERT, UPDATE ON click_daily_stats TO affnet_app;

-- Partitions are created (and detached) by affnet_system, which owns the click table:
-- the application role can call these two functions and nothing more.
ALTER TABLE clicks OWNER TO affnet_system;
GRANT CREATE ON SCHEMA public TO affnet_system;

CREATE FUNCTION ensure_click_partitions(p_from date, p_months integer) RETURNS integer
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  m date;
  part text;
  made integer := 0;
BEGIN
  IF p_months < 1 OR p_months > 36 THEN
    RAISE EXCEPTION 'months must be between 1 and 36' USING ERRCODE = '22023';
  END IF;
  -- Two workers making the same partition at once: one waits for the other.
  PERFORM pg_advisory_xact_lock(hashtext('clicks_partitions'));
  FOR i IN 0 .. p_months - 1 LOOP
    m := (date_trunc('month', p_from) + make_interval(months => i))::date;
    part := format('clicks_%s', to_char(m, 'YYYY_MM'));
    IF to_regclass(format('public.%I', part)) IS NULL THEN
      EXECUTE format('CREATE TABLE public.%I PARTITION OF public.clicks FOR VALUES FROM (%L) TO (%L)',
        part, (m::timestamp AT TIME ZONE 'UTC'), ((m + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
      -- Rows are reached through clicks (its policies apply); nobody reads a partition directly.
      EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', part);
      EXECUTE format('REVOKE ALL ON public.%I FROM PUBLIC', part);
      made := made + 1;
    END IF;
  END LOOP;
  RETURN made;
END $$;

-- Detaches (does not drop) the monthly partitions that end on or before p_before: an
-- operator archives or drops them afterwards.
CREATE FUNCTION detach_click_partitions(p_before date) RETURNS text[]
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  r record;
  done text[] := '{}';
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('clicks_partitions'));
  FOR r IN
    SELECT c.relname
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'public.clicks'::regclass AND c.relname ~ '^clicks_[0-9]{4}_[0-9]{2}$'
    ORDER BY c.relname
  LOOP
    IF (to_date(substr(r.relname, 8), 'YYYY_MM') + interval '1 month')::date <= p_before THEN
      EXECUTE format('ALTER TABLE public.clicks DETACH PARTITION public.%I', r.relname);
      done := done || r.relname::text;
    END IF;
  END LOOP;
  RETURN done;
END $$;

-- What the redirect edge needs to answer a click, by the globally unique link code.
CREATE FUNCTION link_for_click(p_code text) RETURNS TABLE (
  link_id text, tenant_id text, program_id text, affiliate_id text, destination_url text,
  sub1 text, sub2 text, sub3 text, sub4 text, sub5 text, link_status text,
  program_status text, landing_url text, allowed_domains text[], tracking_param text,
  cookie_days integer, fallback_url text, enrollment_status text, affiliate_status text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT l.id, l.tenant_id, l.program_id, l.affiliate_id, l.destination_url,
         l.sub1, l.sub2, l.sub3, l.sub4, l.sub5, l.status,
         p.status, p.landing_url, p.allowed_domains, p.tracking_param,
         p.cookie_days, p.fallback_url, e.status, a.status
  FROM links l
  JOIN programs p ON p.tenant_id = l.tenant_id AND p.id = l.program_id
  JOIN enrollments e ON e.tenant_id = l.tenant_id AND e.id = l.enrollment_id
  JOIN affiliates a ON a.tenant_id = l.tenant_id AND a.id = l.affiliate_id
  WHERE l.code = p_code
$$;

CREATE FUNCTION tracking_domain_tenant(p_host text) RETURNS text
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS
  $$ SELECT d.tenant_id FROM tracking_domains d WHERE d.host = lower(p_host) $$;

GRANT SELECT ON links, programs, enrollments, affiliates, tracking_domains TO affnet_system;
ALTER FUNCTION ensure_click_partitions(date, integer) OWNER TO affnet_system;
ALTER FUNCTION detach_click_partitions(date) OWNER TO affnet_system;
ALTER FUNCTION link_for_click(text) OWNER TO affnet_system;
ALTER FUNCTION tracking_domain_tenant(text) OWNER TO affnet_system;
GRANT EXECUTE ON FUNCTION ensure_click_partitions(date, integer), detach_click_partitions(date),
  link_for_click(text), tracking_domain_tenant(text) TO affnet_app;

-- The edge caches links in memory and in Redis; these notifications (sent on commit)
-- tell it which link codes changed. Payload: link codes separated by commas, at most
-- 200 a notification.
CREATE INDEX links_program_id_idx ON links (tenant_id, program_id);
CREATE INDEX links_enrollment_id_idx ON links (enrollment_id);

CREATE FUNCTION link_cache_notify() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  chunk text;
BEGIN
  IF TG_TABLE_NAME = 'links' THEN
    PERFORM pg_notify('link_cache', OLD.code);
    RETURN NULL;
  END IF;
  FOR chunk IN
    SELECT string_agg(s.code, ',')
    FROM (
      SELECT l.code, (row_number() OVER (ORDER BY l.code) - 1) / 200 AS grp
      FROM links l
      WHERE l.tenant_id = NEW.tenant_id
        AND CASE TG_TABLE_NAME
              WHEN 'programs' THEN l.program_id = NEW.id
              WHEN 'enrollments' THEN l.enrollment_id = NEW.id
              ELSE l.affiliate_id = NEW.id
            END
    ) s
    GROUP BY s.grp
  LOOP
    PERFORM pg_notify('link_cache', chunk);
  END LOOP;
  RETURN NULL;
END $$;

CREATE TRIGGER links_cache_notify AFTER UPDATE ON links
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION link_cache_notify();
CREATE TRIGGER programs_cache_notify AFTER UPDATE ON programs
  FOR EACH ROW WHEN ((OLD.status, OLD.landing_url, OLD.allowed_domains, OLD.tracking_param, OLD.cookie_days, OLD.fallback_url)
                     IS DISTINCT FROM (NEW.status, NEW.landing_url, NEW.allowed_domains, NEW.tracking_param, NEW.cookie_days, NEW.fallback_url))
  EXECUTE FUNCTION link_cache_notify();
CREATE TRIGGER enrollments_cache_notify AFTER UPDATE ON enrollments
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION link_cache_notify();
CREATE TRIGGER affiliates_cache_notify AFTER UPDATE ON affiliates
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION link_cache_notify();

CREATE FUNCTION tracking_domain_notify() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('tracking_domain', OLD.host);
  ELSE
    PERFORM pg_notify('tracking_domain', NEW.host);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER tracking_domains_notify AFTER INSERT OR DELETE ON tracking_domains
  FOR EACH ROW EXECUTE FUNCTION tracking_domain_notify();
