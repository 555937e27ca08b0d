import type { AddressInfo } from 'node:net';
import { newId } from '../../packages/db/src/ids';
import { serveParent } from '../lib/child';
import { fastify, pg } from '../lib/deps';
import { countStatements } from '../lib/statement-counter';

// The baseline: the least a conversion API could do, on a bare Fastify 5 app (no plugins,
// no hooks, no logger, no validation, no authentication): parse the JSON body, one INSERT
// of a comparable row into a plain table (no RLS, no outbox, no event), answer 202 (200
// for a known externalId). A pg pool of the API's size, as the application role. Run as a
// child process by bench/conversions.ts, with the connection string and pool size as
// arguments.

interface Body {
  programId: string;
  type: string;
  externalId: string;
  amount?: number;
  currency?: string;
  clickId?: string;
  couponCode?: string;
  customer?: { externalId?: string; email?: string };
  items?: unknown[];
  occurredAt?: string;
  metadata?: Record<string, unknown>;
}

const [url, poolSize] = [process.argv[2] ?? '', Number(process.argv[3] ?? 10)];
const statements = countStatements();
const pool = new pg.Pool({ connectionString: url, max: poolSize });
const app = fastify({ logger: false });
app.post<{ Body: Body }>('/v1/conversions', async (request, reply) => {
  const b = request.body;
  const id = newId('conversion');
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO bench_baseline_conversions (id, program_id, type, external_id, amount, currency, click_id, coupon_code, customer_external_id, items, metadata, occurred_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, coalesce($12::timestamptz, now()))
     ON CONFLICT (program_id, external_id) DO NOTHING RETURNING id`,
    [
      id,
      b.programId,
      b.type,
      b.externalId,
      b.amount ?? null,
      b.currency ?? null,
      b.clickId ?? null,
      b.couponCode ?? null,
      b.customer?.externalId ?? null,
      JSON.stringify(b.items ?? []),
      JSON.stringify(b.metadata ?? {}),
      b.occurredAt ?? null,
    ],
  );
  return reply.code(rows.length ? 202 : 200).send({ id: rows[0]?.id ?? null, status: 'received' });
});
await app.listen({ host: '127.0.0.1', port: 0 });

serveParent(
  async () => {
    await app.close();
    await pool.end();
    return undefined;
  },
  { statements: (m) => statements.read(Boolean(m.reset)) },
);
process.send?.({ type: 'ready', port: (app.server.address() as AddressInfo).port });
