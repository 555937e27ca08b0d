import { defineConfig } from 'prisma/config';

// The CLI is used offline for `prisma generate` only (migrations are applied by
// src/migrate.ts). The URL matters only where the schema engine can run.
export default defineConfig({
  schema: '../../prisma/schema.prisma',
  migrations: { path: '../../prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/affnet' },
});
