import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, type Harness, PASSWORD, signUpNetwork, signUpPartner, startHarness } from './harness';

let h: Harness;
let net: Awaited<ReturnType<typeof signUpNetwork>>;
let other: Awaited<ReturnType<typeof signUpNetwork>>;

beforeAll(async () => {
  h = await startHarness('recruit');
  net = await signUpNetwork(h, 'recruit');
  other = await signUpNetwork(h, 'recruit-other');
});
afterAll(async () => h?.close());

describe('recruit links (two-tier)', () => {
  it('a partner signing up through the recruit link gets the recruiter as parent, and the recruiter sees the count', async () => {
    const recruiter = await signUpPartner(h, 'recruit', 'boss@blog.example');
    const link = await h.request({ method: 'GET', url: `/v1/affiliates/${recruiter.affiliate.id}/recruit-link`, token: recruiter.accessToken });
    expect(link.status).toBe(200);
    const url = new URL(link.body.url);
    expect(url.origin).toBe('https://track.example');
    expect(url.pathname).toBe('/join/recruit');
    expect(url.searchParams.get('ref')).toBe(recruiter.affiliate.id);
    expect(link.body).toMatchObject({ affiliateId: recruiter.affiliate.id, referredBy: recruiter.affiliate.id, recruits: 0 });

    // The sign-up page sends the link's `ref` as referredBy.
    for (const email of ['kid1@blog.example', 'kid2@blog.example']) {
      const kid = await h.request({
        method: 'POST',
        url: '/v1/partners/signup',
        payload: { network: url.pathname.split('/')[2], name: 'Kid', email, password: PASSWORD, referredBy: url.searchParams.get('ref') },
      });
      expect(kid.status).toBe(201);
      const row = await h.request({ method: 'GET', url: `/v1/affiliates/${kid.body.affiliate.id}`, token: net.token });
      expect(row.body.parentAffiliateId).toBe(recruiter.affiliate.id);
    }
    const after = await h.request({ method: 'GET', url: `/v1/affiliates/${recruiter.affiliate.id}/recruit-link`, token: net.token });
    expect(after.body.recruits).toBe(2);
  });

  it('another affiliate and another tenant get 404 (existence is not revealed)', async () => {
    const a = await signUpPartner(h, 'recruit', 'a@blog.example');
    const b = await signUpPartner(h, 'recruit', 'b@blog.example');
    expectProblem(await h.request({ method: 'GET', url: `/v1/affiliates/${a.affiliate.id}/recruit-link`, token: b.accessToken }), 404, 'not_found');
    expectProblem(await h.request({ method: 'GET', url: `/v1/affiliates/${a.affiliate.id}/recruit-link`, token: other.token }), 404, 'not_found');
  });
});
