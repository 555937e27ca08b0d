import type { PrismaClient } from '@app/db/client';
import type { TokenConfig } from '../auth/access-tokens';

/** What use cases need from the outside world, built once per app and passed down. */
export interface Deps {
  prisma: PrismaClient;
  tokens: TokenConfig;
}
