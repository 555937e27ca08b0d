-- The double-entry ledger (docs/ledger.md): accounts per tenant × owner × kind × currency
-- holding four running sums, and immutable transfers between two accounts of the same
-- tenant and currency. Pending transfers are resolved exactly once by a later row that
-- posts (all or part of) or voids them. The running sums are kept by the domain code in
-- the transaction that inserts the transfers; every constraint the database can check
-- cheaply it checks itself.

-- An account. Credit-normal kinds (merchant_prepaid, affiliate_earnings,
-- network_fee_revenue, payouts_in_transit) have their balance on the credit side,
-- network_cash (an asset) on the debit side. Accounts a network owns carry the tenant's
-- id as owner_id. debits_must_not_exceed_credits: debits (posted + pending) may not pass
-- posted credits plus the overdraft limit; merchant prepaid and payouts in transit
-- always have it.
CREATE TABLE ledger_accounts (
  id                             text PRIMARY KEY,
  tenant_id                      text NOT NULL REFERENCES tenants (id),
  owner_type                     text NOT NULL CHECK (owner_type IN ('merchant', 'affiliate', 'network')),
  owner_id                       text NOT NULL,
  kind                           text NOT NULL,
  currency                       char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  debits_pending                 bigint NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
  debits_posted                  bigint NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
  credits_pending                bigint NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
  credits_posted                 bigint NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
  debits_must_not_exceed_credits boolean NOT NULL DEFAULT false,
  overdraft_limit                bigint NOT NULL DEFAULT 0 CHECK (overdraft_limit >= 0),
  created_at                     timestamptz(3) NOT NULL DEFAULT now(),
  -- Each kind belongs to one type of owner; a network's accounts name the network.
  CONSTRAINT ledger_accounts_kind_owner_check CHECK (
    (kind = 'merchant_prepaid' AND owner_type = 'merchant') OR
    (kind = 'affiliate_earnings' AND owner_type = 'affiliate') OR
    (kind IN ('network_fee_revenue', 'network_cash', 'payouts_in_transit') AND owner_type = 'network' AND owner_id = tenant_id)
  ),
  CONSTRAINT ledger_accounts_flag_check CHECK (kind NOT IN ('merchant_prepaid', 'payouts_in_transit') OR debits_must_not_exceed_credits),
  -- The last line of defence for "prepaid never below zero unless an overdraft is set":
  -- the domain refuses such a transfer with a typed error before it gets here.
  CONSTRAINT ledger_accounts_balance_check CHECK (
    NOT debits_must_not_exceed_credits OR debits_posted + debits_pending <= credits_posted + overdraft_limit
  ),
  -- The target of the transfers' foreign keys: same tenant AND same currency.
  CONSTRAINT ledger_accounts_tenant_id_id_currency_key UNIQUE (tenant_id, id, currency),
  CONSTRAINT ledger_accounts_tenant_id_owner_type_owner_id_kind_currency_key UNIQUE (tenant_id, owner_type, owner_id, kind, currency)
);

-- A transfer. single_phase and pending name their accounts; post_pending and
-- void_pending name the pending transfer they resolve and repeat its accounts and
-- currency. amount: what moves (post_pending: what is posted, at most the pending
-- amount, the rest is released; void_pending: the whole pending amount, released).
CREATE TABLE ledger_transfers (
  id                text PRIMARY KEY,
  tenant_id         text NOT NULL REFERENCES tenants (id),
  idempotency_key   text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 200),
  kind              text NOT NULL CHECK (kind IN ('single_phase', 'pending', 'post_pending', 'void_pending')),
  debit_account_id  text NOT NULL,
  credit_account_id text NOT NULL,
  amount            bigint NOT NULL CHECK (amount > 0),
  currency          char(3) NOT NULL,
  pending_id        text,
  code              text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_.]{0,63}$'),
  reason            text CHECK (length(reason) <= 1000),
  user_data         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(user_data) = 'object'),
  created_at        timestamptz(3) NOT NULL DEFAULT now(),
  CONSTRAINT ledger_transfers_tenant_id_id_key UNIQUE (tenant_id, id),
  CONSTRAINT ledger_transfers_tenant_id_idempotency_key_key UNIQUE (tenant_id, idempotency_key),
  -- Exactly once: one resolution per pending transfer, ever.
  CONSTRAINT ledger_transfers_pending_id_key UNIQUE (pending_id),
  CONSTRAINT ledger_transfers_accounts_check CHECK (debit_account_id <> credit_account_id),
  CONSTRAINT ledger_transfers_pending_id_check CHECK ((pending_id IS NOT NULL) = (kind IN ('post_pending', 'void_pending'))),
  CONSTRAINT ledger_transfers_debit_account_fkey FOREIGN KEY (tenant_id, debit_account_id, currency) REFERENCES ledger_accounts (tenant_id, id, currency),
  CONSTRAINT ledger_transfers_credit_account_fkey FOREIGN KEY (tenant_id, credit_account_id, currency) REFERENCES ledger_accounts (tenant_id, id, currency),
  CONSTRAINT ledger_transfers_pending_fkey FOREIGN KEY (tenant_id, pending_id) REFERENCES ledger_transfers (tenant_id, id)
);
-- An account's statement and its recomputation read its transfers by side.
CREATE INDEX ledger_transfers_debit_account_id_id_idx ON ledger_transfers (debit_account_id, id);
CREATE INDEX ledger_transfers_credit_account_id_id_idx ON ledger_transfers (credit_account_id, id);

-- Transfers are immutable: a mistake is corrected by a new transfer.
CREATE TRIGGER ledger_transfers_append_only BEFORE UPDATE OR DELETE ON ledger_transfers
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER ledger_transfers_no_truncate BEFORE TRUNCATE ON ledger_transfers
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- A resolution must match what it resolves: a pending transfer, the same accounts and
-- currency, a posted amount no larger than the pending one, a voided amount equal to it.
CREATE FUNCTION ledger_check_resolution() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE p ledger_transfers%ROWTYPE;
BEGIN
  SELECT * INTO p FROM ledger_transfers WHERE id = NEW.pending_id;
  IF NOT FOUND OR p.kind <> 'pending' THEN
    RAISE EXCEPTION 'transfer % is not a pending transfer', NEW.pending_id USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.debit_account_id <> p.debit_account_id OR NEW.credit_account_id <> p.credit_account_id OR NEW.currency <> p.currency THEN
    RAISE EXCEPTION 'transfer % must name the accounts and currency of pending transfer %', NEW.id, p.id USING ERRCODE = 'check_violation';
  END IF;
  IF (NEW.kind = 'post_pending' AND NEW.amount > p.amount) OR (NEW.kind = 'void_pending' AND NEW.amount <> p.amount) THEN
    RAISE EXCEPTION 'transfer % resolves % of pending transfer % (%)', NEW.id, NEW.amount, p.id, p.amount USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER ledger_transfers_check_resolution BEFORE INSERT ON ledger_transfers
  FOR EACH ROW WHEN (NEW.pending_id IS NOT NULL) EXECUTE FUNCTION ledger_check_resolution();

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['ledger_accounts', 'ledger_transfers'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())', t);
    EXECUTE format('CREATE POLICY system_access ON %I TO affnet_system USING (true) WITH CHECK (true)', t);
  END LOOP;
END $$;

-- Transfers are append-only for the application. Accounts are never deleted, and only
-- their running sums and overdraft limit change: owner, kind, currency and flags are
-- fixed at creation (column grants; SELECT … FOR NO KEY UPDATE needs one of them).
GRANT SELECT, INSERT ON ledger_transfers TO affnet_app;
GRANT SELECT, INSERT ON ledger_accounts TO affnet_app;
GRANT UPDATE (debits_pending, debits_posted, credits_pending, credits_posted, overdraft_limit) ON ledger_accounts TO affnet_app;
