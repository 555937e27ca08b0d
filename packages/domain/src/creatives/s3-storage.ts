import { GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { assertStorageKey, type BlobStorage } from './blob-storage';

export interface S3StorageOptions {
  bucket: string;
  region: string;
  /** An S3-compatible service (MinIO, R2, …); unset for AWS itself. */
  endpoint?: string | undefined;
  accessKeyId: string;
  secretAccessKey: string;
  /** Folder inside the bucket that every key goes under (`affnet/prod`). */
  keyPrefix?: string | undefined;
  /** `endpoint/bucket/key` rather than `bucket.endpoint/key`. */
  forcePathStyle?: boolean | undefined;
}

/**
 * Blob storage in an S3 bucket, through the official AWS SDK, so it works with AWS and
 * with any S3-compatible service that speaks Signature Version 4.
 */
export class S3Storage implements BlobStorage {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(options: S3StorageOptions) {
    this.bucket = options.bucket;
    const prefix = (options.keyPrefix ?? '').replace(/^\/+|\/+$/g, '');
    if (prefix.split('/').some((segment) => segment === '.' || segment === '..')) throw new Error(`invalid storage key prefix: ${options.keyPrefix}`);
    this.prefix = prefix ? `${prefix}/` : '';
    this.client = new S3Client({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      forcePathStyle: options.forcePathStyle ?? false,
      credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
      // Checksums only where S3 demands them: several S3-compatible services reject the
      // flexible checksums the SDK otherwise adds to every upload. The payload is still
      // covered by the signature (x-amz-content-sha256).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // A stalled service must not hold the public image route's sockets for ever.
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 },
    });
  }

  private objectKey(key: string): string {
    assertStorageKey(key);
    return this.prefix + key;
  }

  async put(key: string, data: Uint8Array, contentType: string): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key), Body: data, ContentType: contentType }));
  }

  async get(key: string): Promise<Uint8Array | null> {
    const objectKey = this.objectKey(key);
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      if (!object.Body) return new Uint8Array();
      return await object.Body.transformToByteArray();
    } catch (error) {
      if (isMissingObject(error)) return null;
      throw error;
    }
  }
}

/** NoSuchKey, or a bare 404 from a service that names it differently; a missing bucket
 *  is a configuration error, not a missing object. */
function isMissingObject(error: unknown): boolean {
  if (!(error instanceof S3ServiceException)) return false;
  if (error.name === 'NoSuchKey') return true;
  return error.$metadata.httpStatusCode === 404 && error.name !== 'NoSuchBucket';
}
