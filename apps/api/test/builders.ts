import { createMerchant, type Harness, logIn, PASSWORD, signUpNetwork, signUpPartner } from './harness';

/**
 * Shared set-up for the API suites: programs, partners, enrollments, links and coupons
 * made through the API, each checked for the status the API should answer.
 */

function fail(what: string, res: { status: number; body: unknown }): never {
  throw new Error(`${what} failed: ${res.status} ${JSON.stringify(res.body)}`);
}

/** A network with one merchant and the merchant owner's token. */
export async function networkWithMerchant(
  h: Harness,
  slug: string,
): Promise<{ net: Awaited<ReturnType<typeof signUpNetwork>>; merchantId: string; merchantToken: string }> {
  const net = await signUpNetwork(h, slug);
  const merchantId = (await createMerchant(h, net.token, 'Shoes', 'owner@shoes.example')).id;
  const merchantToken = (await logIn(h, slug, 'owner@shoes.example')).accessToken;
  return { net, merchantId, merchantToken };
}

/** The body `createProgram` sends: the defaults below for `merchantId`, `extra` overriding them. */
export function programPayload(merchantId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    merchantId,
    name: 'Shoes 10%',
    landingUrl: 'https://shoes.example/',
    allowedDomains: ['shoes.example'],
    currency: 'EUR',
    status: 'active',
    visibility: 'public',
    plan: { sale: { percentBps: 1000 } },
    ...extra,
  };
}

/** POST /v1/programs with defaults: name 'Shoes 10%', landingUrl 'https://shoes.example/', allowedDomains ['shoes.example'], currency 'EUR', status 'active', visibility 'public', plan { sale: { percentBps: 1000 } }; `extra` overrides. Returns the program id. */
export async function createProgram(h: Harness, token: string, merchantId: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await h.request({ method: 'POST', url: '/v1/programs', token, payload: programPayload(merchantId, extra) });
  if (res.status !== 201) fail('create program', res);
  return res.body.id;
}

/** Partner sign-up; returns the affiliate's token and id. */
export async function partner(h: Harness, network: string, email: string): Promise<{ token: string; id: string }> {
  const res = await signUpPartner(h, network, email);
  return { token: res.accessToken, id: res.affiliate.id };
}

/** The partner applies through the API and the merchant approves (or it is auto-approved); returns the enrollment id, status approved. */
export async function approvedEnrollment(h: Harness, merchantToken: string, programId: string, partnerToken: string): Promise<string> {
  const applied = await h.request({ method: 'POST', url: `/v1/programs/${programId}/enrollments`, token: partnerToken, payload: {} });
  if (applied.status !== 201 && applied.status !== 200) fail('apply', applied);
  const id: string = applied.body.id;
  if (applied.body.status === 'approved') return id;
  const approved = await h.request({ method: 'POST', url: `/v1/programs/${programId}/enrollments/${id}/approve`, token: merchantToken });
  if (approved.status !== 200 || approved.body.status !== 'approved') fail('approve enrollment', approved);
  return id;
}

/** POST /v1/links as `token`; returns the created link body ({ id, code, url, ... }). */
export async function createLink(
  h: Harness,
  token: string,
  payload: Record<string, unknown>,
): Promise<{ id: string; code: string; url: string; [k: string]: unknown }> {
  const res = await h.request({ method: 'POST', url: '/v1/links', token, payload });
  if (res.status !== 201) fail('create link', res);
  return res.body;
}

/** POST /v1/coupons as `token`; returns the created coupon body. */
export async function createCoupon(h: Harness, token: string, payload: Record<string, unknown>): Promise<{ id: string; code: string; [k: string]: unknown }> {
  const res = await h.request({ method: 'POST', url: '/v1/coupons', token, payload });
  if (res.status !== 201) fail('create coupon', res);
  return res.body;
}

/** The merchant owner adds a team member (an analyst named Ann unless told); returns the member's token. */
export async function addMerchantUser(
  h: Harness,
  ownerToken: string,
  merchantId: string,
  network: string,
  email: string,
  role: 'owner' | 'admin' | 'finance' | 'analyst' = 'analyst',
): Promise<string> {
  const res = await h.request({
    method: 'POST',
    url: `/v1/merchants/${merchantId}/users`,
    token: ownerToken,
    payload: { name: 'Ann', email, password: PASSWORD, role },
  });
  if (res.status !== 201) fail('add merchant user', res);
  return (await logIn(h, network, email)).accessToken;
}
