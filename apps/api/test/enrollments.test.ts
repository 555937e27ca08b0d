import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProgram, networkWithMerchant, partner } from './builders';
import { createMerchant, expectProblem, type Harness, logIn, signUpNetwork, signUpPartner, startHarness } from './harness';

let h: Harness;
let net: Awaited<ReturnType<typeof signUpNetwork>>;
let other: Awaited<ReturnType<typeof signUpNetwork>>;
let shoes: string;
let merchant: string;
let bagsOwner: string;
let n = 0;

// Programs and partners come from the shared builders; the enrollments themselves go
// through the API in each test, since that is what this file is about.
async function newProgram(extra: Record<string, unknown> = {}): Promise<string> {
  n += 1;
  return createProgram(h, merchant, shoes, { name: `Program ${n}`, category: 'fashion', enrollmentMode: 'manual', ...extra });
}

async function newAffiliate() {
  n += 1;
  return partner(h, 'enroll', `aff${n}@blog.example`);
}

const apply = (token: string, programId: string, message = 'Hi') =>
  h.request({ method: 'POST', url: `/v1/programs/${programId}/enrollments`, token, payload: { message } });
const act = (token: string, programId: string, enrollmentId: string, action: string, payload?: object) =>
  h.request({ method: 'POST', url: `/v1/programs/${programId}/enrollments/${enrollmentId}/${action}`, token, ...(payload ? { payload } : {}) });

beforeAll(async () => {
  h = await startHarness('enrollments');
  ({ net, merchantId: shoes, merchantToken: merchant } = await networkWithMerchant(h, 'enroll'));
  other = await signUpNetwork(h, 'other-net');
  await createMerchant(h, net.token, 'Bags', 'owner@bags.example');
  bagsOwner = (await logIn(h, 'enroll', 'owner@bags.example')).accessToken;
});
afterAll(() => h.close());

describe('applications', () => {
  it('manual: pending → approved, with a default link to the landing page; the reason is kept', async () => {
    const programId = await newProgram();
    const aff = await newAffiliate();
    const applied = await apply(aff.token, programId, 'I run a shoe blog');
    expect(applied.status).toBe(201);
    expect(applied.body).toMatchObject({ status: 'pending', message: 'I run a shoe blog' });
    const approved = await act(merchant, programId, applied.body.id, 'approve', { reason: 'Welcome' });
    expect(approved.body).toMatchObject({ status: 'approved', reason: 'Welcome' });
    expect(approved.body.decidedAt).not.toBeNull();
    const links = await h.owner.query('SELECT destination_url, is_default FROM links WHERE enrollment_id = $1', [applied.body.id]);
    expect(links.rows).toEqual([{ destination_url: 'https://shoes.example/', is_default: true }]);
  });

  it('auto-approve programs approve at once; invite-only programs refuse applications', async () => {
    const auto = await newProgram({ enrollmentMode: 'auto' });
    const invite = await newProgram({ enrollmentMode: 'invite_only' });
    const aff = await newAffiliate();
    expect((await apply(aff.token, auto)).body.status).toBe('approved');
    expectProblem(await apply(aff.token, invite), 403, 'forbidden');
  });

  it('draft, paused and private programs take no applications; a second application is refused', async () => {
    const draft = await newProgram({ status: 'draft' });
    const hidden = await newProgram({ visibility: 'private' });
    const open = await newProgram();
    const aff = await newAffiliate();
    expectProblem(await apply(aff.token, draft), 409, 'invalid_state');
    expectProblem(await apply(aff.token, hidden), 404, 'not_found');
    expect((await apply(aff.token, open)).status).toBe(201);
    expectProblem(await apply(aff.token, open), 409, 'already_exists');
    await h.request({ method: 'PATCH', url: `/v1/programs/${open}`, token: merchant, payload: { status: 'paused' } });
    const late = await newAffiliate();
    expectProblem(await apply(late.token, open), 409, 'invalid_state');
  });

  it('two applications at once leave one enrollment', async () => {
    const programId = await newProgram();
    const aff = await newAffiliate();
    const results = await Promise.all([apply(aff.token, programId), apply(aff.token, programId), apply(aff.token, programId)]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    const rows = await h.owner.query('SELECT count(*)::int AS n FROM enrollments WHERE program_id = $1 AND affiliate_id = $2', [programId, aff.id]);
    expect(rows.rows[0].n).toBe(1);
  });

  it('decisions on one application are serialised: of two approvals at once one wins, one default link', async () => {
    const programId = await newProgram();
    const aff = await newAffiliate();
    const enrollment = (await apply(aff.token, programId)).body.id;
    const results = await Promise.all([act(merchant, programId, enrollment, 'approve'), act(merchant, programId, enrollment, 'approve')]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const links = await h.owner.query('SELECT count(*)::int AS n FROM links WHERE enrollment_id = $1', [enrollment]);
    expect(links.rows[0].n).toBe(1);
    const rejects = await Promise.all([act(merchant, programId, enrollment, 'suspend'), act(merchant, programId, enrollment, 'suspend')]);
    expect(rejects.map((r) => r.status).sort()).toEqual([200, 409]);
  });
});

describe('the state machine', () => {
  it('allows every listed transition and refuses the others with invalid_state', async () => {
    const programId = await newProgram();
    const aff = await newAffiliate();
    const id = (await apply(aff.token, programId)).body.id; // pending
    expectProblem(await act(merchant, programId, id, 'suspend'), 409, 'invalid_state');
    expectProblem(await act(aff.token, programId, id, 'accept'), 409, 'invalid_state');
    expect((await act(merchant, programId, id, 'reject', { reason: 'no traffic' })).body).toMatchObject({ status: 'rejected', reason: 'no traffic' });
    expectProblem(await act(merchant, programId, id, 'reject'), 409, 'invalid_state');
    expectProblem(await act(merchant, programId, id, 'suspend'), 409, 'invalid_state');
    expect((await act(merchant, programId, id, 'approve')).body.status).toBe('approved'); // rejected → approved
    expectProblem(await act(merchant, programId, id, 'approve'), 409, 'invalid_state');
    expectProblem(await act(merchant, programId, id, 'reject'), 409, 'invalid_state');
    expect((await act(merchant, programId, id, 'suspend', { reason: 'fraud' })).body.status).toBe('suspended');
    expect((await act(merchant, programId, id, 'approve')).body.status).toBe('approved'); // reinstated
    const links = await h.owner.query('SELECT count(*)::int AS n FROM links WHERE enrollment_id = $1 AND is_default', [id]);
    expect(links.rows[0].n).toBe(1);
  });

  it('invites: invited → accepted; invited → declined → applied; rejected → invited again', async () => {
    const programId = await newProgram({ visibility: 'private', enrollmentMode: 'invite_only' });
    const a = await newAffiliate();
    const b = await newAffiliate();
    const inviteA = await h.request({
      method: 'POST',
      url: `/v1/programs/${programId}/enrollments`,
      token: merchant,
      payload: { affiliateId: a.id, message: 'Join us' },
    });
    expect(inviteA.body.status).toBe('invited');
    expectProblem(
      await h.request({ method: 'POST', url: `/v1/programs/${programId}/enrollments`, token: merchant, payload: { affiliateId: a.id } }),
      409,
      'invalid_state',
    );
    expectProblem(await act(merchant, programId, inviteA.body.id, 'reject'), 409, 'invalid_state');
    expectProblem(await act(b.token, programId, inviteA.body.id, 'accept'), 404, 'not_found');
    expect((await act(a.token, programId, inviteA.body.id, 'accept')).body.status).toBe('approved');

    const inviteB = await h.request({ method: 'POST', url: `/v1/programs/${programId}/enrollments`, token: merchant, payload: { affiliateId: b.id } });
    expect((await act(b.token, programId, inviteB.body.id, 'decline')).body.status).toBe('declined');
    expectProblem(await act(b.token, programId, inviteB.body.id, 'decline'), 409, 'invalid_state');
    expect(
      (await h.request({ method: 'POST', url: `/v1/programs/${programId}/enrollments`, token: merchant, payload: { affiliateId: b.id } })).body.status,
    ).toBe('invited');
  });

  it('groups and personal overrides are set by the merchant and must leave a paying plan', async () => {
    const programId = await newProgram({ enrollmentMode: 'auto' });
    const aff = await newAffiliate();
    const id = (await apply(aff.token, programId)).body.id;
    const gold = await h.request({
      method: 'POST',
      url: `/v1/programs/${programId}/groups`,
      token: merchant,
      payload: { name: 'Gold', planOverride: { sale: { percentBps: 1500 } } },
    });
    const set = await h.request({
      method: 'PATCH',
      url: `/v1/programs/${programId}/enrollments/${id}`,
      token: merchant,
      payload: { groupId: gold.body.id, planOverride: { lead: { flat: 200 } } },
    });
    expect(set.body).toMatchObject({ groupId: gold.body.id, planOverride: { lead: { flat: 200 } } });
    expectProblem(
      await h.request({ method: 'PATCH', url: `/v1/programs/${programId}/enrollments/${id}`, token: merchant, payload: { planOverride: { sale: null } } }),
      400,
      'validation_failed',
    );
    expectProblem(
      await h.request({ method: 'PATCH', url: `/v1/programs/${programId}/enrollments/${id}`, token: aff.token, payload: { groupId: null } }),
      404,
      'not_found',
    );
  });
});

describe('visibility', () => {
  it('the marketplace shows active public programs and private ones I am invited to, with my status and filters', async () => {
    const pub = await newProgram({ category: 'sport', plan: { lead: { flat: 300 } } });
    const priv = await newProgram({ visibility: 'private' });
    const invitedTo = await newProgram({ visibility: 'private' });
    const draft = await newProgram({ status: 'draft' });
    const aff = await newAffiliate();
    await h.request({ method: 'POST', url: `/v1/programs/${invitedTo}/enrollments`, token: merchant, payload: { affiliateId: aff.id } });
    const all = await h.request({ method: 'GET', url: '/v1/marketplace/programs?limit=500', token: aff.token });
    const ids = all.body.data.map((p: { id: string }) => p.id);
    expect(ids).toContain(pub);
    expect(ids).toContain(invitedTo);
    expect(ids).not.toContain(priv);
    expect(ids).not.toContain(draft);
    expect(all.body.data.find((p: { id: string }) => p.id === invitedTo).myEnrollment.status).toBe('invited');
    const leads = await h.request({ method: 'GET', url: '/v1/marketplace/programs?commissionType=lead', token: aff.token });
    expect(leads.body.data.map((p: { id: string }) => p.id)).toEqual([pub]);
    const sport = await h.request({ method: 'GET', url: '/v1/marketplace/programs?category=sport', token: aff.token });
    expect(sport.body.data.map((p: { id: string }) => p.id)).toEqual([pub]);
    expectProblem(await h.request({ method: 'GET', url: '/v1/marketplace/programs', token: merchant }), 403, 'forbidden');
  });

  it('an affiliate sees only its own enrollments; other merchants and networks see nothing', async () => {
    const programId = await newProgram({ enrollmentMode: 'auto' });
    const a = await newAffiliate();
    const b = await newAffiliate();
    const ea = (await apply(a.token, programId)).body.id;
    await apply(b.token, programId);
    const mine = await h.request({ method: 'GET', url: `/v1/programs/${programId}/enrollments`, token: a.token });
    expect(mine.body.data.map((e: { id: string }) => e.id)).toEqual([ea]);
    const all = await h.request({ method: 'GET', url: `/v1/programs/${programId}/enrollments`, token: merchant });
    expect(all.body.data.length).toBe(2);
    expectProblem(await h.request({ method: 'GET', url: `/v1/programs/${programId}/enrollments`, token: bagsOwner }), 404, 'not_found');
    expectProblem(await h.request({ method: 'GET', url: `/v1/programs/${programId}/enrollments`, token: other.token }), 404, 'not_found');
    expectProblem(await act(bagsOwner, programId, ea, 'suspend'), 404, 'not_found');
    const myPrograms = await h.request({ method: 'GET', url: '/v1/enrollments', token: a.token });
    expect(myPrograms.body.data.map((e: { programId: string }) => e.programId)).toEqual([programId]);
  });
});

describe('profiles, the directory and recruiting', () => {
  it('an affiliate fills its profile; merchants find it in the directory by channel, country, category and text', async () => {
    const aff = await newAffiliate();
    const profile = {
      websites: ['https://runblog.example'],
      channels: ['blog', 'email'],
      countries: ['SE', 'NO'],
      categories: ['running'],
      description: 'Trail running reviews',
    };
    const res = await h.request({ method: 'PATCH', url: `/v1/affiliates/${aff.id}`, token: aff.token, payload: profile });
    expect(res.body).toMatchObject(profile);
    expectProblem(
      await h.request({ method: 'PATCH', url: `/v1/affiliates/${aff.id}`, token: aff.token, payload: { channels: ['telepathy'] } }),
      400,
      'validation_failed',
    );
    expectProblem(
      await h.request({ method: 'PATCH', url: `/v1/affiliates/${aff.id}`, token: aff.token, payload: { countries: ['se'] } }),
      400,
      'validation_failed',
    );
    for (const q of ['channel=email', 'country=NO', 'category=running', 'q=trail']) {
      const found = await h.request({ method: 'GET', url: `/v1/directory/affiliates?${q}`, token: merchant });
      expect(found.body.data.map((a: { id: string }) => a.id)).toEqual([aff.id]);
      expect(found.body.data[0]).not.toHaveProperty('email');
    }
    expectProblem(await h.request({ method: 'GET', url: '/v1/directory/affiliates', token: aff.token }), 403, 'forbidden');
    const otherNet = await h.request({ method: 'GET', url: '/v1/directory/affiliates?q=trail', token: other.token });
    expect(otherNet.body.data).toEqual([]);
  });

  it('a recruit (referredBy) records its parent for two-tier plans; a foreign or unknown parent is ignored', async () => {
    const parent = await newAffiliate();
    const child = await h.request({
      method: 'POST',
      url: '/v1/partners/signup',
      payload: { network: 'enroll', name: 'Kid', email: 'kid@blog.example', password: 'correct-horse-battery', referredBy: parent.id },
    });
    const got = await h.request({ method: 'GET', url: `/v1/affiliates/${child.body.affiliate.id}`, token: net.token });
    expect(got.body.parentAffiliateId).toBe(parent.id);
    const foreign = await signUpPartner(h, 'other-net', 'foreign@blog.example');
    const orphan = await h.request({
      method: 'POST',
      url: '/v1/partners/signup',
      payload: { network: 'enroll', name: 'Orphan', email: 'orphan@blog.example', password: 'correct-horse-battery', referredBy: foreign.affiliate.id },
    });
    const orphanRow = await h.request({ method: 'GET', url: `/v1/affiliates/${orphan.body.affiliate.id}`, token: net.token });
    expect(orphanRow.body.parentAffiliateId).toBeNull();
  });
});
