import type { ApiEnv } from '@app/config/env';
import { type BlobStorage, LocalDiskStorage } from './blob-storage';
import { S3Storage } from './s3-storage';

export type StorageConfig = Pick<
  ApiEnv,
  | 'STORAGE_DRIVER'
  | 'STORAGE_DIR'
  | 'S3_BUCKET'
  | 'S3_REGION'
  | 'S3_ENDPOINT'
  | 'S3_ACCESS_KEY_ID'
  | 'S3_SECRET_ACCESS_KEY'
  | 'S3_FORCE_PATH_STYLE'
  | 'S3_KEY_PREFIX'
>;

/** The blob storage the configuration names (STORAGE_DRIVER). */
export function createStorage(config: StorageConfig): BlobStorage {
  switch (config.STORAGE_DRIVER) {
    case 'local':
      return new LocalDiskStorage(config.STORAGE_DIR);
    case 's3':
      return new S3Storage({
        bucket: required('S3_BUCKET', config.S3_BUCKET),
        region: config.S3_REGION,
        endpoint: config.S3_ENDPOINT,
        accessKeyId: required('S3_ACCESS_KEY_ID', config.S3_ACCESS_KEY_ID),
        secretAccessKey: required('S3_SECRET_ACCESS_KEY', config.S3_SECRET_ACCESS_KEY),
        keyPrefix: config.S3_KEY_PREFIX,
        // Self-hosted services rarely have a host name per bucket.
        forcePathStyle: config.S3_FORCE_PATH_STYLE ?? config.S3_ENDPOINT !== undefined,
      });
  }
}

// The config schema already demands these with the s3 driver; this keeps a hand-built
// config honest too.
function required(name: string, value: string | undefined): string {
  if (!value) throw new Error(`${name} is required when STORAGE_DRIVER=s3`);
  return value;
}
