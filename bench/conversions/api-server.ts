import type { AddressInfo } from 'node:net';
import { buildApp } from '../../apps/api/src/app';
import { apiEnvSchema } from '../../packages/config/src/env';
import { serveParent } from '../lib/child';
import { pino } from '../lib/deps';
import { countStatements } from '../lib/statement-counter';

// The API as it runs in production (buildApp: every plugin, hook and route), configured by
// the JSON environment the parent passes as first argument. Counts the statements it sends
// to Postgres (the parent reads them per run). Run as a child process by bench/conversions.ts.

const statements = countStatements();
const config = apiEnvSchema.parse(JSON.parse(process.argv[2] ?? '{}'));
const app = await buildApp({ config, logger: pino({ level: config.LOG_LEVEL }) });
await app.listen({ host: '127.0.0.1', port: 0 });

serveParent(
  async () => {
    await app.close();
    return undefined;
  },
  { statements: (m) => statements.read(Boolean(m.reset)) },
);
process.send?.({ type: 'ready', port: (app.server.address() as AddressInfo).port });
