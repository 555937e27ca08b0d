import { createPrisma, type PrismaClient } from '@app/db/client';
import { idTime, newId } from '@app/db/ids';
import { createTestDatabase, type TestDatabase } from '@app/db/testing/test-database';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureClickPartitions, type StoredClick, storeClicks } from './store-clicks';

let db: TestDatabase;
let owner: pg.Pool;
let a: PrismaClient;
let b: PrismaClient;
const tenants: { tenantId: string; programId: string; affiliateId: string; linkIds: string[] }[] = [];

/** Two networks, each with a program, an affiliate and four links, written as the owner. */
async function seed(slug: string) {
  const tenantId = newId('tenant');
  const merchantId = newId('merchant');
  const affiliateId = newId('affiliate');
  const programId = newId('program');
  const enrollmentId = newId('enrollment');
  await owner.query(`INSERT INTO tenants (id, slug, name, default_currency) VALUES ($1, $2, $2, 'EUR')`, [tenantId, slug]);
  await owner.query(`INSERT INTO merchants (id, tenant_id, name, default_currency) VALUES ($1, $2, 'M', 'EUR')`, [merchantId, tenantId]);
  await owner.query(`INSERT INTO affiliates (id, tenant_id, name, email) VALUES ($1, $2, 'A', $3)`, [affiliateId, tenantId, `a@${slug}.test`]);
  await owner.query(
    `INSERT INTO programs (id, tenant_id, merchant_id, name, landing_url, currency, status) VALUES ($1, $2, $3, 'P', 'https://shop.example/', 'EUR', 'active')`,
    [programId, tenantId, merchantId],
  );
  await owner.query(`INSERT INTO enrollments (id, tenant_id, program_id, affiliate_id, status) VALUES ($1, $2, $3, $4, 'approved')`, [
    enrollmentId,
    tenantId,
    programId,
    affiliateId,
  ]);
  const linkIds: string[] = [];
  for (let i = 0; i < 4; i++) {
    const linkId = newId('link');
    await owner.query(
      `INSERT INTO links (id, tenant_id, program_id, affiliate_id, enrollment_id, code, destination_url) VALUES ($1, $2, $3, $4, $5, $6, 'https://shop.example/')`,
      [linkId, tenantId, programId, affiliateId, enrollmentId, `c${linkId.slice(-12)}`],
    );
    linkIds.push(linkId);
  }
  tenants.push({ tenantId, programId, affiliateId, linkIds });
}

function clicks(n: number): StoredClick[] {
  return Array.from({ length: n }, (_, i) => {
    const t = tenants[i % tenants.length]!;
    const id = newId('click');
    return {
      id,
      tenantId: t.tenantId,
      clickedAt: idTime(id),
      programId: t.programId,
      affiliateId: t.affiliateId,
      linkId: t.linkIds[i % t.linkIds.length]!,
      visitorId: null,
      ipHash: null,
      ipPrefix: null,
      userAgent: null,
      referrer: null,
      country: null,
      device: 'desktop',
      method: 'GET',
      subs: [`s${i % 3}`, null, null, null, null],
      landingUrl: 'https://shop.example/',
      isUnique: i % 2 === 0,
      billable: i % 5 !== 0,
      flags: [],
    };
  });
}

beforeAll(async () => {
  db = await createTestDatabase('store_clicks');
  owner = new pg.Pool({ connectionString: db.ownerUrl, max: 2 });
  // Dropping the database ends the owner's connections; that is expected, not a failure.
  owner.on('error', () => {});
  a = createPrisma({ url: db.appUrl, poolSize: 2 });
  b = createPrisma({ url: db.appUrl, poolSize: 2 });
  await seed('one');
  await seed('two');
  await ensureClickPartitions(a, new Date(), 1);
}, 30_000);

afterAll(async () => {
  await a?.$disconnect();
  await b?.$disconnect();
  await owner?.end();
  await db?.drop();
});

describe('storeClicks', () => {
  it('stores a batch once: a replay inserts nothing and leaves the rollups as they were', async () => {
    const batch = clicks(50);
    expect(await storeClicks(a, batch)).toBe(50);
    const before = (await owner.query('SELECT sum(clicks)::int c, sum(unique_clicks)::int u, sum(filtered_clicks)::int f FROM click_daily_stats')).rows[0];
    expect(before).toEqual({ c: 40, u: batch.filter((c) => c.billable && c.isUnique).length, f: 10 });
    expect(await storeClicks(b, [...batch].reverse())).toBe(0);
    expect((await owner.query('SELECT sum(clicks)::int c, sum(unique_clicks)::int u, sum(filtered_clicks)::int f FROM click_daily_stats')).rows[0]).toEqual(
      before,
    );
  });

  it('two consumers storing batches over the same rollup rows at once neither deadlock nor lose a count', async () => {
    await owner.query('TRUNCATE click_daily_stats');
    const before = Number((await owner.query('SELECT count(*)::int n FROM clicks')).rows[0].n);
    // Each round: two batches over the same networks, links and sub1s, in opposite orders.
    let stored = 0;
    for (let round = 0; round < 15; round++) {
      const one = clicks(120);
      const two = clicks(120).reverse();
      const results = await Promise.all([storeClicks(a, one), storeClicks(b, two)]);
      stored += results[0] + results[1];
    }
    expect(stored).toBe(15 * 240);
    expect(Number((await owner.query('SELECT count(*)::int n FROM clicks')).rows[0].n)).toBe(before + stored);
    const sums = (await owner.query('SELECT sum(clicks + filtered_clicks)::int n FROM click_daily_stats')).rows[0];
    expect(sums.n).toBe(stored);
  });
});
