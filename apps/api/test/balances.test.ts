import { createPrisma, type PrismaClient } from '@app/db/client';
import { withTenant } from '@app/db/with-tenant';
import { insertConversion, type ProgramNetwork, topUp } from '@app/domain/commissions/accrual-fixtures';
import { accrueConversion } from '@app/domain/commissions/accrue-conversion';
import { postPending } from '@app/domain/ledger/post-pending';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvedEnrollment, createProgram, networkWithMerchant, partner } from './builders';
import { createApiKey, createMerchant, expectProblem, type Harness, logIn, startHarness } from './harness';

/** GET /v1/balances and /v1/ledger/accounts/:id/entries after a top-up, accruals and an approval. */

let h: Harness;
let prisma: PrismaClient;
let tenantId: string;
let networkToken: string;
let shoesToken: string;
let shoesKey: string;
let bagsToken: string;
let bob: { token: string; id: string };
let carol: { token: string; id: string };
let shoes: ProgramNetwork;
let otherToken: string;

type Balance = {
  accountId: string;
  ownerType: string;
  ownerId: string;
  currency: string;
  available: number;
  pending: number;
  reserved: number;
  posted: number;
};

async function balances(token: string, query: Record<string, string> = {}): Promise<Balance[]> {
  const qs = new URLSearchParams(query).toString();
  const res = await h.request({ method: 'GET', url: `/v1/balances${qs ? `?${qs}` : ''}`, token });
  if (res.status !== 200) throw new Error(`balances failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}
function entries(accountId: string, token: string, query: Record<string, string> = {}) {
  const qs = new URLSearchParams(query).toString();
  return h.request({ method: 'GET', url: `/v1/ledger/accounts/${accountId}/entries${qs ? `?${qs}` : ''}`, token });
}

beforeAll(async () => {
  h = await startHarness('balances', { RATE_LIMIT_MAX: '100000' });
  prisma = createPrisma({ url: h.db.appUrl, poolSize: 4 });
  const { net, merchantId, merchantToken } = await networkWithMerchant(h, 'balances');
  tenantId = net.tenantId;
  networkToken = net.token;
  shoesToken = merchantToken;
  shoesKey = (await createApiKey(h, shoesToken, merchantId)).key;
  await createMerchant(h, net.token, 'Bags', 'owner@bags.example');
  bagsToken = (await logIn(h, 'balances', 'owner@bags.example')).accessToken;
  const programId = await createProgram(h, shoesToken, merchantId, {
    plan: { sale: { percentBps: 1000 }, networkFee: { percentBps: 2000, of: 'commission' } },
  });
  bob = await partner(h, 'balances', 'bob@blog.example');
  carol = await partner(h, 'balances', 'carol@blog.example');
  await approvedEnrollment(h, shoesToken, programId, bob.token);
  await approvedEnrollment(h, shoesToken, programId, carol.token);
  shoes = { tenantId, merchantId, programId, versions: [], parentId: '', groupId: '', affiliateIds: [bob.id] };
  // Top-up 10,000; Bob's sales of 10,000 and 3,000 accrue 1,000 + fee 200 and 300 + fee 60.
  await topUp(prisma, shoes, 10_000n);
  const first = await insertConversion(h.owner, shoes, { affiliateId: bob.id, amount: 10_000n });
  const second = await insertConversion(h.owner, shoes, { affiliateId: bob.id, amount: 3_000n });
  await accrueConversion(prisma, tenantId, first);
  await accrueConversion(prisma, tenantId, second);
  // The first sale's lines are approved: their pending transfers posted.
  const { rows } = await h.owner.query<{ pending_transfer_id: string }>(
    "SELECT pending_transfer_id FROM commissions WHERE conversion_id = $1 ORDER BY kind = 'network_fee'",
    [first],
  );
  await withTenant(prisma, tenantId, async (tx) => {
    for (const r of rows) await postPending(tx, tenantId, r.pending_transfer_id, { code: 'approval' });
  });
  otherToken = (await networkWithMerchant(h, 'balances-other')).net.token;
});
afterAll(async () => {
  await prisma?.$disconnect();
  await h?.close();
});

describe('GET /v1/balances', () => {
  it('a merchant sees its prepaid account: available and reserved, pending 0', async () => {
    for (const token of [shoesToken, shoesKey]) {
      const data = await balances(token);
      expect(data).toEqual([
        {
          accountId: expect.stringMatching(/^lac_/),
          ownerType: 'merchant',
          ownerId: shoes.merchantId,
          currency: 'EUR',
          available: 8_440,
          reserved: 360,
          pending: 0,
          posted: 8_800,
        },
      ]);
    }
    expect(await balances(bagsToken)).toEqual([]);
    expect(await balances(shoesToken, { currency: 'USD' })).toEqual([]);
    expect(await balances(bagsToken, { merchantId: shoes.merchantId })).toEqual([]);
  });

  it('an affiliate sees its earnings: pending (reserved for it) and available (posted)', async () => {
    expect(await balances(bob.token)).toEqual([
      { accountId: expect.any(String), ownerType: 'affiliate', ownerId: bob.id, currency: 'EUR', available: 1_000, pending: 300, reserved: 0, posted: 1_000 },
    ]);
    expect(await balances(carol.token)).toEqual([]);
    expect(await balances(carol.token, { affiliateId: bob.id })).toEqual([]);
  });

  it('network staff see every merchant and affiliate, or one by id; never the network’s own accounts', async () => {
    const all = await balances(networkToken);
    expect(all.map((b) => [b.ownerType, b.ownerId]).sort()).toEqual(
      [
        ['affiliate', bob.id],
        ['merchant', shoes.merchantId],
      ].sort(),
    );
    expect((await balances(networkToken, { merchantId: shoes.merchantId })).map((b) => b.ownerId)).toEqual([shoes.merchantId]);
    expect((await balances(networkToken, { affiliateId: bob.id })).map((b) => b.ownerId)).toEqual([bob.id]);
    expect(await balances(networkToken, { affiliateId: carol.id })).toEqual([]);
    expect(await balances(otherToken)).toEqual([]);
    expect(await balances(otherToken, { merchantId: shoes.merchantId })).toEqual([]);
  });

  it('reads the account rows: the same numbers the ledger keeps', async () => {
    const [prepaid] = await balances(shoesToken);
    const { rows } = await h.owner.query(
      'SELECT (credits_posted - debits_posted)::int AS posted, debits_pending::int AS reserved FROM ledger_accounts WHERE id = $1',
      [prepaid!.accountId],
    );
    expect(rows[0]).toEqual({ posted: prepaid!.posted, reserved: prepaid!.reserved });
  });

  it('refuses unknown filters and a bad currency; a publishable key is forbidden', async () => {
    for (const [q, path] of [
      ['currency=eur', 'querystring.currency'],
      ['owner=x', 'querystring'],
    ] as const) {
      const res = await h.request({ method: 'GET', url: `/v1/balances?${q}`, token: networkToken });
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual([path]);
    }
    const publishable = await createApiKey(h, shoesToken, shoes.merchantId, 'publishable');
    expectProblem(await h.request({ method: 'GET', url: '/v1/balances', token: publishable.key }), 403, 'forbidden');
  });
});

describe('GET /v1/ledger/accounts/:id/entries', () => {
  it('the prepaid statement runs oldest first to the account’s balance', async () => {
    const [prepaid] = await balances(shoesToken);
    const res = await entries(prepaid!.accountId, shoesToken);
    expect(res.status).toBe(200);
    expect(res.body.account).toMatchObject({ id: prepaid!.accountId, kind: 'merchant_prepaid', normal: 'credit', currency: 'EUR' });
    const rows = res.body.data as {
      kind: string;
      direction: string;
      amount: number;
      code: string;
      balance: number;
      reserved: number;
      reference: object;
      counterparty: { kind: string };
    }[];
    expect(rows.map((e) => [e.kind, e.direction, e.amount, e.code, e.counterparty.kind, e.balance, e.reserved])).toEqual([
      ['single', 'credit', 10_000, 'top_up', 'network_cash', 10_000, 0],
      ['pending', 'debit', 1_000, 'accrual', 'affiliate_earnings', 10_000, 1_000],
      ['pending', 'debit', 200, 'accrual', 'network_fee_revenue', 10_000, 1_200],
      ['pending', 'debit', 300, 'accrual', 'affiliate_earnings', 10_000, 1_500],
      ['pending', 'debit', 60, 'accrual', 'network_fee_revenue', 10_000, 1_560],
      ['post', 'debit', 1_000, 'approval', 'affiliate_earnings', 9_000, 560],
      ['post', 'debit', 200, 'approval', 'network_fee_revenue', 8_800, 360],
    ]);
    const last = rows.at(-1)!;
    expect([last.balance, last.reserved]).toEqual([prepaid!.posted, prepaid!.reserved]);
    expect(rows[1]!.reference).toMatchObject({ commissionId: expect.stringMatching(/^com_/), conversionId: expect.stringMatching(/^cnv_/) });
    expect(res.body.nextCursor).toBeNull();
  });

  it('the affiliate’s statement ends at its posted earnings with its pending separately, and pages on with a cursor', async () => {
    const [earnings] = await balances(bob.token);
    const full = await entries(earnings!.accountId, bob.token);
    expect(full.status).toBe(200);
    const last = full.body.data.at(-1);
    expect([last.balance, last.incoming]).toEqual([earnings!.available, earnings!.pending]);
    expect(full.body.data.map((e: { direction: string }) => e.direction)).toEqual(['credit', 'credit', 'credit']);
    const first = await entries(earnings!.accountId, bob.token, { limit: '2' });
    expect(first.body.data).toEqual(full.body.data.slice(0, 2));
    const second = await entries(earnings!.accountId, bob.token, { limit: '2', cursor: first.body.nextCursor });
    expect(second.body.data).toEqual(full.body.data.slice(2));
    expect(second.body.nextCursor).toBeNull();
  });

  it('is the owner’s and network staff’s only: others get 404', async () => {
    const [prepaid] = await balances(shoesToken);
    const [earnings] = await balances(bob.token);
    for (const [id, token] of [
      [prepaid!.accountId, networkToken],
      [prepaid!.accountId, shoesKey],
      [earnings!.accountId, networkToken],
    ] as const) {
      expect((await entries(id, token)).status).toBe(200);
    }
    for (const [id, token] of [
      [prepaid!.accountId, bagsToken],
      [prepaid!.accountId, bob.token],
      [earnings!.accountId, carol.token],
      [earnings!.accountId, shoesToken],
      [prepaid!.accountId, otherToken],
      ['lac_01jd5v0000000000000000000', networkToken],
    ] as const) {
      expectProblem(await entries(id, token), 404, 'not_found');
    }
    const { rows } = await h.owner.query(`SELECT id FROM ledger_accounts WHERE tenant_id = $1 AND kind = 'network_cash'`, [tenantId]);
    expectProblem(await entries(rows[0].id, shoesToken), 404, 'not_found');
    expect((await entries(rows[0].id, networkToken)).body.data[0]).toMatchObject({ direction: 'debit', balance: 10_000 });
  });
});
