import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A short reading of V8 `.cpuprofile` files (node --cpu-prof): where self time went, by
 * function and by module (npm package, or workspace file), and total (inclusive) time of
 * a few functions worth knowing about on the hot path, and who calls the costly native
 * functions.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function moduleOf(url: string): string {
  if (!url) return '(native/idle/gc)';
  const pkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return url;
  const ws = /\/(apps\/[^/]+\/src\/.*|packages\/[^/]+\/src\/.*|bench\/.*)$/.exec(url);
  return ws ? ws[1]! : url;
}

export function summariseProfiles(dir: string, top = 25): string {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const selfByFn = new Map<string, number>();
  const selfByModule = new Map<string, number>();
  const inclusive = new Map<string, number>();
  /** For native functions (no script): self time by the nearest JavaScript caller. */
  const nativeCallers = new Map<string, Map<string, number>>();
  let total = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const selfUs = new Map<number, number>();
    profile.samples.forEach((id, i) => {
      selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
    });
    for (const [id, us] of selfUs) {
      const node = byId.get(id)!;
      const { functionName, url, lineNumber } = node.callFrame;
      if (functionName === '(idle)' || functionName === '(program)') continue;
      total += us;
      const mod = moduleOf(url);
      const fnKey = `${functionName || '(anonymous)'}  ${mod}${url ? `:${lineNumber + 1}` : ''}`;
      selfByFn.set(fnKey, (selfByFn.get(fnKey) ?? 0) + us);
      selfByModule.set(mod, (selfByModule.get(mod) ?? 0) + us);
      if (!url) {
        let caller = parent.get(id);
        while (caller !== undefined && !byId.get(caller)!.callFrame.url) caller = parent.get(caller);
        const frame = caller === undefined ? null : byId.get(caller)!.callFrame;
        const callerKey = frame ? `${frame.functionName || '(anonymous)'}  ${moduleOf(frame.url)}:${frame.lineNumber + 1}` : '(none)';
        const callers = nativeCallers.get(functionName) ?? new Map<string, number>();
        callers.set(callerKey, (callers.get(callerKey) ?? 0) + us);
        nativeCallers.set(functionName, callers);
      }
      // Inclusive time per function: count each once per sample's stack.
      const seen = new Set<string>();
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const frame = byId.get(cur)!.callFrame;
        const key = `${frame.functionName || '(anonymous)'}  ${moduleOf(frame.url)}`;
        if (seen.has(key)) continue;
        seen.add(key);
        inclusive.set(key, (inclusive.get(key) ?? 0) + us);
      }
    }
  }
  const pct = (us: number) => `${((100 * us) / Math.max(total, 1)).toFixed(1).padStart(5)}%`;
  const lines = [`busy CPU in profile: ${(total / 1e6).toFixed(2)} s (idle excluded)`, '', 'self time by module:'];
  for (const [k, v] of [...selfByModule].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(v)}  ${k}`);
  lines.push('', 'self time by function:');
  for (const [k, v] of [...selfByFn].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(v)}  ${k}`);
  lines.push('', 'native functions with the most self time, by JavaScript caller:');
  const natives = [...nativeCallers].map(([fn, callers]) => [fn, callers, [...callers.values()].reduce((a, b) => a + b, 0)] as const);
  for (const [fn, callers, us] of natives.sort((a, b) => b[2] - a[2]).slice(0, 4)) {
    lines.push(`  ${pct(us)}  ${fn}`);
    for (const [k, v] of [...callers].sort((a, b) => b[1] - a[1]).slice(0, 4)) lines.push(`      ${pct(v)}  ← ${k}`);
  }
  lines.push('', 'total (inclusive) time, workspace and plugin functions:');
  const interesting = [...inclusive].filter(([k]) => /apps\/|packages\/|@fastify|fastify|prom-client|pino|ioredis|lru-cache|typeid|zod|proxy-addr/.test(k));
  for (const [k, v] of interesting.sort((a, b) => b[1] - a[1]).slice(0, top * 2)) lines.push(`  ${pct(v)}  ${k}`);
  return lines.join('\n');
}
