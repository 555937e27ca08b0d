import { ConfigError, loadApiConfig } from '@app/config/env';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDiskStorage } from './blob-storage';
import { createStorage } from './create-storage';
import { type FakeS3Server, startFakeS3Server } from './fake-s3-server';
import { S3Storage, type S3StorageOptions } from './s3-storage';

const credentials = { accessKeyId: 'AKIDFAKES3TEST', secretAccessKey: 'fake/secret+key' };
const region = 'eu-central-1';
const bucket = 'creatives';
const png = new Uint8Array(Array.from({ length: 256 }, (_, i) => i));

let server: FakeS3Server;

beforeAll(async () => {
  server = await startFakeS3Server({ ...credentials, region, buckets: [bucket] });
});

afterAll(async () => {
  await server.close();
});

function s3Storage(overrides: Partial<S3StorageOptions> = {}): S3Storage {
  return new S3Storage({ bucket, region, endpoint: server.endpoint, forcePathStyle: true, ...credentials, ...overrides });
}

function lastRequest() {
  return server.requests.at(-1);
}

describe('S3Storage', () => {
  it('stores bytes with their content type and reads them back', async () => {
    const storage = s3Storage();
    await storage.put('creatives/t1/banner.png', png, 'image/png');
    expect(lastRequest()).toMatchObject({ method: 'PUT', status: 200 });
    expect(server.object(bucket, 'creatives/t1/banner.png')).toEqual({ body: Buffer.from(png), contentType: 'image/png' });

    expect(await storage.get('creatives/t1/banner.png')).toEqual(new Uint8Array(png));
    expect(lastRequest()).toMatchObject({ method: 'GET', status: 200 });
  });

  it('answers null for a key that is not stored', async () => {
    expect(await s3Storage().get('creatives/t1/missing.png')).toBeNull();
    expect(lastRequest()).toMatchObject({ method: 'GET', status: 404, code: 'NoSuchKey' });
  });

  it('rejects, rather than answering null, when the bucket does not exist', async () => {
    await expect(s3Storage({ bucket: 'no-such-bucket' }).get('creatives/t1/banner.png')).rejects.toMatchObject({ name: 'NoSuchBucket' });
  });

  it('is refused by the server when signed with the wrong secret', async () => {
    const storage = s3Storage({ secretAccessKey: 'not-the-secret' });
    await expect(storage.put('creatives/t1/forged.png', png, 'image/png')).rejects.toMatchObject({
      name: 'SignatureDoesNotMatch',
      $metadata: { httpStatusCode: 403 },
    });
    expect(lastRequest()).toMatchObject({ method: 'PUT', status: 403, code: 'SignatureDoesNotMatch' });
    expect(server.object(bucket, 'creatives/t1/forged.png')).toBeUndefined();
  });

  it('puts every key under the key prefix', async () => {
    const storage = s3Storage({ keyPrefix: 'affnet/prod/' });
    await storage.put('creatives/t2/banner.gif', png, 'image/gif');
    expect(server.object(bucket, 'affnet/prod/creatives/t2/banner.gif')?.contentType).toBe('image/gif');
    expect(server.object(bucket, 'creatives/t2/banner.gif')).toBeUndefined();
    expect(await storage.get('creatives/t2/banner.gif')).toEqual(new Uint8Array(png));
    expect(await s3Storage().get('creatives/t2/banner.gif')).toBeNull();
  });

  it.each(['../escape.png', 'creatives/../../escape.png', '/absolute.png', 'Upper.png', 'space .png', ''])(
    'refuses the key %j before any request',
    async (key) => {
      const storage = s3Storage();
      const before = server.requests.length;
      await expect(storage.put(key, png, 'image/png')).rejects.toThrow('invalid storage key');
      await expect(storage.get(key)).rejects.toThrow('invalid storage key');
      expect(server.requests.length).toBe(before);
    },
  );

  it('refuses a key prefix that climbs out of its folder', () => {
    expect(() => s3Storage({ keyPrefix: 'affnet/../other' })).toThrow('invalid storage key prefix');
  });
});

describe('the fake S3 server', () => {
  function client(overrides: Partial<ConstructorParameters<typeof S3Client>[0]> = {}): S3Client {
    return new S3Client({ region, endpoint: server.endpoint, forcePathStyle: true, credentials, maxAttempts: 1, ...overrides });
  }

  it('accepts what the SDK sends by default (flexible checksums)', async () => {
    const s3 = client();
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'default/a.bin', Body: png }));
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'default/a.bin' }));
    expect(await object.Body?.transformToByteArray()).toEqual(new Uint8Array(png));
  });

  it('refuses an unsigned request', async () => {
    const response = await fetch(`${server.endpoint}/${bucket}/unsigned.png`, { method: 'PUT', body: png });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('<Code>AccessDenied</Code>');
  });

  it('refuses another access key id', async () => {
    const s3 = client({ credentials: { ...credentials, accessKeyId: 'AKIDSOMEONEELSE' } });
    await expect(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'default/a.bin' }))).rejects.toMatchObject({ name: 'InvalidAccessKeyId' });
  });

  it.each([
    ['a signed header', 'SignatureDoesNotMatch', (request: { headers: Record<string, string> }) => (request.headers['content-type'] = 'text/html')],
    ['the body', 'XAmzContentSHA256Mismatch', (request: { body: unknown }) => (request.body = new Uint8Array(png).reverse())],
  ])('refuses a request when %s changed after signing', async (_what, code, tamper) => {
    const s3 = client({ requestChecksumCalculation: 'WHEN_REQUIRED' });
    // The deserialize step runs after signing, right before the request is sent.
    s3.middlewareStack.add(
      (next) => async (args) => {
        tamper(args.request as never);
        return next(args);
      },
      { step: 'deserialize' },
    );
    await expect(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'tampered.png', Body: png, ContentType: 'image/png' }))).rejects.toMatchObject({
      name: code,
    });
    expect(server.object(bucket, 'tampered.png')).toBeUndefined();
  });
});

describe('storage configuration', () => {
  const base = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/affnet', REDIS_URL: 'redis://127.0.0.1:6379' };

  it('refuses STORAGE_DRIVER=s3 without a bucket or credentials, naming each', () => {
    expect(() => loadApiConfig({ ...base, STORAGE_DRIVER: 's3' })).toThrow(ConfigError);
    expect(() => loadApiConfig({ ...base, STORAGE_DRIVER: 's3', S3_ACCESS_KEY_ID: 'a', S3_SECRET_ACCESS_KEY: 's' })).toThrow(
      /^Invalid configuration:\n {2}S3_BUCKET: required when STORAGE_DRIVER=s3$/,
    );
    expect(() => loadApiConfig({ ...base, STORAGE_DRIVER: 's3', S3_BUCKET: 'b' })).toThrow(
      /S3_ACCESS_KEY_ID: required when STORAGE_DRIVER=s3\n {2}S3_SECRET_ACCESS_KEY: required when STORAGE_DRIVER=s3/,
    );
  });

  it('creates local disk storage by default', () => {
    const config = loadApiConfig(base);
    expect(config.STORAGE_DRIVER).toBe('local');
    expect(createStorage(config)).toBeInstanceOf(LocalDiskStorage);
  });

  it('creates S3 storage from the s3 settings, path-style when an endpoint is set', async () => {
    const config = loadApiConfig({
      ...base,
      STORAGE_DRIVER: 's3',
      S3_BUCKET: bucket,
      S3_REGION: region,
      S3_ENDPOINT: server.endpoint,
      S3_ACCESS_KEY_ID: credentials.accessKeyId,
      S3_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      S3_KEY_PREFIX: 'from-config',
    });
    const storage = createStorage(config);
    expect(storage).toBeInstanceOf(S3Storage);
    await storage.put('creatives/t3/banner.webp', png, 'image/webp');
    expect(server.object(bucket, 'from-config/creatives/t3/banner.webp')?.contentType).toBe('image/webp');
  });
});
