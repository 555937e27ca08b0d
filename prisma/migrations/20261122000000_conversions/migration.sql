-- Conversions and attribution: conversions and their refunds, customers and their
-- bindings to affiliates, manual FX rates, idempotency keys of the API, Stripe event
-- de-duplication, postback replay protection, and the settings programs and merchants
-- need for postbacks, browser tracking and Stripe.

-- The program's postback secret (HMAC-SHA256 key of signed postbacks): 64 hex
-- characters from two random UUIDs (244 random bits). Browser-reported sales are off
-- unless the merchant allows them.
ALTER TABLE programs
  ADD COLUMN postback_secret text NOT NULL DEFAULT replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''),
  ADD COLUMN browser_sales boolean NOT NULL DEFAULT false;

-- The merchant's own Stripe webhook signing secret (whsec_…) with the program its
-- Stripe events go to unless an event names another of the merchant's programs (set
-- and removed together; no foreign key, as programs reference merchants: the program
-- is checked to be the merchant's when set and when an event is handled), and whether
-- customer e-mail addresses are kept in clear (they are always kept hashed).
ALTER TABLE merchants
  ADD COLUMN stripe_webhook_secret text,
  ADD COLUMN stripe_program_id text,
  ADD COLUMN store_customer_emails boolean NOT NULL DEFAULT false,
  ADD CONSTRAINT merchants_stripe_settings_check CHECK ((stripe_webhook_secret IS NULL) = (stripe_program_id IS NULL));

-- Manual exchange rates of a network, append-only: the rate in force at a conversion's
-- time is the newest with effective_from at or before it. rate_nano = units of
-- to_currency per unit of from_currency × 10⁹ (an integer: no floats for money).
CREATE TABLE fx_rates (
  id                 text PRIMARY KEY,
  tenant_id          text NOT NULL REFERENCES tenants (id),
  from_currency      char(3) NOT NULL CHECK (from_currency ~ '^[A-Z]{3}$'),
  to_currency        char(3) NOT NULL CHECK (to_currency ~ '^[A-Z]{3}$' AND to_currency <> from_currency),
  rate_nano          bigint NOT NULL CHECK (rate_nano > 0),
  effective_from     timestamptz(3) NOT NULL,
  created_by_user_id text,
  created_at         timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id)
);
CREATE INDEX fx_rates_lookup_idx ON fx_rates (tenant_id, from_currency, to_currency, effective_from);

-- A merchant's customer, known by the merchant's id for it, a hash of its e-mail, or its
-- Stripe customer id (the two ids unique per merchant; an e-mail may change hands).
CREATE TABLE customers (
  id                 text PRIMARY KEY,
  tenant_id          text NOT NULL REFERENCES tenants (id),
  merchant_id        text NOT NULL,
  external_id        text CHECK (length(external_id) BETWEEN 1 AND 200),
  email_hash         text,
  email              text,
  stripe_customer_id text,
  created_at         timestamptz(3) NOT NULL DEFAULT now(),
  updated_at         timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, merchant_id) REFERENCES merchants (tenant_id, id)
);
CREATE UNIQUE INDEX customers_external_id_key ON customers (merchant_id, external_id);
CREATE INDEX customers_email_hash_idx ON customers (merchant_id, email_hash);
CREATE UNIQUE INDEX customers_stripe_customer_id_key ON customers (merchant_id, stripe_customer_id);

-- The first attributed conversion of a customer in a program binds the customer to the
-- affiliate: later conversions of the customer (recurring, other devices) go to the same
-- affiliate until expires_at (NULL: for the customer's lifetime). First binding wins.
CREATE TABLE customer_bindings (
  id            text PRIMARY KEY,
  tenant_id     text NOT NULL REFERENCES tenants (id),
  customer_id   text NOT NULL,
  program_id    text NOT NULL,
  affiliate_id  text NOT NULL,
  link_id       text,
  conversion_id text NOT NULL,
  bound_at      timestamptz(3) NOT NULL,
  expires_at    timestamptz(3),
  created_at    timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (customer_id, program_id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
  FOREIGN KEY (tenant_id, program_id) REFERENCES programs (tenant_id, id),
  FOREIGN KEY (tenant_id, affiliate_id) REFERENCES affiliates (tenant_id, id)
);

CREATE TABLE conversions (
  id                  text PRIMARY KEY,
  tenant_id           text NOT NULL REFERENCES tenants (id),
  merchant_id         text NOT NULL,
  program_id          text NOT NULL,
  type                text NOT NULL CHECK (type IN ('lead', 'sale')),
  external_id         text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 200),
  -- What the merchant sees: received → attributed | unattributed; refunded (in full)
  -- and rejected win over the attribution outcome.
  status              text NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'attributed', 'unattributed', 'refunded', 'rejected')),
  attribution         text NOT NULL DEFAULT 'pending' CHECK (attribution IN ('pending', 'attributed', 'unattributed')),
  source              text NOT NULL CHECK (source IN ('api', 'postback', 'tracker', 'stripe')),
  trust               text NOT NULL DEFAULT 'server' CHECK (trust IN ('server', 'browser')),
  -- In the program's currency (converted when the sale came in another one).
  amount              bigint CHECK (amount >= 0),
  currency            char(3),
  refunded_amount     bigint NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0 AND refunded_amount <= coalesce(amount, 0)),
  original_amount     bigint CHECK (original_amount >= 0),
  original_currency   char(3),
  fx_rate_id          text,
  fx_rate_nano        bigint,
  click_id            text,
  coupon_code         text,
  customer_id         text,
  customer_external_id text,
  visitor_id          text,
  payment_ref         text,
  ip_hash             text,
  items               jsonb NOT NULL DEFAULT '[]',
  metadata            jsonb NOT NULL DEFAULT '{}',
  occurred_at         timestamptz(3) NOT NULL,
  -- The attribution result.
  affiliate_id        text,
  link_id             text,
  attributed_click_id text,
  coupon_id           text,
  binding_id          text,
  recurring           boolean NOT NULL DEFAULT false,
  sub1                text,
  sub2                text,
  sub3                text,
  sub4                text,
  sub5                text,
  attribution_reason  text CHECK (attribution_reason IN ('click', 'first_click', 'coupon', 'customer')),
  unattributed_reason text,
  signals             text[] NOT NULL DEFAULT '{}',
  attributed_at       timestamptz(3),
  created_at          timestamptz(3) NOT NULL DEFAULT now(),
  updated_at          timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (program_id, external_id),
  CHECK ((type = 'lead') OR (amount IS NOT NULL AND currency IS NOT NULL)),
  FOREIGN KEY (tenant_id, merchant_id) REFERENCES merchants (tenant_id, id),
  FOREIGN KEY (tenant_id, program_id) REFERENCES programs (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
  FOREIGN KEY (tenant_id, affiliate_id) REFERENCES affiliates (tenant_id, id),
  FOREIGN KEY (tenant_id, fx_rate_id) REFERENCES fx_rates (tenant_id, id)
);
CREATE INDEX conversions_list_idx ON conversions (tenant_id, merchant_id, created_at);
CREATE INDEX conversions_affiliate_idx ON conversions (tenant_id, affiliate_id, created_at);
CREATE INDEX conversions_payment_ref_idx ON conversions (merchant_id, payment_ref);
-- Conversions of a customer still waiting for attribution (a sale waits for its
-- customer's sign-up to bind the customer).
CREATE INDEX conversions_pending_customer_idx ON conversions (program_id, customer_id) WHERE attribution = 'pending';
-- A Stripe invoice goes to the program its subscription's checkout went to.
CREATE INDEX conversions_stripe_subscription_idx ON conversions (merchant_id, (metadata->>'subscription')) WHERE source = 'stripe';
ALTER TABLE customer_bindings ADD FOREIGN KEY (tenant_id, conversion_id) REFERENCES conversions (tenant_id, id);

-- A refund or cancellation. `waiting` when it names a sale not received yet (a Stripe
-- refund event before the payment event): applied when that sale arrives.
CREATE TABLE conversion_refunds (
  id            text PRIMARY KEY,
  tenant_id     text NOT NULL REFERENCES tenants (id),
  merchant_id   text NOT NULL,
  conversion_id text,
  external_ref  text,
  -- NULL: the whole (remaining) amount. Else in the sale's original currency.
  amount        bigint CHECK (amount > 0),
  applied_amount bigint CHECK (applied_amount >= 0),
  reason        text,
  source        text NOT NULL CHECK (source IN ('api', 'postback', 'stripe')),
  status        text NOT NULL CHECK (status IN ('waiting', 'applied')),
  applied_at    timestamptz(3),
  created_at    timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  CHECK (conversion_id IS NOT NULL OR external_ref IS NOT NULL),
  FOREIGN KEY (tenant_id, merchant_id) REFERENCES merchants (tenant_id, id),
  FOREIGN KEY (tenant_id, conversion_id) REFERENCES conversions (tenant_id, id)
);
CREATE INDEX conversion_refunds_conversion_idx ON conversion_refunds (tenant_id, conversion_id);
CREATE INDEX conversion_refunds_waiting_idx ON conversion_refunds (merchant_id, external_ref) WHERE status = 'waiting';

-- Idempotency-Key of API requests that create money or conversions: the first request's
-- body hash and answer, kept for replays (same key + same body → same answer).
CREATE TABLE idempotency_keys (
  tenant_id    text NOT NULL REFERENCES tenants (id),
  scope        text NOT NULL,
  key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
  request_hash text NOT NULL,
  status_code  integer,
  response     jsonb,
  created_at   timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, scope, key)
);

-- Stripe events already handled per merchant (Stripe delivers at least once). An
-- event naming an invoice and the payment that paid it keeps both: since Stripe's API
-- version 2025-03-31 neither invoices nor charges name the other, and only the
-- invoice_payment.paid event links them (in any order with invoice.paid).
CREATE TABLE stripe_events (
  tenant_id     text NOT NULL REFERENCES tenants (id),
  merchant_id   text NOT NULL,
  event_id      text NOT NULL,
  type          text NOT NULL,
  event_created timestamptz(3) NOT NULL,
  outcome       text NOT NULL,
  invoice_id    text,
  payment_ref   text,
  received_at   timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, event_id),
  FOREIGN KEY (tenant_id, merchant_id) REFERENCES merchants (tenant_id, id)
);
CREATE INDEX stripe_events_invoice_idx ON stripe_events (merchant_id, invoice_id) WHERE payment_ref IS NOT NULL;

-- Signatures of accepted postbacks, kept past the ±300 s window: a replayed postback
-- is refused.
CREATE TABLE postback_receipts (
  signature   text PRIMARY KEY,
  tenant_id   text NOT NULL REFERENCES tenants (id),
  program_id  text NOT NULL,
  received_at timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX postback_receipts_received_idx ON postback_receipts (received_at);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['fx_rates', 'customers', 'customer_bindings', 'conversions', 'conversion_refunds',
                           'idempotency_keys', 'stripe_events', 'postback_receipts'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())', t);
    EXECUTE format('CREATE POLICY system_access ON %I TO affnet_system USING (true) WITH CHECK (true)', t);
  END LOOP;
END $$;

GRANT SELECT, INSERT ON fx_rates, stripe_events TO affnet_app;
GRANT SELECT, INSERT, UPDATE ON customers, customer_bindings, conversions, conversion_refunds, idempotency_keys TO affnet_app;
GRANT SELECT, INSERT, DELETE ON postback_receipts TO affnet_app;

-- What a signed postback needs before it knows its network: the program's network,
-- merchant, secret and status, by the program id it names.
CREATE FUNCTION program_for_postback(p_id text) RETURNS TABLE (
  tenant_id text, merchant_id text, postback_secret text, status text, currency char(3))
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT p.tenant_id, p.merchant_id, p.postback_secret, p.status, p.currency FROM programs p WHERE p.id = p_id
$$;

-- What a merchant's Stripe webhook needs before it knows its network.
CREATE FUNCTION merchant_for_stripe(p_id text) RETURNS TABLE (tenant_id text, stripe_webhook_secret text, stripe_program_id text, status text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT m.tenant_id, m.stripe_webhook_secret, m.stripe_program_id, m.status FROM merchants m WHERE m.id = p_id
$$;

GRANT SELECT ON merchants TO affnet_system;
ALTER FUNCTION program_for_postback(text) OWNER TO affnet_system;
ALTER FUNCTION merchant_for_stripe(text) OWNER TO affnet_system;
GRANT EXECUTE ON FUNCTION program_for_postback(text), merchant_for_stripe(text) TO affnet_app;
