import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvedEnrollment, createProgram, networkWithMerchant, partner } from './builders';
import { count, createMerchant, expectProblem, type Harness, logIn, startHarness } from './harness';

// A 2×1 PNG and a GIF, as real files: the server reads their bytes, not their names.
const PNG_2X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAYAAAD0In+KAAAAEUlEQVR4nGP4z8DwHwQZYAwAU9oH+ZVK8fAAAAAASUVORK5CYII=';
const GIF_1X1 = 'R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==';
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>').toString('base64');

let h: Harness;
let merchant: string;
let bagsOwner: string;
let programId: string;
let approved: { token: string; id: string };
let pending: { token: string; id: string };

beforeAll(async () => {
  h = await startHarness('creatives');
  const { net, merchantId: shoes, merchantToken } = await networkWithMerchant(h, 'creative');
  merchant = merchantToken;
  await createMerchant(h, net.token, 'Bags', 'owner@bags.example');
  bagsOwner = (await logIn(h, 'creative', 'owner@bags.example')).accessToken;
  programId = await createProgram(h, merchant, shoes, { name: 'Shoes', enrollmentMode: 'manual' });
  approved = await partner(h, 'creative', 'approved@blog.example');
  await approvedEnrollment(h, merchant, programId, approved.token);
  // The other one applies and is left pending.
  pending = await partner(h, 'creative', 'pending@blog.example');
  await h.request({ method: 'POST', url: `/v1/programs/${programId}/enrollments`, token: pending.token, payload: {} });
});
afterAll(() => h.close());

const banner = (dataBase64: string, contentType = 'image/png') => ({
  programId,
  type: 'banner',
  name: 'Autumn banner',
  image: { contentType, dataBase64 },
  alt: 'Boots <sale>',
});

describe('creatives', () => {
  it('stores a banner, measures it, and serves the image publicly', async () => {
    const res = await h.request({ method: 'POST', url: '/v1/creatives', token: merchant, payload: banner(PNG_2X1) });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ type: 'banner', width: 2, height: 1, imageUrl: `https://track.example/creatives/${res.body.id}/image` });
    const image = await h.app.inject({ method: 'GET', url: `/creatives/${res.body.id}/image` });
    expect(image.statusCode).toBe(200);
    expect(image.headers['content-type']).toBe('image/png');
    expect(image.rawPayload.equals(Buffer.from(PNG_2X1, 'base64'))).toBe(true);
  });

  it('refuses SVG, non-images, a wrong declared type and oversize files, storing nothing', async () => {
    const before = await count(h, 'creatives');
    expectProblem(await h.request({ method: 'POST', url: '/v1/creatives', token: merchant, payload: banner(SVG) }), 400, 'validation_failed');
    expectProblem(
      await h.request({ method: 'POST', url: '/v1/creatives', token: merchant, payload: banner(Buffer.from('hello world, not an image').toString('base64')) }),
      400,
      'validation_failed',
    );
    expectProblem(await h.request({ method: 'POST', url: '/v1/creatives', token: merchant, payload: banner(GIF_1X1, 'image/png') }), 400, 'validation_failed');
    expectProblem(
      await h.request({ method: 'POST', url: '/v1/creatives', token: merchant, payload: banner(PNG_2X1, 'image/svg+xml') }),
      400,
      'validation_failed',
    );
    const big = Buffer.concat([Buffer.from(PNG_2X1, 'base64'), Buffer.alloc(2.5 * 1024 * 1024)]).toString('base64');
    const tooBig = await h.request({ method: 'POST', url: '/v1/creatives', token: merchant, payload: banner(big) });
    expect([400, 413]).toContain(tooBig.status);
    expect(await count(h, 'creatives')).toBe(before);
  });

  it('an approved affiliate gets every creative with its own link embedded; others get none', async () => {
    await h.request({
      method: 'POST',
      url: '/v1/creatives',
      token: merchant,
      payload: { programId, type: 'text_link', name: 'Text', body: 'Shop boots & more' },
    });
    await h.request({
      method: 'POST',
      url: '/v1/creatives',
      token: merchant,
      payload: { programId, type: 'email', name: 'Mail', body: '<p>Hi! <a href="{{link}}">Boots</a></p>' },
    });
    const mine = await h.request({ method: 'GET', url: '/v1/creatives', token: approved.token });
    const link = await h.owner.query('SELECT code FROM links WHERE affiliate_id = $1 AND is_default', [approved.id]);
    const url = `https://track.example/c/${link.rows[0].code}`;
    const byType = Object.fromEntries(mine.body.data.map((c: { type: string }) => [c.type, c]));
    expect(byType.text_link.html).toBe(`<a href="${url}" rel="sponsored">Shop boots &amp; more</a>`);
    expect(byType.email.body).toBe(`<p>Hi! <a href="${url}">Boots</a></p>`);
    expect(byType.banner.html).toContain(`<a href="${url}" rel="sponsored"><img src="https://track.example/creatives/`);
    expect(byType.banner.html).toContain('alt="Boots &lt;sale&gt;"');
    const theirs = await h.request({ method: 'GET', url: '/v1/creatives', token: pending.token });
    expect(theirs.body.data).toEqual([]);
    const merchantView = await h.request({ method: 'GET', url: '/v1/creatives', token: merchant });
    expect(merchantView.body.data.every((c: { trackingUrl: null }) => c.trackingUrl === null)).toBe(true);
    expect((await h.request({ method: 'GET', url: '/v1/creatives', token: bagsOwner })).body.data).toEqual([]);
  });

  it('archiving hides a creative from affiliates and stops its image; other merchants cannot touch it', async () => {
    const created = await h.request({ method: 'POST', url: '/v1/creatives', token: merchant, payload: banner(GIF_1X1, 'image/gif') });
    expectProblem(
      await h.request({ method: 'PATCH', url: `/v1/creatives/${created.body.id}`, token: bagsOwner, payload: { status: 'archived' } }),
      404,
      'not_found',
    );
    expectProblem(
      await h.request({ method: 'PATCH', url: `/v1/creatives/${created.body.id}`, token: approved.token, payload: { status: 'archived' } }),
      404,
      'not_found',
    );
    const archived = await h.request({ method: 'PATCH', url: `/v1/creatives/${created.body.id}`, token: merchant, payload: { status: 'archived' } });
    expect(archived.body.status).toBe('archived');
    expect((await h.app.inject({ method: 'GET', url: `/creatives/${created.body.id}/image` })).statusCode).toBe(404);
    const mine = await h.request({ method: 'GET', url: '/v1/creatives', token: approved.token });
    expect(mine.body.data.map((c: { id: string }) => c.id)).not.toContain(created.body.id);
    expect((await h.app.inject({ method: 'GET', url: '/creatives/crv_doesnotexist/image' })).statusCode).toBe(404);
  });
});
