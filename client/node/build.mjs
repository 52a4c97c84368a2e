// Builds the Node tracker package (@tracking-pipeline/node-tracker) into client/node/dist/:
//
//   dist/index.cjs, dist/index.mjs   the tracker, with the shared layer lib/ and the dependency-free
//                                    config/errors.ts and config/manifest.ts bundled by esbuild;
//                                    the AWS SDK clients stay imports (the package's dependencies)
//   dist/index.d.cts, dist/index.d.mts
//                                    one declaration file (rollup-plugin-dts): every type the
//                                    package exports, inlined; it imports only the AWS SDK clients
//
//   node client/node/build.mjs [--metafile=<file>]     (npm pack runs it as prepack)
//
// The same sources run in the repository's tests; this build is what a producer installs.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { rollup } from 'rollup';
import { dts } from 'rollup-plugin-dts';

const HERE = import.meta.dirname;
const ROOT = path.resolve(HERE, '..', '..');
const DIST = path.join(HERE, 'dist');
const ENTRY = path.join(HERE, 'index.ts');
const pkg = JSON.parse(readFileSync(path.join(HERE, 'package.json'), 'utf8'));
/** Packages the bundle may import: the package's dependencies (and Node built-ins). */
const EXTERNAL = Object.keys(pkg.dependencies ?? {});

const args = process.argv.slice(2);
const metafileArg = args.find((a) => a.startsWith('--metafile='));
const unknown = args.filter((a) => a !== metafileArg);
if (unknown.length > 0) {
  console.error(`node-tracker build: unknown argument(s) ${unknown.join(' ')}; use: [--metafile=<file>]`);
  process.exit(2);
}

rmSync(DIST, { recursive: true, force: true });
mkdirSync(DIST, { recursive: true });
// The package's license is the repository's (Apache-2.0), copied so that the two never differ.
copyFileSync(path.join(ROOT, 'LICENSE'), path.join(HERE, 'LICENSE'));

const common = {
  absWorkingDir: ROOT,
  entryPoints: [ENTRY],
  bundle: true,
  platform: 'node',
  target: 'node22',
  external: EXTERNAL,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
  banner: { js: `/* ${pkg.name} ${pkg.version} (${pkg.license}) */` },
};
const cjs = await build({ ...common, format: 'cjs', outfile: path.join(DIST, 'index.cjs') });
await build({ ...common, format: 'esm', outfile: path.join(DIST, 'index.mjs') });
if (metafileArg !== undefined) writeFileSync(metafileArg.slice('--metafile='.length), JSON.stringify(cjs.metafile));

// Declarations: the same text serves both formats (named exports only, no `export =`).
const bundle = await rollup({
  input: ENTRY,
  external: (id) => id.startsWith('node:') || EXTERNAL.some((d) => id === d || id.startsWith(`${d}/`)),
  plugins: [
    dts({
      tsconfig: path.join(ROOT, 'tsconfig.json'),
      compilerOptions: { noEmit: false, declaration: true, emitDeclarationOnly: true, isolatedModules: false, types: ['node'] },
    }),
  ],
  onwarn: (w, warn) => {
    if (w.code === 'EMPTY_BUNDLE') return;
    warn(w);
  },
});
const { output } = await bundle.generate({ format: 'es' });
await bundle.close();
const declarations = `// ${pkg.name} ${pkg.version}: type declarations.\n${output[0].code}`;
writeFileSync(path.join(DIST, 'index.d.cts'), declarations);
writeFileSync(path.join(DIST, 'index.d.mts'), declarations);
console.error(`node-tracker: built ${path.relative(ROOT, DIST)} (index.cjs, index.mjs, index.d.cts, index.d.mts)`);
