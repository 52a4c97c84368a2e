// Compiles the cdktf app, the benchmarks and the tools to plain JS with esbuild.
// cdktf runs `node dist/main.js` (see cdktf.json): no ts-node, no source-map loader at synth.
// Dependencies stay in node_modules: esbuild only compiles and joins our own modules.
// (cdktf must not be bundled: it zips assets by running its own module file as a CLI.)
import { build } from 'esbuild';
import { readdirSync } from 'node:fs';

// `node scripts/build.mjs app` compiles only the cdktf app (what synth needs); no argument compiles
// the app, the benchmarks and the tools.
const appOnly = process.argv.includes('app');
const entries = [
  'main.ts',
  ...(appOnly ? [] : readdirSync('bench').filter((f) => f.endsWith('.ts')).map((f) => `bench/${f}`)),
  ...(appOnly ? [] : readdirSync('scripts').filter((f) => f.endsWith('.ts')).map((f) => `scripts/${f}`)),
];

await build({
  entryPoints: entries,
  outdir: 'dist',
  outbase: '.',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: false,
  packages: 'external',
  logLevel: 'warning',
});
