import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export interface TrackerScript {
  /** The minified IIFE served at /t.js. */
  code: string;
  /** A strong ETag of `code` (quoted). */
  etag: string;
}

let built: Promise<TrackerScript> | undefined;

/**
 * The browser tracker, built from ./snippet.ts once per process in memory (tens of
 * milliseconds), so there is no build artefact to keep in step with the source. A failed
 * build is not remembered: the next call tries again.
 */
export function trackerScript(): Promise<TrackerScript> {
  built ??= buildTrackerScript().catch((error: unknown) => {
    built = undefined;
    throw error;
  });
  return built;
}

async function buildTrackerScript(): Promise<TrackerScript> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./snippet.ts', import.meta.url))],
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    // Syntax every browser of the last years runs; an older one fails on this script
    // alone (an IIFE), never on the merchant's own code.
    target: 'es2019',
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error('the tracker build produced no output');
  const code = file.text;
  return { code, etag: `"${createHash('sha256').update(code).digest('base64url').slice(0, 32)}"` };
}
