import { loadWorkerConfig } from '@app/config/env';
import { migrate } from '../migrate';

// `pnpm db:migrate`: applies pending migrations to DATABASE_URL.
const config = loadWorkerConfig();
const result = await migrate({
  ownerUrl: config.DATABASE_URL,
  appPassword: config.APP_DB_PASSWORD,
  log: (m) => process.stdout.write(`${m}\n`),
});
process.stdout.write(
  result.applied.length ? `applied ${result.applied.length} migration(s)\n` : `database is up to date (${result.alreadyApplied.length} migration(s) applied)\n`,
);
