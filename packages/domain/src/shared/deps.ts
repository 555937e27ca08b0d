import type { PrismaClient } from '@app/db/client';
import type { TokenConfig } from '../auth/access-tokens';
import type { BlobStorage } from '../creatives/blob-storage';

/** What use cases need from the outside world, built once per app and passed down. */
export interface Deps {
  prisma: PrismaClient;
  tokens: TokenConfig;
  /** Uploaded files (creative images). */
  storage: BlobStorage;
  /** Public base URL of the platform (tracking links, image URLs), no trailing slash. */
  publicUrl: string;
}
