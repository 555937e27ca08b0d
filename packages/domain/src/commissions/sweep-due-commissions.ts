import type { PrismaClient } from '@app/db/client';
import { withTenant } from '@app/db/with-tenant';
import { applyDecision, type LockedCommission, toLocked } from './commission-decisions';

export interface SweepOutcome {
  tenants: number;
  approved: number;
}

const BATCH = 500;

/**
 * The approval sweep (system job `commissions.sweep`): approves every pending commission
 * whose hold period has ended, in programs that approve by themselves
 * (`approval_mode = 'auto'`). Manual programs wait for the merchant.
 *
 * The job is not tenant-scoped: `commissions_due_tenants(now)` (SECURITY DEFINER) names
 * the networks with due commissions, and each network's are approved inside its own
 * withTenant (RLS applies), in batches of `batchSize` rows locked `FOR UPDATE SKIP
 * LOCKED` — a row a merchant is deciding right now is left for the next run rather than
 * waited for. Idempotent: a repeat finds nothing due.
 */
export async function sweepDueCommissions(prisma: PrismaClient, options: { now?: Date; batchSize?: number } = {}): Promise<SweepOutcome> {
  const now = options.now ?? new Date();
  const batchSize = Math.max(1, options.batchSize ?? BATCH);
  const tenants = await prisma.$queryRaw<{ tenant_id: string }[]>`SELECT tenant_id FROM commissions_due_tenants(${now}::timestamptz)`;
  let approved = 0;
  for (const { tenant_id: tenantId } of tenants) {
    for (;;) {
      const n = await withTenant(
        prisma,
        tenantId,
        async (tx) => {
          const rows = await tx.$queryRaw<Parameters<typeof toLocked>[0][]>`
            SELECT c.id, c.merchant_id, c.program_id, c.conversion_id, c.affiliate_id, c.kind, c.bonus_key, c.amount, c.reversed_amount, c.currency,
                   c.status, c.pending_transfer_id
              FROM commissions c JOIN programs p ON p.id = c.program_id
             WHERE c.status = 'pending' AND c.hold_until <= ${now}::timestamptz AND p.approval_mode = 'auto'
             ORDER BY c.id LIMIT ${batchSize}
               FOR UPDATE OF c SKIP LOCKED`;
          const locked: LockedCommission[] = rows.map(toLocked);
          const decided = await applyDecision(tx, tenantId, locked, { kind: 'approve', reason: null, decidedBy: 'system' });
          return { seen: locked.length, approved: [...decided.values()].filter((d) => d.result === 'approved').length };
        },
        { timeoutMs: 60_000 },
      );
      approved += n.approved;
      if (n.seen < batchSize) break;
    }
  }
  return { tenants: tenants.length, approved };
}
