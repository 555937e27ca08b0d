import { ConfigError } from '@app/config/env';
import { describe, expect, it } from 'vitest';
import { loadLauncherConfig, localApiUrl, REPO_ROOT } from './launcher-config';

describe('loadLauncherConfig', () => {
  it('defaults to embedded servers, port 3000 and <repo>/.data', () => {
    const config = loadLauncherConfig({});
    expect(config).toMatchObject({
      databaseUrl: undefined,
      redisUrl: undefined,
      port: 3000,
      publicUrl: 'http://localhost:3000',
      dataDir: `${REPO_ROOT}/.data`,
      embeddedPgPort: 54_329,
      appDbPassword: 'affnet_app',
    });
  });

  it('treats empty URLs as unset and honours the overrides', () => {
    const config = loadLauncherConfig({
      DATABASE_URL: '',
      REDIS_URL: 'redis://127.0.0.1:6379',
      PORT: '4000',
      PUBLIC_URL: 'https://affiliates.example.com/',
      DATA_DIR: '/var/tmp/affnet',
      EMBEDDED_PG_PORT: '55000',
    });
    expect(config).toMatchObject({
      databaseUrl: undefined,
      redisUrl: 'redis://127.0.0.1:6379',
      port: 4000,
      publicUrl: 'https://affiliates.example.com',
      dataDir: '/var/tmp/affnet',
      embeddedPgPort: 55_000,
    });
  });

  it('resolves a relative DATA_DIR against the repository root', () => {
    expect(loadLauncherConfig({ DATA_DIR: 'tmp/data' }).dataDir).toBe(`${REPO_ROOT}/tmp/data`);
  });

  it('refuses a port that is not one', () => {
    expect(() => loadLauncherConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadLauncherConfig({ EMBEDDED_PG_PORT: '70000' })).toThrow(/EMBEDDED_PG_PORT/);
  });
});

describe('localApiUrl', () => {
  it('polls loopback when the API listens on every interface', () => {
    expect(localApiUrl({ host: undefined, port: 3000 })).toBe('http://127.0.0.1:3000');
    expect(localApiUrl({ host: '0.0.0.0', port: 3000 })).toBe('http://127.0.0.1:3000');
    expect(localApiUrl({ host: '::', port: 3000 })).toBe('http://127.0.0.1:3000');
  });

  it('uses a specific host as given', () => {
    expect(localApiUrl({ host: '10.0.0.5', port: 8080 })).toBe('http://10.0.0.5:8080');
    expect(localApiUrl({ host: '::1', port: 8080 })).toBe('http://[::1]:8080');
  });
});
