import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createInterface } from 'node:readline';

/**
 * Bench servers run as child processes, so the load generator in the parent never shares
 * their event loop. Every child runs the same way: `node` with the tsx loader (as the
 * production image runs the apps through tsx), or plain `node` on an esbuild bundle (as
 * `start:prod` runs them), NODE_ENV=production, and talks to the
 * parent over IPC: it sends `{ type: 'ready', ... }` once listening, and answers
 * `{ type: 'stop' }` with `{ type: 'stopped', ... }` before exiting.
 */

export type Message = { type: string; [key: string]: unknown };

export interface Child {
  name: string;
  pid: number;
  process: ChildProcess;
  ready: Message;
  /** Lines the child logged at pino level error or above, at level warn, and how many
   *  mention a deadlock. */
  logged: { errors: number; warnings: number; deadlocks: number };
  /** Sends `{ type, ...extra }` and resolves with the child's `{ type: '<type>:done', ... }`. */
  call(type: string, extra?: Record<string, unknown>): Promise<Message>;
  /** Asks the child to stop cleanly; resolves with its last message once it exited. */
  stop(timeoutMs?: number): Promise<Message | null>;
  kill(): void;
}

export async function startChild(
  name: string,
  file: string,
  options: {
    args?: string[];
    execArgv?: string[];
    readyTimeoutMs?: number;
    /** Run a bundled .mjs with plain node (no tsx). */
    plain?: boolean;
  } = {},
): Promise<Child> {
  const child = fork(file, options.args ?? [], {
    // --expose-gc only lets the parent ask for a full collection before reading the live heap.
    execArgv: [...(options.plain ? [] : ['--import', import.meta.resolve('tsx')]), '--expose-gc', ...(options.execArgv ?? [])],
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const logged = { errors: 0, warnings: 0, deadlocks: 0 };
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    const lines = createInterface({ input: stream });
    let shown = 0;
    lines.on('line', (line) => {
      if (/"level":(50|60)/.test(line)) logged.errors++;
      if (/"level":40/.test(line)) logged.warnings++;
      if (/deadlock/i.test(line)) logged.deadlocks++;
      // A child that logs on every request would flood the terminal: show the start.
      if (shown++ < 20) console.error(`  [${name}] ${line.slice(0, 400)}`);
      else if (shown === 21) console.error(`  [${name}] … (further output hidden)`);
    });
  }
  const exited = once(child, 'exit');
  let last: Message | null = null;
  child.on('message', (m) => {
    last = m as Message;
  });

  const ready = await new Promise<Message>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: not ready in ${options.readyTimeoutMs ?? 60_000} ms`)), options.readyTimeoutMs ?? 60_000);
    child.on('message', (m: Message) => {
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve(m);
      }
      if (m.type === 'error') {
        clearTimeout(timer);
        reject(new Error(`${name}: ${String(m.message)}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it was ready`));
    });
  });

  return {
    name,
    pid: child.pid!,
    process: child,
    ready,
    logged,
    call(type, extra = {}) {
      return new Promise((resolve, reject) => {
        const listener = (m: Message) => {
          if (m.type !== `${type}:done`) return;
          child.off('message', listener);
          if (m.error) reject(new Error(`${name} ${type}: ${String(m.error)}`));
          else resolve(m);
        };
        child.on('message', listener);
        child.send({ type, ...extra });
      });
    },
    async stop(timeoutMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return last;
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
      return last;
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/**
 * In a child: answers the parent. `stop` (also when the parent goes away) runs `stop`
 * and exits; `memory` answers process.memoryUsage() (after a full GC with `gc: true`); `profile-start` / `profile-stop`
 * record a V8 CPU profile of just that window (written to `path`). `handlers` answer
 * further message types with what they return (for figures only the child knows).
 */
export function serveParent(
  stop: () => Promise<Record<string, unknown> | undefined>,
  handlers: Record<string, (m: Message) => Record<string, unknown> | Promise<Record<string, unknown>>> = {},
): void {
  let stopping = false;
  let profiler: Session | null = null;
  const run = async () => {
    if (stopping) return;
    stopping = true;
    let code = 0;
    try {
      const extra = (await stop()) ?? {};
      process.send?.({ type: 'stopped', ...extra });
    } catch (error) {
      code = 1;
      process.send?.({ type: 'error', message: String(error) });
    }
    // Let the IPC message go out before exiting.
    setTimeout(() => process.exit(code), 50);
  };
  const answer = async (m: Message) => {
    const done = `${m.type}:done`;
    try {
      const handler = Object.hasOwn(handlers, m.type) ? handlers[m.type] : undefined;
      if (handler) {
        process.send?.({ type: done, ...(await handler(m)) });
      } else if (m.type === 'memory') {
        // With `gc`: the live heap, after a full collection (children run with --expose-gc).
        if (m.gc) (globalThis as { gc?: () => void }).gc?.();
        process.send?.({ type: done, ...process.memoryUsage() });
      } else if (m.type === 'profile-start') {
        profiler = new Session();
        profiler.connect();
        await profiler.post('Profiler.enable');
        await profiler.post('Profiler.setSamplingInterval', { interval: 250 });
        await profiler.post('Profiler.start');
        process.send?.({ type: done });
      } else if (m.type === 'profile-stop' && profiler) {
        const { profile } = await profiler.post('Profiler.stop');
        writeFileSync(String(m.path), JSON.stringify(profile));
        profiler.disconnect();
        profiler = null;
        process.send?.({ type: done });
      }
    } catch (error) {
      process.send?.({ type: done, error: String(error) });
    }
  };
  process.on('message', (m: Message) => {
    if (m?.type === 'stop') void run();
    else void answer(m);
  });
  process.on('disconnect', () => void run());
}
