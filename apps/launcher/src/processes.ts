import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { REPO_ROOT } from './launcher-config';

const FORCE_KILL_AFTER_MS = 10_000;

export interface AppProcess {
  name: string;
  child: ChildProcess;
  /** Resolves when the process has exited, with how it ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** tsx's CLI from node_modules, run with this Node: no shell, no PATH lookup. */
function tsxCli(): string {
  return createRequire(import.meta.url).resolve('tsx/cli');
}

/**
 * Starts `tsx src/main.ts` in apps/<name>. Each app gets its own process group, so that
 * a force-kill reaches tsx's own child too, and the launcher alone decides the order in
 * which things stop when Ctrl-C is pressed.
 */
export function spawnApp(name: 'api' | 'worker', env: Record<string, string | undefined>): AppProcess {
  const child = spawn(process.execPath, [tsxCli(), 'src/main.ts'], {
    cwd: join(REPO_ROOT, 'apps', name),
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  return { name, child, exited };
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is already gone
  }
}

/** SIGTERM to every app, then SIGKILL to whatever is still running after 10 s. */
export async function stopApps(apps: AppProcess[], logger: Logger): Promise<void> {
  await Promise.all(
    apps.map(async (app) => {
      if (app.child.exitCode !== null || app.child.signalCode !== null) return;
      app.child.kill('SIGTERM'); // tsx relays it to the app
      const timer = setTimeout(() => {
        logger.warn({ app: app.name }, `${app.name} did not stop within ${FORCE_KILL_AFTER_MS / 1000} s; killing it`);
        signalGroup(app.child, 'SIGKILL');
      }, FORCE_KILL_AFTER_MS);
      await app.exited;
      clearTimeout(timer);
      signalGroup(app.child, 'SIGKILL'); // tsx's own child, should it outlive tsx
    }),
  );
}

/** Polls GET /readyz until it answers 200; fails early if `abort` settles first. */
export async function waitForReady(baseUrl: string, options: { timeoutMs: number; abort: Promise<unknown> }): Promise<void> {
  let aborted = false;
  void options.abort.then(() => {
    aborted = true;
  });
  const deadline = Date.now() + options.timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (aborted) throw new Error('stopped while waiting for the API to become ready');
    try {
      const response = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(3_000) });
      if (response.status === 200) return;
      last = `HTTP ${response.status}: ${await response.text()}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(300);
  }
  throw new Error(`API at ${baseUrl} not ready after ${options.timeoutMs / 1000} s (${last})`);
}
