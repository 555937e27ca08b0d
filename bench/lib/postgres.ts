import type { pg } from './deps';
import { cpuMsOf } from './proc';

type Queryable = Pick<InstanceType<typeof pg.Client>, 'query'>;

/** Multi-row INSERTs of up to 500 rows; `constants` are the same for every row. */
export async function insertMany(
  client: Queryable,
  table: string,
  columns: string[],
  rows: unknown[][],
  constants: Record<string, unknown> = {},
): Promise<void> {
  const constNames = Object.keys(constants);
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    const params: unknown[] = [];
    const tuples = chunk.map((row) => {
      const refs = row.map((value) => {
        params.push(value);
        return `$${params.length}`;
      });
      for (const name of constNames) {
        params.push(constants[name]);
        refs.push(`$${params.length}`);
      }
      return `(${refs.join(', ')})`;
    });
    await client.query(`INSERT INTO ${table} (${[...columns, ...constNames].join(', ')}) VALUES ${tuples.join(', ')}`, params);
  }
}

/**
 * CPU time (ms) the Postgres backends connected to `database` use from now until stop()
 * (other databases on the machine belong to other people's tests). Sampled every 200 ms,
 * as pool connections come and go: a backend first seen later counts from zero, one that
 * exits counts up to its last sample.
 */
export function sampleBackendCpu(owner: Queryable, database: string): { stop(): Promise<number> } {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  let initial = true;
  const take = async () => {
    const { rows } = await owner.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
    for (const { pid } of rows) {
      const ms = cpuMsOf(pid);
      if (ms === null) continue;
      if (!first.has(pid)) first.set(pid, initial ? ms : 0);
      last.set(pid, ms);
    }
    initial = false;
  };
  let running = take();
  const timer = setInterval(() => {
    running = running.then(take).catch(() => {});
  }, 200);
  return {
    async stop() {
      clearInterval(timer);
      await running;
      await take().catch(() => {});
      let total = 0;
      for (const [pid, ms] of last) total += ms - (first.get(pid) ?? 0);
      return total;
    },
  };
}

/** Commits and rollbacks of one database so far (pg_stat_database, updated as
 *  transactions end; read across a run for transactions per request). */
export async function transactionsOf(owner: Queryable, database: string): Promise<number> {
  const { rows } = await owner.query<{ n: string }>('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1', [database]);
  return Number(rows[0]?.n ?? 0);
}
