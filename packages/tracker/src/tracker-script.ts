import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Esbuild from 'esbuild';

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
  // Both found through the package rather than next to this file: in the API's bundle
  // (scripts/build-app.mjs) this module is inlined into dist/main.js, and neither the
  // snippet's source nor esbuild (a native binary) is part of that bundle.
  const entry = createRequire(import.meta.url).resolve('@app/tracker/snippet');
  const { build } = createRequire(entry)('esbuild') as typeof Esbuild;
  const result = await build({
    entryPoints: [entry],
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
