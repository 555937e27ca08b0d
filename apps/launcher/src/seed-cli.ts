import { readProcessEnv } from '@app/config/env';
import { DEMO, DEMO_LOGINS, SeedError, seedDemo } from './seed-demo';

// `pnpm db:seed`: seeds the demo network through a running API (API_URL).
const apiUrl = (readProcessEnv().API_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
try {
  const result = await seedDemo(apiUrl);
  process.stdout.write(`seeded network "${DEMO.network.slug}" (${result.tenant.id}) through ${apiUrl}\n`);
  for (const login of DEMO_LOGINS) process.stdout.write(`  ${login.role}: ${login.email} / ${login.password}\n`);
} catch (error) {
  if (error instanceof SeedError && error.status === 409 && error.path === '/v1/auth/signup') {
    process.stdout.write(`network "${DEMO.network.slug}" already exists at ${apiUrl}; nothing seeded\n`);
    process.exit(0);
  }
  process.stderr.write(`seeding through ${apiUrl} failed: ${(error as Error).message}\n`);
  process.exit(1);
}
