-- SECURITY DEFINER functions resolve table names through their own search_path. With only
-- `public` listed, Postgres still searches pg_temp first, so a caller could create a
-- temporary table named tenants or api_keys (and grant it to affnet_system) and have the
-- look-ups read it in place of the real one: any key hash resolving to any tenant.
-- Naming pg_temp last closes that.
ALTER FUNCTION auth_tenant_by_slug(text) SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION auth_api_key_lookup(text) SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION auth_session_tenant(text) SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION outbox_claim(integer, interval) SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION outbox_mark_sent(text[]) SET search_path = pg_catalog, public, pg_temp;
