// Builds the browser tracker package (@tracking-pipeline/browser-tracker) into client/browser/dist/:
//
//   dist/index.js        the tracker as one dependency-free ES module (ES2020), readable: for bundlers
//   dist/tracker.min.js  the same, minified: what a page loads directly (<script type="module">),
//                        byte for byte what client/browser/bundle.ts builds for the size test (5 KB
//                        gzipped) and the browser tests
//   dist/index.d.ts      its declarations in one file (rollup-plugin-dts), importing nothing
//
//   node client/browser/build.mjs        (npm pack runs it as prepack)
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

if (process.argv.length > 2) {
  console.error(`browser-tracker build: no arguments expected, got ${process.argv.slice(2).join(' ')}`);
  process.exit(2);
}

rmSync(DIST, { recursive: true, force: true });
mkdirSync(DIST, { recursive: true });
// The package's license is the repository's (Apache-2.0), copied so that the two never differ.
copyFileSync(path.join(ROOT, 'LICENSE'), path.join(HERE, 'LICENSE'));

// The options of client/browser/bundle.ts (BROWSER_TARGET, minified ESM, no legal comments).
const common = { absWorkingDir: ROOT, entryPoints: [ENTRY], bundle: true, format: 'esm', platform: 'browser', target: 'es2020', legalComments: 'none', logLevel: 'warning' };
await build({ ...common, outfile: path.join(DIST, 'index.js'), banner: { js: `/* ${pkg.name} ${pkg.version} (${pkg.license}) */` } });
await build({ ...common, outfile: path.join(DIST, 'tracker.min.js'), minify: true });

const bundle = await rollup({
  input: ENTRY,
  plugins: [
    dts({
      tsconfig: path.join(ROOT, 'tsconfig.json'),
      compilerOptions: { noEmit: false, declaration: true, emitDeclarationOnly: true, isolatedModules: false, types: ['node'] },
    }),
  ],
});
const { output } = await bundle.generate({ format: 'es' });
await bundle.close();
writeFileSync(path.join(DIST, 'index.d.ts'), `// ${pkg.name} ${pkg.version}: type declarations.\n${output[0].code}`);
console.error(`browser-tracker: built ${path.relative(ROOT, DIST)} (index.js, tracker.min.js, index.d.ts)`);
