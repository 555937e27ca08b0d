// Bundles an app (apps/api, apps/worker) into one dist/main.js for production images:
// workspace packages (TypeScript source) and npm dependencies are compiled in, so the
// image needs no node_modules. Packages that load files next to themselves at run time
// stay external (@fastify/swagger-ui serves its own static files).
import { build } from 'esbuild';

const [entry = 'src/main.ts', outfile = 'dist/main.js'] = process.argv.slice(2);

await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  logLevel: 'info',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  external: ['@fastify/swagger-ui'],
});
