import { appDatabaseUrl } from '@app/config/env';
import { createPrisma, type PrismaClient } from '@app/db/client';
import { newId } from '@app/db/ids';
import { withTenant } from '@app/db/with-tenant';
import { ensureDefaultLink } from '@app/domain/links/ensure-default-link';
import { insertLink } from '@app/domain/links/insert-link';
import { LINK_CODE_ALPHABET } from '@app/domain/links/link-code';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvedEnrollment, createLink, createProgram, networkWithMerchant, partner } from './builders';
import { count, createMerchant, expectProblem, type Harness, logIn, signUpNetwork, startHarness } from './harness';

let h: Harness;
let prisma: PrismaClient;
let net: Awaited<ReturnType<typeof signUpNetwork>>;
let other: Awaited<ReturnType<typeof signUpNetwork>>;
let shoesOwner: string;
let bagsOwner: string;
let shoesProgram: string;
let bagsProgram: string;
let bob: { token: string; id: string };
let carol: { token: string; id: string };
let dave: { token: string; id: string };
let bobShoesEnrollment: string;

const CODE = /^[A-Za-z0-9]{8}$/;

// Approved (or pending, suspended) enrollments written directly, without the default link
// an approval through the API makes: `ensureDefaultLink` below makes it, and the link
// counts in "needs an approved enrollment" count only the links the test asks for.
async function enroll(programId: string, affiliateId: string, status = 'approved'): Promise<string> {
  const id = newId('enrollment');
  await h.owner.query('INSERT INTO enrollments (id, tenant_id, program_id, affiliate_id, status) VALUES ($1, $2, $3, $4, $5)', [
    id,
    net.tenantId,
    programId,
    affiliateId,
    status,
  ]);
  return id;
}

const makeLink = (token: string, payload: Record<string, unknown>) => h.request({ method: 'POST', url: '/v1/links', token, payload });

beforeAll(async () => {
  h = await startHarness('links', { PUBLIC_URL: 'https://go.example/', RATE_LIMIT_MAX: '100000' });
  prisma = createPrisma({ url: appDatabaseUrl(h.config), poolSize: 4 });
  let shoes: string;
  ({ net, merchantId: shoes, merchantToken: shoesOwner } = await networkWithMerchant(h, 'links'));
  other = await signUpNetwork(h, 'links-other');
  const bags = (await createMerchant(h, net.token, 'Bags', 'owner@bags.example')).id;
  bagsOwner = (await logIn(h, 'links', 'owner@bags.example')).accessToken;
  shoesProgram = await createProgram(h, shoesOwner, shoes);
  bagsProgram = await createProgram(h, bagsOwner, bags, { landingUrl: 'https://bags.example/', allowedDomains: ['bags.example'] });
  bob = await partner(h, 'links', 'bob@blog.example');
  carol = await partner(h, 'links', 'carol@blog.example');
  dave = await partner(h, 'links', 'dave@blog.example');
  bobShoesEnrollment = await enroll(shoesProgram, bob.id);
  await approvedEnrollment(h, bagsOwner, bagsProgram, bob.token);
  await approvedEnrollment(h, shoesOwner, shoesProgram, carol.token);
  await enroll(shoesProgram, dave.id, 'pending');
});
afterAll(async () => {
  await prisma?.$disconnect();
  await h?.close();
});

describe('making a tracked link', () => {
  it("goes to the program's landing page by default, under the public URL", async () => {
    const res = await makeLink(bob.token, { programId: shoesProgram, label: 'Sidebar', sub1: 'newsletter', sub5: 'café ☕' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      programId: shoesProgram,
      affiliateId: bob.id,
      destinationUrl: 'https://shoes.example/',
      label: 'Sidebar',
      sub1: 'newsletter',
      sub2: null,
      sub5: 'café ☕',
      isDefault: false,
      status: 'active',
    });
    expect(res.body.code).toMatch(CODE);
    expect(res.body.url).toBe(`https://go.example/c/${res.body.code}`);
    const row = await h.owner.query('SELECT enrollment_id, tenant_id, code FROM links WHERE id = $1', [res.body.id]);
    expect(row.rows[0]).toEqual({ enrollment_id: bobShoesEnrollment, tenant_id: net.tenantId, code: res.body.code });
  });

  it('accepts a deep link on an allowed domain or its subdomain, stored normalised', async () => {
    const deep = await makeLink(bob.token, { programId: shoesProgram, destinationUrl: 'https://shoes.example/boots?color=red#top' });
    expect(deep.status).toBe(201);
    expect(deep.body.destinationUrl).toBe('https://shoes.example/boots?color=red#top');
    const sub = await makeLink(bob.token, { programId: shoesProgram, destinationUrl: 'HTTPS://M.Shoes.Example/sale' });
    expect(sub.status).toBe(201);
    expect(sub.body.destinationUrl).toBe('https://m.shoes.example/sale');
  });

  it('refuses destinations off the allowed domains and scheme or credential tricks, writing nothing', async () => {
    const before = await count(h, 'links');
    const bad = [
      'https://evil.com/',
      '//evil.com',
      'https://shoes.example@evil.com/',
      'https://user:pw@shoes.example/',
      'javascript:alert(1)',
      'https://shoes.example.evil.com/',
      'https://evilshoes.example/',
      'https://bags.example/',
      'https://shoes.example /x',
    ];
    for (const destinationUrl of bad) {
      const res = await makeLink(bob.token, { programId: shoesProgram, destinationUrl });
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['destinationUrl']);
    }
    expect(await count(h, 'links')).toBe(before);
  });

  it('refuses over-long or non-printable sub-IDs and unknown fields, writing nothing', async () => {
    const before = await count(h, 'links');
    const bad: [Record<string, unknown>, string][] = [
      [{ sub1: 'x'.repeat(256) }, 'sub1'],
      [{ sub2: 'a\u0000b' }, 'sub2'],
      [{ sub3: 'line\nbreak' }, 'sub3'],
      [{ sub4: 'zero\u200bwidth' }, 'sub4'],
      [{ sub5: '' }, 'sub5'],
      [{ sub6: 'x' }, 'body'],
      [{ affiliateId: carol.id }, 'body'],
    ];
    for (const [extra, path] of bad) {
      const res = await makeLink(bob.token, { programId: shoesProgram, ...extra });
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    expect(await count(h, 'links')).toBe(before);
    const longest = await makeLink(bob.token, { programId: shoesProgram, sub1: 'x'.repeat(255) });
    expect(longest.status).toBe(201);
  });

  it('needs an approved enrollment in a program that is not archived', async () => {
    const before = await count(h, 'links');
    // Not enrolled in a public program: visible, but apply first.
    const notEnrolled = await makeLink(dave.token, { programId: bagsProgram });
    expectProblem(notEnrolled, 409, 'invalid_state');
    const pending = await makeLink(dave.token, { programId: shoesProgram });
    expectProblem(pending, 409, 'invalid_state');
    expect(pending.body.detail).toMatch(/pending/);

    const shoes = (await h.request({ method: 'GET', url: `/v1/programs/${shoesProgram}`, token: shoesOwner })).body.merchantId;
    const hidden = await createProgram(h, shoesOwner, shoes, { visibility: 'private' });
    expectProblem(await makeLink(dave.token, { programId: hidden }), 404, 'not_found');
    expectProblem(await makeLink(dave.token, { programId: 'prg_01jd5v0000000000000000000' }), 404, 'not_found');

    const suspended = await createProgram(h, shoesOwner, shoes);
    await enroll(suspended, dave.id, 'suspended');
    const res = await makeLink(dave.token, { programId: suspended });
    expectProblem(res, 409, 'invalid_state');
    expect(res.body.detail).toMatch(/suspended/);

    const archived = await createProgram(h, shoesOwner, shoes);
    await enroll(archived, dave.id);
    expect((await makeLink(dave.token, { programId: archived })).status).toBe(201);
    await h.request({ method: 'PATCH', url: `/v1/programs/${archived}`, token: shoesOwner, payload: { status: 'archived' } });
    expectProblem(await makeLink(dave.token, { programId: archived }), 409, 'invalid_state');

    expectProblem(await makeLink(shoesOwner, { programId: shoesProgram }), 403, 'forbidden');
    expect(await count(h, 'links')).toBe(before + 1);
  });
});

describe('reading and editing links', () => {
  it('the affiliate edits label, sub-IDs, status and destination; a bad destination changes nothing', async () => {
    const link = await createLink(h, bob.token, { programId: shoesProgram, destinationUrl: 'https://shoes.example/a', sub1: 'one' });
    const patch = (payload: Record<string, unknown>) => h.request({ method: 'PATCH', url: `/v1/links/${link.id}`, token: bob.token, payload });

    const edited = await patch({ label: 'Footer', sub1: null, sub2: 'two', status: 'disabled' });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ label: 'Footer', sub1: null, sub2: 'two', status: 'disabled', code: link.code });

    expectProblem(await patch({ destinationUrl: 'https://evil.com/' }), 400, 'validation_failed');
    expectProblem(await patch({ destinationUrl: '//evil.com' }), 400, 'validation_failed');
    const row = await h.owner.query('SELECT destination_url FROM links WHERE id = $1', [link.id]);
    expect(row.rows[0].destination_url).toBe('https://shoes.example/a');

    expect((await patch({ destinationUrl: 'https://www.shoes.example/b' })).body.destinationUrl).toBe('https://www.shoes.example/b');
    expect((await patch({ destinationUrl: null })).body.destinationUrl).toBe('https://shoes.example/');
    expect((await patch({ status: 'active' })).body.status).toBe('active');
    expectProblem(await patch({ code: 'mine1234' }), 400, 'validation_failed');
    expectProblem(await patch({}), 400, 'validation_failed');
  });

  it('another affiliate can neither read nor edit my link, nor list it', async () => {
    const link = await createLink(h, bob.token, { programId: shoesProgram, label: 'Mine' });
    expectProblem(await h.request({ method: 'GET', url: `/v1/links/${link.id}`, token: carol.token }), 404, 'not_found');
    expectProblem(await h.request({ method: 'PATCH', url: `/v1/links/${link.id}`, token: carol.token, payload: { label: 'Stolen' } }), 404, 'not_found');
    const carolsList = await h.request({ method: 'GET', url: `/v1/links?affiliateId=${bob.id}`, token: carol.token });
    expect(carolsList.body.data).toEqual([]);
    const bobsList = await h.request({ method: 'GET', url: '/v1/links?limit=500', token: bob.token });
    expect(bobsList.body.data.every((l: { affiliateId: string }) => l.affiliateId === bob.id)).toBe(true);
    expect(bobsList.body.data.map((l: { id: string }) => l.id)).toContain(link.id);
    const row = await h.owner.query('SELECT label FROM links WHERE id = $1', [link.id]);
    expect(row.rows[0].label).toBe('Mine');
  });

  it("a merchant sees its own programs' links only, and cannot edit them", async () => {
    const shoeLink = await createLink(h, bob.token, { programId: shoesProgram });
    const bagLink = await createLink(h, bob.token, { programId: bagsProgram });

    const shoesList = await h.request({ method: 'GET', url: '/v1/links?limit=500', token: shoesOwner });
    const shoesIds = shoesList.body.data.map((l: { id: string }) => l.id);
    expect(shoesIds).toContain(shoeLink.id);
    expect(shoesIds).not.toContain(bagLink.id);
    const shoesPrograms = (await h.request({ method: 'GET', url: '/v1/programs?limit=500', token: shoesOwner })).body.data.map((p: { id: string }) => p.id);
    expect(shoesPrograms).not.toContain(bagsProgram);
    expect(shoesList.body.data.every((l: { programId: string }) => shoesPrograms.includes(l.programId))).toBe(true);

    const filtered = await h.request({ method: 'GET', url: `/v1/links?affiliateId=${carol.id}`, token: shoesOwner });
    expect(filtered.body.data.every((l: { affiliateId: string }) => l.affiliateId === carol.id)).toBe(true);
    const otherProgram = await h.request({ method: 'GET', url: `/v1/links?programId=${bagsProgram}`, token: shoesOwner });
    expect(otherProgram.body.data).toEqual([]);

    expect((await h.request({ method: 'GET', url: `/v1/links/${shoeLink.id}`, token: shoesOwner })).body.code).toBe(shoeLink.code);
    expectProblem(await h.request({ method: 'GET', url: `/v1/links/${shoeLink.id}`, token: bagsOwner }), 404, 'not_found');
    expectProblem(await h.request({ method: 'PATCH', url: `/v1/links/${shoeLink.id}`, token: shoesOwner, payload: { label: 'x' } }), 403, 'forbidden');
    expectProblem(await h.request({ method: 'PATCH', url: `/v1/links/${shoeLink.id}`, token: bagsOwner, payload: { label: 'x' } }), 404, 'not_found');

    const staff = await h.request({ method: 'GET', url: '/v1/links?limit=500', token: net.token });
    const staffIds = staff.body.data.map((l: { id: string }) => l.id);
    expect(staffIds).toEqual(expect.arrayContaining([shoeLink.id, bagLink.id]));
  });

  it('another network sees nothing', async () => {
    const link = await createLink(h, bob.token, { programId: shoesProgram });
    expectProblem(await h.request({ method: 'GET', url: `/v1/links/${link.id}`, token: other.token }), 404, 'not_found');
    expectProblem(await h.request({ method: 'PATCH', url: `/v1/links/${link.id}`, token: other.token, payload: { status: 'disabled' } }), 404, 'not_found');
    expect((await h.request({ method: 'GET', url: '/v1/links', token: other.token })).body.data).toEqual([]);
    expectProblem(await makeLink(other.token, { programId: shoesProgram }), 403, 'forbidden');
  });

  it('lists page by cursor without repeats', async () => {
    const first = await h.request({ method: 'GET', url: '/v1/links?limit=2', token: bob.token });
    expect(first.body.data).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await h.request({ method: 'GET', url: `/v1/links?limit=2&cursor=${first.body.nextCursor}`, token: bob.token });
    expect(second.body.data).toHaveLength(2);
    expect(second.body.data[0].id < first.body.data[1].id).toBe(true);
  });
});

describe('link codes', () => {
  it('2,000 links get 2,000 distinct 8-character codes drawn from the whole alphabet', async () => {
    const codes: string[] = [];
    for (let batch = 0; batch < 20; batch++) {
      const results = await Promise.all(Array.from({ length: 100 }, () => makeLink(carol.token, { programId: shoesProgram })));
      for (const res of results) {
        expect(res.status).toBe(201);
        codes.push(res.body.code);
      }
    }
    expect(codes).toHaveLength(2000);
    expect(new Set(codes).size).toBe(2000);
    for (const code of codes) expect(code).toMatch(CODE);
    // 16,000 characters: every one of the 62 symbols shows up, nothing else does.
    const used = new Set(codes.join(''));
    expect([...used].sort().join('')).toBe([...LINK_CODE_ALPHABET].sort().join(''));
    expect(LINK_CODE_ALPHABET).toHaveLength(62);
    const { rows } = await h.owner.query('SELECT count(DISTINCT code) AS n FROM links WHERE affiliate_id = $1', [carol.id]);
    expect(Number(rows[0].n)).toBeGreaterThanOrEqual(2000);
  }, 120_000);

  it("draws again when a code is taken, even by another network's link it cannot see", async () => {
    // A link in the other network, whose code the first network's transaction cannot read.
    const merchant = (await createMerchant(h, other.token, 'Elsewhere', 'owner@elsewhere.example')).id;
    const elsewhereOwner = (await logIn(h, 'links-other', 'owner@elsewhere.example')).accessToken;
    const elsewhereProgram = await createProgram(h, elsewhereOwner, merchant);
    const eve = await partner(h, 'links-other', 'eve@blog.example');
    await approvedEnrollment(h, elsewhereOwner, elsewhereProgram, eve.token);
    const taken = (await createLink(h, eve.token, { programId: elsewhereProgram })).code;

    const draws = [taken, taken, 'Fresh123'];
    const link = await withTenant(prisma, net.tenantId, (tx) =>
      insertLink(
        tx,
        { tenantId: net.tenantId, programId: shoesProgram, affiliateId: bob.id, enrollmentId: bobShoesEnrollment, destinationUrl: 'https://shoes.example/' },
        () => draws.shift() as string,
      ),
    );
    expect(link.code).toBe('Fresh123');
    expect(draws).toEqual([]);
    const { rows } = await h.owner.query('SELECT tenant_id FROM links WHERE code = $1', [taken]);
    expect(rows).toEqual([{ tenant_id: other.tenantId }]);
  });
});

describe('ensureDefaultLink', () => {
  it("creates the enrollment's default link once and returns it afterwards", async () => {
    const input = {
      tenantId: net.tenantId,
      enrollmentId: bobShoesEnrollment,
      programId: shoesProgram,
      affiliateId: bob.id,
      destinationUrl: 'https://shoes.example/',
    };
    const first = await withTenant(prisma, net.tenantId, (tx) => ensureDefaultLink(tx, input));
    const second = await withTenant(prisma, net.tenantId, (tx) => ensureDefaultLink(tx, { ...input, destinationUrl: 'https://shoes.example/other' }));
    expect(first.isDefault).toBe(true);
    expect(first.code).toMatch(CODE);
    expect(second.id).toBe(first.id);
    expect(second.destinationUrl).toBe('https://shoes.example/');
    const { rows } = await h.owner.query('SELECT id FROM links WHERE enrollment_id = $1 AND is_default', [bobShoesEnrollment]);
    expect(rows).toEqual([{ id: first.id }]);

    const got = await h.request({ method: 'GET', url: `/v1/links/${first.id}`, token: bob.token });
    expect(got.body).toMatchObject({ isDefault: true, url: `https://go.example/c/${first.code}` });
  });

  it('two approvals racing still leave one default link, and both get it', async () => {
    const enrollmentId = await enroll(bagsProgram, carol.id);
    const input = { tenantId: net.tenantId, enrollmentId, programId: bagsProgram, affiliateId: carol.id, destinationUrl: 'https://bags.example/' };
    const results = await Promise.all(Array.from({ length: 5 }, () => withTenant(prisma, net.tenantId, (tx) => ensureDefaultLink(tx, input))));
    expect(new Set(results.map((l) => l.id)).size).toBe(1);
    const { rows } = await h.owner.query('SELECT count(*) AS n FROM links WHERE enrollment_id = $1 AND is_default', [enrollmentId]);
    expect(Number(rows[0].n)).toBe(1);
  });
});
