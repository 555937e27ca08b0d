import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client';

export type { Prisma } from './generated/prisma/client';
export { PrismaClient };

export interface DbOptions {
  /** Connection string of the application role (no BYPASSRLS, owns no table). */
  url: string;
  poolSize?: number;
}

export function createPrisma(options: DbOptions): PrismaClient {
  const adapter = new PrismaPg({ connectionString: options.url, max: options.poolSize ?? 10 });
  return new PrismaClient({ adapter });
}
