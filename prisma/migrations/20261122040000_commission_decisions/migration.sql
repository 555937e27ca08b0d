-- Commission decisions (docs/commissions.md, "Approval, rejection and reversal"): when a
-- commission was approved or rejected and by whom, and how much of it refunds have taken
-- back; the index the approval sweep reads; and the look-up that tells the sweep, which
-- runs for every network, which networks have commissions due.

-- approved_at / rejected_at: when the merchant (or the sweep) decided. decided_by: who
-- (a user id, an API key id, or 'system' for the sweep). reversed_amount: the part of the
-- line refunds have taken back so far (before approval: released at approval, which
-- posts only amount − reversed_amount; after approval: clawed back). It only grows, and
-- never past the line's amount, so repeated and overlapping refunds never take back more.
ALTER TABLE commissions
  ADD COLUMN approved_at     timestamptz(3),
  ADD COLUMN rejected_at     timestamptz(3),
  ADD COLUMN decided_by      text CHECK (length(decided_by) <= 100),
  ADD COLUMN reversed_amount bigint NOT NULL DEFAULT 0,
  ADD CONSTRAINT commissions_reversed_amount_check CHECK (reversed_amount >= 0 AND reversed_amount <= amount);

-- Pending commissions by the end of their hold period (the sweep's scan).
CREATE INDEX commissions_due_idx ON commissions (tenant_id, hold_until) WHERE status = 'pending';

-- The networks with pending commissions whose hold ended by p_now in programs that
-- approve by themselves. The sweep is not tenant-scoped: it asks this, then approves each
-- network's commissions inside that network's own withTenant (RLS applies there).
CREATE FUNCTION commissions_due_tenants(p_now timestamptz) RETURNS TABLE (tenant_id text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT DISTINCT c.tenant_id
    FROM commissions c JOIN programs p ON p.id = c.program_id
   WHERE c.status = 'pending' AND c.hold_until <= p_now AND p.approval_mode = 'auto'
$$;

GRANT SELECT ON commissions, programs TO affnet_system;
ALTER FUNCTION commissions_due_tenants(timestamptz) OWNER TO affnet_system;
GRANT EXECUTE ON FUNCTION commissions_due_tenants(timestamptz) TO affnet_app;
