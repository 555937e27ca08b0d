import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { readProcessEnv } from '@app/config/env';
import { createPrisma, type PrismaClient } from '@app/db/client';
import { clickIdAt } from '@app/db/ids';
import { withTenant } from '@app/db/with-tenant';
import { createTransfer } from '@app/domain/ledger/create-transfer';
import { ensureAccount } from '@app/domain/ledger/ensure-account';
import { recomputeAccounts } from '@app/domain/ledger/recompute-account';
import { trialBalance } from '@app/domain/ledger/trial-balance';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvedEnrollment, createLink, createProgram, networkWithMerchant, partner } from '../apps/api/test/builders';
import { createApiKey, type Harness, startHarness } from '../apps/api/test/harness';

// Crash safety of the accrual, with real processes killed by SIGKILL: a worker dies right
// after an accrual committed (other jobs of its batch in flight), before BullMQ marked the
// job done; a worker started afterwards runs every accrual again. Each conversion ends
// with one commission per line and one pending transfer per commission, and the
// accruals that had committed are left exactly as they were.

const root = fileURLToPath(new URL('..', import.meta.url));
const workerMain = fileURLToPath(new URL('../apps/worker/src/main.ts', import.meta.url));

let h: Harness;
let redis: Redis;
let prisma: PrismaClient;
let tenantId: string;
let merchantId: string;
let secret: string;
let programId: string;
let affiliateId: string;
let linkId: string;
const children: ChildProcess[] = [];

function spawnWorker(env: Record<string, string>): ChildProcess {
  const { PATH, HOME } = readProcessEnv();
  // node with tsx as a loader, so SIGKILL reaches the process that does the work.
  const child = spawn(process.execPath, ['--import', 'tsx', workerMain], {
    cwd: root,
    env: {
      PATH,
      HOME,
      DATABASE_URL: h.db.ownerUrl,
      APP_DATABASE_URL: h.db.appUrl,
      REDIS_URL: h.config.REDIS_URL,
      REDIS_PREFIX: h.config.REDIS_PREFIX,
      LOG_LEVEL: 'warn',
      WORKER_LOCK_MS: '1000',
      OUTBOX_POLL_MS: '100',
      WORKER_CONCURRENCY: '8',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 40_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`${what}: not met in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await once(child, 'exit');
}

async function click(): Promise<string> {
  const at = Date.now() - 3_600_000;
  const id = clickIdAt(at);
  await h.owner.query(
    `INSERT INTO clicks (id, tenant_id, clicked_at, program_id, affiliate_id, link_id, device, landing_url, is_unique, billable)
     VALUES ($1, $2, $3, $4, $5, $6, 'desktop', 'https://shoes.example/', true, true)`,
    [id, tenantId, new Date(at), programId, affiliateId, linkId],
  );
  return id;
}

/** Every commission with its transfer, and every ledger account's sums: what a repeated accrual must not change. */
async function snapshot() {
  const commissions = await h.owner.query(
    `SELECT c.id, c.conversion_id, c.kind, c.amount::text, c.status, c.pending_transfer_id, t.amount::text AS transfer_amount, t.kind AS transfer_kind
       FROM commissions c LEFT JOIN ledger_transfers t ON t.id = c.pending_transfer_id WHERE c.tenant_id = $1 ORDER BY c.id`,
    [tenantId],
  );
  const accounts = await h.owner.query(
    `SELECT id, kind, debits_pending::text, debits_posted::text, credits_pending::text, credits_posted::text FROM ledger_accounts
      WHERE tenant_id = $1 ORDER BY id`,
    [tenantId],
  );
  const transfers = await h.owner.query('SELECT count(*)::int AS n FROM ledger_transfers WHERE tenant_id = $1', [tenantId]);
  return { commissions: commissions.rows, accounts: accounts.rows, transfers: transfers.rows[0].n as number };
}

beforeAll(async () => {
  h = await startHarness('e2e_accrual_kill', { RATE_LIMIT_MAX: '100000' });
  redis = new Redis(h.config.REDIS_URL);
  prisma = createPrisma({ url: h.db.appUrl, poolSize: 2 });
  await h.owner.query(`SELECT ensure_click_partitions((now() - interval '1 month')::date, 3)`);
  const set = await networkWithMerchant(h, 'accrkill');
  tenantId = set.net.tenantId;
  merchantId = set.merchantId;
  secret = (await createApiKey(h, set.merchantToken, set.merchantId)).key;
  programId = await createProgram(h, set.merchantToken, set.merchantId, {
    plan: { sale: { percentBps: 1000 }, networkFee: { percentBps: 2000, of: 'commission' } },
  });
  const bob = await partner(h, 'accrkill', 'bob@accrual.example');
  affiliateId = bob.id;
  await approvedEnrollment(h, set.merchantToken, programId, bob.token);
  linkId = (await createLink(h, bob.token, { programId })).id;
  // The merchant's prepaid balance: enough for every accrual below.
  await withTenant(prisma, tenantId, async (tx) => {
    const cash = await ensureAccount(tx, tenantId, { kind: 'network_cash', currency: 'EUR' });
    const prepaid = await ensureAccount(tx, tenantId, { kind: 'merchant_prepaid', ownerId: merchantId, currency: 'EUR' });
    await createTransfer(tx, tenantId, {
      kind: 'single_phase',
      debitAccountId: cash.id,
      creditAccountId: prepaid.id,
      amount: 1_000_000n,
      currency: 'EUR',
      idempotencyKey: 'top_up:e2e',
      code: 'top_up',
    });
  });
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  redis?.disconnect();
  await prisma?.$disconnect();
  await h?.close();
});

describe('accrual crash safety', () => {
  it('a worker killed after an accrual committed, mid-batch: the restarted worker leaves one commission per line and the ledger as it was', async () => {
    const amounts = [10_000, 20_000, 30_000, 40_000, 50_000, 60_000];
    const ids: string[] = [];
    for (const [i, amount] of amounts.entries()) {
      const res = await h.request({
        method: 'POST',
        url: '/v1/conversions',
        token: secret,
        payload: { programId, type: 'sale', externalId: `order-accrual-kill-${i}`, amount, clickId: await click() },
      });
      expect(res.status).toBe(202);
      ids.push(res.body.id);
    }

    const first = spawnWorker({ FAULT_KILL_AFTER_ACCRUAL: 'true' });
    await killed(first);
    expect(first.signalCode).toBe('SIGKILL');

    // At least the accrual that triggered the kill committed, with both its lines reserved.
    const before = await snapshot();
    const accrued = (await h.owner.query('SELECT conversion_id FROM conversion_accruals WHERE tenant_id = $1', [tenantId])).rows.map((r) => r.conversion_id);
    expect(accrued.length).toBeGreaterThanOrEqual(1);
    expect(before.commissions).toHaveLength(accrued.length * 2);
    for (const c of before.commissions) expect(c).toMatchObject({ status: 'pending', transfer_kind: 'pending', transfer_amount: c.amount });
    expect(before.transfers).toBe(1 + before.commissions.length);

    // BullMQ never heard that it finished: the committed accrual's job is still active under a dead lock.
    const keys = `${h.config.REDIS_PREFIX}:conversions`;
    const active = await redis.lrange(`${keys}:active`, 0, -1);
    const jobs = await h.owner.query(
      `SELECT id, payload->>'conversionId' AS conversion_id FROM outbox WHERE tenant_id = $1 AND topic = 'commissions.accrue' AND id = ANY ($2)`,
      [tenantId, active],
    );
    const interrupted = jobs.rows.filter((j) => accrued.includes(j.conversion_id));
    expect(interrupted.length).toBeGreaterThanOrEqual(1);

    spawnWorker({});
    await until('every conversion accrued', async () => {
      const { rows } = await h.owner.query(`SELECT count(*)::int AS n FROM conversion_accruals WHERE tenant_id = $1`, [tenantId]);
      return rows[0].n === ids.length;
    });
    for (const job of interrupted) {
      await until(`job ${job.id} finished on the second worker`, async () => (await redis.zscore(`${keys}:completed`, job.id)) !== null);
      const returned = JSON.parse((await redis.hget(`${keys}:${job.id}`, 'returnvalue')) ?? 'null');
      expect(returned).toMatchObject({ conversionId: job.conversion_id, status: 'accrued', changed: false });
    }

    const after = await snapshot();
    // The commissions that had committed are untouched (same ids, same transfers).
    expect(after.commissions.filter((c) => accrued.includes(c.conversion_id))).toEqual(before.commissions);
    // One commission per line: the primary (10 %) and the network fee (20 % of it), each with its pending transfer.
    const lines = await h.owner.query(
      `SELECT conversion_id, kind, amount::text, status, count(*) OVER (PARTITION BY conversion_id, kind)::int AS n
         FROM commissions WHERE tenant_id = $1 ORDER BY conversion_id, kind`,
      [tenantId],
    );
    expect(lines.rows).toHaveLength(ids.length * 2);
    for (const [i, id] of ids.entries()) {
      expect(lines.rows.filter((r) => r.conversion_id === id)).toEqual([
        { conversion_id: id, kind: 'network_fee', amount: String(amounts[i]! / 50), status: 'pending', n: 1 },
        { conversion_id: id, kind: 'primary', amount: String(amounts[i]! / 10), status: 'pending', n: 1 },
      ]);
    }
    expect(after.transfers).toBe(1 + ids.length * 2);
    const reserved = amounts.reduce((sum, a) => sum + a / 10 + a / 50, 0);
    const prepaid = after.accounts.find((a) => a.kind === 'merchant_prepaid');
    expect(prepaid).toMatchObject({ debits_pending: String(reserved), credits_posted: '1000000', debits_posted: '0' });
    expect((await withTenant(prisma, tenantId, (tx) => recomputeAccounts(tx, tenantId))).filter((c) => !c.matches)).toEqual([]);
    expect((await withTenant(prisma, tenantId, (tx) => trialBalance(tx, tenantId))).every((t) => t.balanced)).toBe(true);
    const events = await h.owner.query(`SELECT count(*)::int AS n FROM domain_events WHERE tenant_id = $1 AND type = 'commission.created'`, [tenantId]);
    expect(events.rows[0].n).toBe(ids.length);
  });
});
