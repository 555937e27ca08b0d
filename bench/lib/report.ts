import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Small helpers every bench prints with. */

export const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
export const mb = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(0)} MB`;
export const check = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The commit measured, and whether the working tree differs from it (others may be editing). */
export function revision(root: string): string {
  try {
    const head = execFileSync('git', ['log', '-1', '--format=%h %s'], { cwd: root, encoding: 'utf8' }).trim().slice(0, 100);
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'apps', 'packages'], { cwd: root, encoding: 'utf8' }).trim();
    return `${head}${dirty ? ` (+ uncommitted changes in apps/ or packages/: ${dirty.split('\n').length} files)` : ''}`;
  } catch {
    return 'unknown (no git)';
  }
}

/** The pid of the first process whose command name is `comm` (e.g. redis-server). */
export function findPid(comm: string): number | null {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) return Number(entry);
    } catch {}
  }
  return null;
}

/** `--name=value` options and `--name` flags of a bench's command line. */
export function commandLine(args: string[]) {
  const flag = (name: string) => args.includes(`--${name}`);
  const text = (name: string, fallback: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
  const number = (name: string, fallback: number, { allowZero = false } = {}) => {
    const given = args.find((a) => a.startsWith(`--${name}=`));
    const value = given ? Number(given.slice(name.length + 3)) : fallback;
    if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0))
      throw new Error(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} number`);
    return value;
  };
  return { flag, text, number };
}
