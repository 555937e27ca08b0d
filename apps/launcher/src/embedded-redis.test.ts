import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRedisServer, RedisBinaryNotFoundError } from './embedded-redis';

describe('findRedisServer', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'launcher-redis-'));
    await writeFile(join(dir, 'redis-server'), '#!/bin/sh\n');
    await chmod(join(dir, 'redis-server'), 0o755);
    await writeFile(join(dir, 'not-executable'), '');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('prefers an explicit binary', async () => {
    const explicit = join(dir, 'redis-server');
    expect(await findRedisServer({ explicit, path: '/nowhere', standardLocations: ['/usr/bin/nothing'] })).toBe(explicit);
  });

  it('falls back to PATH', async () => {
    expect(await findRedisServer({ explicit: undefined, path: `/nowhere:${dir}`, standardLocations: [] })).toBe(join(dir, 'redis-server'));
  });

  it('skips files that are not executable', async () => {
    await expect(findRedisServer({ explicit: join(dir, 'not-executable'), path: '', standardLocations: [] })).rejects.toBeInstanceOf(RedisBinaryNotFoundError);
  });

  it('says how to fix it when there is none', async () => {
    await expect(findRedisServer({ explicit: undefined, path: '/nowhere', standardLocations: [] })).rejects.toThrow(/apt-get install redis-server.*REDIS_URL/);
  });
});
