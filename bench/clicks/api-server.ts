import type { AddressInfo } from 'node:net';
import { apiEnvSchema } from '../../packages/config/src/env';
import { serveParent } from '../lib/child';
import { pino } from '../lib/deps';
import { buildVariant, VARIANTS, type Variant } from './edge-variants';

// The API as it runs in production (buildApp: every plugin, hook and route), configured
// by the JSON environment the parent passes as first argument; the second argument may
// name a reduced variant of the edge (bench:clicks --diagnose). Run as a child process by
// bench/clicks.ts.

const env = JSON.parse(process.argv[2] ?? '{}') as Record<string, string>;
const variant = (process.argv[3] ?? 'full') as Variant;
if (!VARIANTS.includes(variant)) throw new Error(`unknown variant ${variant}`);
const config = apiEnvSchema.parse(env);
// Warnings still go to stdout (the parent shows the first lines): a spooled click or a
// failed look-up during the bench should be seen.
const logger = pino({ level: config.LOG_LEVEL });
const { app, recorder, afterClose } = await buildVariant(variant, config, logger);
await app.listen({ host: '127.0.0.1', port: 0 });

serveParent(async () => {
  const spooled = recorder.spooled();
  // Clicks still in the spool go to the stream before the app closes.
  const replayed = await recorder.replay();
  const backlog = await recorder.backlog();
  await app.close();
  await afterClose?.();
  return { spooled, replayed, backlog };
});
process.send?.({ type: 'ready', port: (app.server.address() as AddressInfo).port });
