import { readProcessEnv } from '@app/config/env';
import { DEMO, DEMO_LOGINS, seedDemo } from './seed-demo';

// `pnpm db:seed`: seeds the demo network through a running API (API_URL).
const apiUrl = (readProcessEnv().API_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
try {
  const result = await seedDemo(apiUrl);
  process.stdout.write(`seeded network "${DEMO.network.slug}" (${result.tenant.id}) through ${apiUrl}\n`);
  for (const login of DEMO_LOGINS) process.stdout.write(`  ${login.role}: ${login.email} / ${login.password}\n`);
} catch (error) {
  process.stderr.write(`seeding through ${apiUrl} failed: ${(error as Error).message}\n`);
  process.exit(1);
}
