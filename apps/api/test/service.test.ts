import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, type Harness, startHarness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('service');
});
afterAll(() => h.close());

describe('service endpoints', () => {
  it('healthz and readyz', async () => {
    expect((await h.request({ method: 'GET', url: '/healthz' })).body).toEqual({ status: 'ok' });
    const ready = await h.request({ method: 'GET', url: '/readyz' });
    expect(ready.status).toBe(200);
    expect(ready.body.checks.postgres.ok).toBe(true);
    expect(ready.body.checks.redis.ok).toBe(true);
  });

  it('serves an OpenAPI 3.1 document generated from the route schemas, and the docs UI', async () => {
    const doc = await h.request({ method: 'GET', url: '/v1/openapi.json' });
    expect(doc.body.openapi).toBe('3.1.0');
    const signup = doc.body.paths['/v1/auth/signup'].post;
    expect(signup.requestBody.content['application/json'].schema.properties.owner.required).toEqual(expect.arrayContaining(['email', 'password']));
    expect(signup.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/v1/merchants', '/v1/merchants/{id}', '/v1/api-keys', '/v1/me']));
    const ui = await h.request({ method: 'GET', url: '/docs/' });
    expect(ui.status).toBe(200);
    expect(String(ui.body)).toContain('swagger');
  });

  it('exposes Prometheus metrics including request durations', async () => {
    await h.request({ method: 'GET', url: '/healthz' });
    const res = await h.request({ method: 'GET', url: '/metrics' });
    expect(res.status).toBe(200);
    expect(String(res.body)).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} \d+/);
    expect(String(res.body)).toContain('process_cpu_user_seconds_total');
  });

  it('sets security headers, a request id, and CORS for the web app only', async () => {
    const res = await h.request({ method: 'GET', url: '/healthz', headers: { origin: 'http://localhost:5173' } });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['x-request-id']).toMatch(/^req_/);
    expect(res.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    const foreign = await h.request({ method: 'GET', url: '/healthz', headers: { origin: 'https://evil.example' } });
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('echoes a well-formed incoming request id and replaces a malformed one', async () => {
    expect((await h.request({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'trace-123' } })).headers['x-request-id']).toBe('trace-123');
    expect((await h.request({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'bad id\n' } })).headers['x-request-id']).toMatch(/^req_/);
  });

  it('answers unknown routes with a problem', async () => {
    const res = await h.request({ method: 'GET', url: '/v1/nothing-here' });
    expectProblem(res, 404, 'not_found');
    expect(res.body.requestId).toBe(res.headers['x-request-id']);
  });
});
