-- Prepaid top-ups (docs/top-ups.md): the network's own Stripe account that receives
-- merchants' payments, the top-ups themselves (a Stripe Checkout payment or a manual
-- credit by network staff), the network's Stripe events already handled, and each
-- merchant's low-balance threshold per currency.

-- The network's own Stripe account: the secret API key that creates Checkout Sessions
-- and the signing secret of the webhook endpoint Stripe sends its events to. One per
-- network; never shown again once saved.
CREATE TABLE network_stripe_accounts (
  tenant_id      text PRIMARY KEY REFERENCES tenants (id),
  secret_key     text NOT NULL CHECK (secret_key ~ '^(sk|rk)_(test|live)_[A-Za-z0-9]{8,250}$'),
  webhook_secret text NOT NULL CHECK (webhook_secret ~ '^whsec_[A-Za-z0-9+/=]{16,200}$'),
  created_at     timestamptz(3) NOT NULL DEFAULT now(),
  updated_at     timestamptz(3) NOT NULL DEFAULT now()
);

-- A top-up of a merchant's prepaid balance. `stripe`: pending from the Checkout Session
-- until Stripe's webhook confirms the payment (paid), or the session expires or its
-- delayed payment fails. `manual`: a credit by network staff with a reason, paid at
-- once. A paid top-up names the ledger transfer (network cash → merchant prepaid) that
-- credited it, whose idempotency key is `top_up:<id>`.
CREATE TABLE top_ups (
  id                    text PRIMARY KEY,
  tenant_id             text NOT NULL REFERENCES tenants (id),
  merchant_id           text NOT NULL,
  method                text NOT NULL CHECK (method IN ('stripe', 'manual')),
  amount                bigint NOT NULL CHECK (amount > 0),
  currency              char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  status                text NOT NULL CHECK (status IN ('pending', 'paid', 'expired', 'failed')),
  reason                text CHECK (length(reason) BETWEEN 1 AND 500),
  created_by_type       text NOT NULL CHECK (created_by_type IN ('user', 'api_key', 'system')),
  created_by_id         text,
  stripe_session_id     text,
  checkout_url          text,
  stripe_payment_intent text,
  transfer_id           text,
  paid_at               timestamptz(3),
  created_at            timestamptz(3) NOT NULL DEFAULT now(),
  updated_at            timestamptz(3) NOT NULL DEFAULT now(),
  CONSTRAINT top_ups_tenant_id_id_key UNIQUE (tenant_id, id),
  CONSTRAINT top_ups_method_fields_check CHECK (
    (method = 'manual' AND reason IS NOT NULL AND stripe_session_id IS NULL) OR
    (method = 'stripe' AND reason IS NULL AND stripe_session_id IS NOT NULL AND checkout_url IS NOT NULL)
  ),
  CONSTRAINT top_ups_paid_fields_check CHECK ((status = 'paid') = (transfer_id IS NOT NULL AND paid_at IS NOT NULL)),
  FOREIGN KEY (tenant_id, merchant_id) REFERENCES merchants (tenant_id, id),
  FOREIGN KEY (tenant_id, transfer_id) REFERENCES ledger_transfers (tenant_id, id)
);
CREATE UNIQUE INDEX top_ups_tenant_id_stripe_session_id_key ON top_ups (tenant_id, stripe_session_id);
CREATE INDEX top_ups_merchant_idx ON top_ups (tenant_id, merchant_id, id);
-- A transfer credits one top-up.
CREATE UNIQUE INDEX top_ups_transfer_id_key ON top_ups (transfer_id);

-- Events of the network's Stripe account already handled (Stripe delivers at least
-- once): a repeat of an event id does nothing. What a checkout event said it charged is
-- kept beside the outcome, so a refused amount is on record.
CREATE TABLE network_stripe_events (
  tenant_id     text NOT NULL REFERENCES tenants (id),
  event_id      text NOT NULL,
  type          text NOT NULL,
  event_created timestamptz(3) NOT NULL,
  outcome       text NOT NULL,
  top_up_id     text,
  amount        bigint,
  currency      char(3),
  received_at   timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, event_id),
  FOREIGN KEY (tenant_id, top_up_id) REFERENCES top_ups (tenant_id, id)
);

-- A merchant's low-balance threshold in one currency: `balance.low` is recorded once
-- when the prepaid account's available balance falls below `amount` (notified_at set),
-- and not again until it is back at or above it (notified_at cleared).
CREATE TABLE low_balance_thresholds (
  tenant_id   text NOT NULL REFERENCES tenants (id),
  merchant_id text NOT NULL,
  currency    char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  amount      bigint NOT NULL CHECK (amount >= 0),
  notified_at timestamptz(3),
  created_at  timestamptz(3) NOT NULL DEFAULT now(),
  updated_at  timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, currency),
  FOREIGN KEY (tenant_id, merchant_id) REFERENCES merchants (tenant_id, id)
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['network_stripe_accounts', 'top_ups', 'network_stripe_events', 'low_balance_thresholds'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())', t);
    EXECUTE format('CREATE POLICY system_access ON %I TO affnet_system USING (true) WITH CHECK (true)', t);
  END LOOP;
END $$;

-- Top-ups change status and are never deleted; handled events only accumulate; a
-- network may disconnect its Stripe account.
GRANT SELECT, INSERT, UPDATE, DELETE ON network_stripe_accounts TO affnet_app;
GRANT SELECT, INSERT, UPDATE ON top_ups, low_balance_thresholds TO affnet_app;
GRANT SELECT, INSERT ON network_stripe_events TO affnet_app;

-- What the network's Stripe webhook needs before it knows its network: the signing
-- secret saved for the network the URL names.
CREATE FUNCTION network_stripe_for_webhook(p_tenant_id text) RETURNS TABLE (tenant_id text, webhook_secret text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT a.tenant_id, a.webhook_secret FROM network_stripe_accounts a WHERE a.tenant_id = p_tenant_id
$$;

GRANT SELECT ON network_stripe_accounts TO affnet_system;
ALTER FUNCTION network_stripe_for_webhook(text) OWNER TO affnet_system;
GRANT EXECUTE ON FUNCTION network_stripe_for_webhook(text) TO affnet_app;
