import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, createApiKey, createMerchant, expectProblem, type Harness, logIn, PASSWORD, signUpNetwork, signUpPartner, startHarness } from './harness';

let h: Harness;
let net: Awaited<ReturnType<typeof signUpNetwork>>;
let merchantId: string;

beforeAll(async () => {
  h = await startHarness('auth', { LOGIN_RATE_LIMIT_MAX: '5' });
  net = await signUpNetwork(h, 'nordic');
  merchantId = (await createMerchant(h, net.token, 'Shoe Shop', 'mia@shoes.example')).id;
});
afterAll(() => h.close());

describe('sign-up and sign-in', () => {
  it('signs up a network whose owner can read /v1/me', async () => {
    const me = await h.request({ method: 'GET', url: '/v1/me', token: net.token });
    expect(me.status).toBe(200);
    expect(me.body.tenant).toMatchObject({ id: net.tenantId, slug: 'nordic' });
    expect(me.body.user.email).toBe('owner@nordic.example');
    expect(me.body.memberships).toEqual([{ scope: 'network', role: 'owner' }]);
  });

  it('refuses a taken network slug with 409 and writes nothing', async () => {
    const before = await count(h, 'users');
    const res = await h.request({
      method: 'POST',
      url: '/v1/auth/signup',
      payload: { network: { name: 'Other', slug: 'nordic' }, owner: { name: 'X', email: 'x@other.example', password: PASSWORD } },
    });
    expectProblem(res, 409, 'already_exists');
    expect(await count(h, 'users')).toBe(before);
    expect(await count(h, 'tenants')).toBe(1);
  });

  it('logs in with the right password and answers the same 401 for a wrong password, unknown email and unknown network', async () => {
    const ok = await logIn(h, 'nordic', 'mia@shoes.example');
    expect(ok.user.id).toMatch(/^usr_/);
    for (const payload of [
      { network: 'nordic', email: 'mia@shoes.example', password: 'wrong-password' },
      { network: 'nordic', email: 'nobody@shoes.example', password: PASSWORD },
      { network: 'nowhere', email: 'mia@shoes.example', password: PASSWORD },
    ]) {
      const res = await h.request({ method: 'POST', url: '/v1/auth/login', payload });
      expectProblem(res, 401, 'invalid_credentials');
      expect(res.body.detail).toBe('The network, email or password is wrong.');
    }
  });

  it('lets an affiliate join a network and sign in', async () => {
    const partner = await signUpPartner(h, 'nordic', 'bob@blog.example');
    expect(partner.affiliate).toMatchObject({ status: 'active' });
    const me = await h.request({ method: 'GET', url: '/v1/me', token: partner.accessToken });
    expect(me.body.memberships).toEqual([{ scope: 'affiliate', affiliateId: partner.affiliate.id, role: 'owner' }]);
    const dup = await h.request({
      method: 'POST',
      url: '/v1/partners/signup',
      payload: { network: 'nordic', name: 'Bob', email: 'BOB@blog.example', password: PASSWORD },
    });
    expectProblem(dup, 409, 'already_exists');
    const unknown = await h.request({
      method: 'POST',
      url: '/v1/partners/signup',
      payload: { network: 'nowhere', name: 'Bob', email: 'b2@blog.example', password: PASSWORD },
    });
    expectProblem(unknown, 404, 'not_found');
  });
});

describe('access tokens', () => {
  it('answers 401 unauthenticated without credentials, with WWW-Authenticate', async () => {
    const res = await h.request({ method: 'GET', url: '/v1/me' });
    expectProblem(res, 401, 'unauthenticated');
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  it('refuses an expired token with token_expired', async () => {
    const past = Math.floor(Date.now() / 1000) - 3600;
    const expired = await new SignJWT({ tid: net.tenantId, sid: 'ses_x', mbs: [{ scope: 'network', role: 'owner' }] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(net.userId)
      .setIssuer('affnet')
      .setAudience('affnet-api')
      .setIssuedAt(past - 900)
      .setExpirationTime(past)
      .sign(new TextEncoder().encode(h.config.JWT_SECRET));
    expectProblem(await h.request({ method: 'GET', url: '/v1/me', token: expired }), 401, 'token_expired');
  });

  it('refuses a tampered token (claims changed, signature kept) and one signed with another secret', async () => {
    const [header, payload, signature] = net.token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    claims.mbs = [
      { scope: 'network', role: 'owner' },
      { scope: 'merchant', merchantId: 'mer_x', role: 'owner' },
    ];
    const tampered = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    expectProblem(await h.request({ method: 'GET', url: '/v1/me', token: tampered }), 401, 'invalid_token');

    const forged = await new SignJWT({ tid: net.tenantId, sid: 'ses_x', mbs: [{ scope: 'network', role: 'owner' }] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(net.userId)
      .setIssuer('affnet')
      .setAudience('affnet-api')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('another-secret-that-is-long-enough-000000'));
    expectProblem(await h.request({ method: 'GET', url: '/v1/me', token: forged }), 401, 'invalid_token');
    expectProblem(await h.request({ method: 'GET', url: '/v1/me', headers: { authorization: 'Basic abc' } }), 401, 'invalid_token');
  });
});

describe('refresh tokens', () => {
  it('rotates: the new pair works, the old refresh token is refused, and its reuse revokes the whole sign-in', async () => {
    const login = await logIn(h, 'nordic', 'mia@shoes.example');
    const first = await h.request({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: login.refreshToken } });
    expect(first.status).toBe(200);
    expect(first.body.refreshToken).not.toBe(login.refreshToken);
    expect((await h.request({ method: 'GET', url: '/v1/me', token: first.body.accessToken })).status).toBe(200);

    const replay = await h.request({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: login.refreshToken } });
    expectProblem(replay, 401, 'refresh_token_reused');
    // The replay revoked the family: even the newest token is now dead.
    const after = await h.request({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: first.body.refreshToken } });
    expectProblem(after, 401, 'invalid_token');
  });

  it('logout revokes the refresh token', async () => {
    const login = await logIn(h, 'nordic', 'mia@shoes.example');
    const out = await h.request({ method: 'POST', url: '/v1/auth/logout', payload: { refreshToken: login.refreshToken } });
    expect(out.status).toBe(204);
    expectProblem(await h.request({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: login.refreshToken } }), 401, 'invalid_token');
    const revoked = await h.owner.query('SELECT revoked_at FROM auth_sessions WHERE token_hash = encode(sha256($1::bytea), $2)', [login.refreshToken, 'hex']);
    expect(revoked.rows[0].revoked_at).not.toBeNull();
  });

  it('refuses an unknown refresh token', async () => {
    expectProblem(await h.request({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: 'rt_not-a-real-token-at-all' } }), 401, 'invalid_token');
  });
});

describe('API keys', () => {
  it('authenticates with a secret key until it is revoked, then answers 401 api_key_revoked', async () => {
    const key = await createApiKey(h, net.token, merchantId);
    expect(key.key).toMatch(/^sk_/);
    const me = await h.request({ method: 'GET', url: '/v1/me', token: key.key });
    expect(me.status).toBe(200);
    expect(me.body.apiKey).toMatchObject({ id: key.id, merchantId, type: 'secret' });
    // The key itself is never stored, only its hash.
    const stored = await h.owner.query('SELECT key_hash, prefix FROM api_keys WHERE id = $1', [key.id]);
    expect(stored.rows[0].key_hash).not.toContain(key.key);
    expect(key.key.startsWith(stored.rows[0].prefix)).toBe(true);

    const revoked = await h.request({ method: 'POST', url: `/v1/api-keys/${key.id}/revoke`, token: net.token });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    expectProblem(await h.request({ method: 'GET', url: '/v1/me', token: key.key }), 401, 'api_key_revoked');
    expectProblem(await h.request({ method: 'GET', url: '/v1/me', token: 'sk_unknown0000000000000000000000' }), 401, 'invalid_token');
  });

  it('shows the key once: lists never include it', async () => {
    await createApiKey(h, net.token, merchantId, 'publishable');
    const list = await h.request({ method: 'GET', url: `/v1/api-keys?merchantId=${merchantId}`, token: net.token });
    expect(list.status).toBe(200);
    expect(list.body.data.length).toBeGreaterThan(0);
    for (const k of list.body.data) expect(k).not.toHaveProperty('key');
  });
});

describe('rate limiting', () => {
  it('limits login attempts per account and address with 429 and Retry-After', async () => {
    const payload = { network: 'nordic', email: 'target@shoes.example', password: 'guess-guess-guess' };
    const statuses: number[] = [];
    let last: Awaited<ReturnType<Harness['request']>> | undefined;
    for (let i = 0; i < 7; i++) {
      last = await h.request({ method: 'POST', url: '/v1/auth/login', payload });
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    expectProblem(last!, 429, 'rate_limited');
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
    // Another account is not affected by this account's limit.
    const other = await h.request({ method: 'POST', url: '/v1/auth/login', payload: { ...payload, email: 'mia@shoes.example', password: PASSWORD } });
    expect(other.status).toBe(200);
  });
});
