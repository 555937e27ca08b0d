import type { AddressInfo } from 'node:net';
import { serveParent } from '../lib/child';
import { fastify } from '../lib/deps';

// The baseline: a bare Fastify 5 app answering the same kind of redirect with nothing
// else (no plugins, no hooks, no logger, no I/O). Run as a child process by bench/clicks.ts.

const app = fastify({ logger: false });
app.get('/r/:code', (_request, reply) => {
  reply.code(302).header('location', 'https://shoes.example/?aff_click_id=x').send();
});
await app.listen({ host: '127.0.0.1', port: 0 });

serveParent(async () => {
  await app.close();
  return undefined;
});
process.send?.({ type: 'ready', port: (app.server.address() as AddressInfo).port });
