// Compiles the cdktf app, the benchmarks and the tools to plain JS with esbuild.
// cdktf runs `node dist/main.js` (see cdktf.json): no ts-node, no source-map loader at synth.
// Dependencies stay in node_modules: esbuild only compiles and joins our own modules.
// (cdktf must not be bundled: it zips assets by running its own module file as a CLI.)
//
//   node scripts/build.mjs                  the app, the benchmarks and the tools, into dist/
//   node scripts/build.mjs app              only the app (what synth needs)
//   node scripts/build.mjs --cdk=cdktn      the same sources against CDK Terrain (docs/cdk-terrain.md)
//   node scripts/build.mjs --outdir=<dir>   another output folder (inside the project)
//
// Which CDK: --cdk, else $TRACKING_CDK, else "trackingCdk" in cdktf.json, else cdktf.
//
// The cdktn build changes no source: an esbuild plugin resolves `cdktf`, `@cdktf/provider-aws` and
// `constructs` (deep paths too) to the CDK Terrain packages installed in terrain/node_modules
// (`npm run terrain:install`; `npm ci` does not), and keeps them external, as relative requires
// from the output file (`require("../terrain/node_modules/cdktn/lib/index.js")`). So the app, cdktn
// and its provider bindings share one `constructs`, and the main dependency tree stays on cdktf.
import { build } from 'esbuild';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '..');

// ---------------------------------------------------------------------------------------------
// Node version: the toolchain is Node 22 (the `node` devDependency puts it first on the PATH of
// every npm script). Refuse an older Node with the fix, instead of failing later in a dependency.
// ---------------------------------------------------------------------------------------------
const MIN_NODE = [22, 11];
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const tooOld = major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1]);
if (tooOld) {
  console.error(
    [
      `build: Node.js ${process.version} (${process.execPath}) is running this build; the project needs Node.js ${MIN_NODE.join('.')} or later.`,
      'Run it through npm, which puts the project\'s own Node 22 (the `node` devDependency, node_modules/.bin/node) first on PATH:',
      '  npm run build | npm run synth | npm test | npm run bench:synth | ...   (or: npx node scripts/build.mjs)',
      'If node_modules/.bin/node is missing, run `npm ci` (it installs it), or install Node.js 22 or 24 yourself.',
    ].join('\n'),
  );
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// Arguments and the CDK setting
// ---------------------------------------------------------------------------------------------
const args = process.argv.slice(2);
const option = (name) => {
  const hit = args.find((a) => a.startsWith(`--${name}=`));
  return hit === undefined ? undefined : hit.slice(name.length + 3);
};
const known = (a) => a === 'app' || /^--(cdk|outdir)=/.test(a);
const unknown = args.filter((a) => !known(a));
if (unknown.length > 0) {
  console.error(`build: unknown argument(s) ${unknown.map((a) => JSON.stringify(a)).join(', ')}; use: [app] [--cdk=cdktf|cdktn] [--outdir=<dir>]`);
  process.exit(2);
}

/** Which CDK the app is built against: --cdk, $TRACKING_CDK, cdktf.json "trackingCdk", cdktf. */
function chooseCdk() {
  const fromArg = option('cdk');
  if (fromArg !== undefined) return { cdk: fromArg, from: '--cdk' };
  const fromEnv = process.env.TRACKING_CDK;
  if (fromEnv !== undefined && fromEnv !== '') return { cdk: fromEnv, from: 'TRACKING_CDK' };
  const cdktfJson = JSON.parse(readFileSync(path.join(ROOT, 'cdktf.json'), 'utf8'));
  if (cdktfJson.trackingCdk !== undefined) return { cdk: cdktfJson.trackingCdk, from: 'cdktf.json "trackingCdk"' };
  return { cdk: 'cdktf', from: 'the default' };
}

const CDKS = ['cdktf', 'cdktn'];
const { cdk, from } = chooseCdk();
if (!CDKS.includes(cdk)) {
  console.error(`build: ${from} is ${JSON.stringify(cdk)}; it must be "cdktf" (CDK for Terraform, the default) or "cdktn" (CDK Terrain, docs/cdk-terrain.md)`);
  process.exit(2);
}

const outdir = path.resolve(ROOT, option('outdir') ?? 'dist');
if (path.relative(ROOT, outdir).startsWith('..') || path.isAbsolute(path.relative(ROOT, outdir))) {
  // modules/bundle.ts finds the project root by walking up to cdktf.json from the compiled file.
  console.error(`build: --outdir ${outdir} is outside the project ${ROOT}; the compiled app finds its assets from cdktf.json above it`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// The cdktn plugin
// ---------------------------------------------------------------------------------------------
const TERRAIN_DIR = path.join(ROOT, 'terrain');

/**
 * `cdktf[/x]` -> `cdktn[/x]`, `@cdktf/provider-aws[/x]` -> `@cdktn/provider-aws[/x]`; `cdktn`,
 * `@cdktn/provider-aws` and `constructs` (deep paths too) unchanged, from terrain/node_modules.
 */
function terrainName(spec) {
  const m = /^(cdktf|cdktn|@cdktf\/provider-aws|@cdktn\/provider-aws|constructs)(\/.*)?$/.exec(spec);
  if (m === null) return undefined;
  const pkg = { cdktf: 'cdktn', '@cdktf/provider-aws': '@cdktn/provider-aws' }[m[1]] ?? m[1];
  return `${pkg}${m[2] ?? ''}`;
}

function cdktnPlugin(groupOutdir) {
  const terrainModules = path.join(TERRAIN_DIR, 'node_modules');
  for (const pkg of ['cdktn', '@cdktn/provider-aws', 'constructs']) {
    if (!existsSync(path.join(terrainModules, pkg, 'package.json'))) {
      console.error(
        `build: the cdktn build needs the CDK Terrain packages in ${path.relative(ROOT, terrainModules)}, and ${pkg} is not there. ` +
          'Install them with `npm run terrain:install` (once, about 480 MB; `npm ci` does not install them; docs/cdk-terrain.md).',
      );
      process.exit(1);
    }
  }
  const terrainRequire = createRequire(path.join(TERRAIN_DIR, 'package.json'));
  return {
    name: 'cdktn',
    setup(b) {
      b.onResolve({ filter: /^(cdktf|cdktn|constructs)(\/|$)|^@(cdktf|cdktn)\// }, (args) => {
        const mapped = terrainName(args.path);
        if (mapped === undefined) {
          return {
            errors: [
              {
                text: `"${args.path}" has no CDK Terrain counterpart in this build (only cdktf, @cdktf/provider-aws and constructs are mapped to terrain/node_modules); add it to scripts/build.mjs and terrain/package.json`,
              },
            ],
          };
        }
        let file;
        try {
          file = terrainRequire.resolve(mapped);
        } catch (err) {
          // require.resolve() of a path that may not exist (stacks/no-token-stack-traces.ts looks a
          // module up at run time and does nothing when it is missing): keep the mapped path.
          if (args.kind !== 'require-resolve') {
            return { errors: [{ text: `"${args.path}" maps to "${mapped}", which terrain/node_modules does not have: ${err.message.split('\n')[0]}` }] };
          }
          file = path.join(terrainModules, mapped);
        }
        let rel = path.relative(groupOutdir, file).split(path.sep).join('/');
        if (!rel.startsWith('.')) rel = `./${rel}`;
        return { path: rel, external: true };
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Build
// ---------------------------------------------------------------------------------------------

// `app` compiles only the cdktf app (what synth needs); no argument compiles the app, the
// benchmarks and the tools.
const appOnly = args.includes('app');
const entries = [
  'main.ts',
  ...(appOnly ? [] : readdirSync(path.join(ROOT, 'bench')).filter((f) => f.endsWith('.ts')).map((f) => `bench/${f}`)),
  ...(appOnly ? [] : readdirSync(path.join(ROOT, 'scripts')).filter((f) => f.endsWith('.ts')).map((f) => `scripts/${f}`)),
  // Commands' temporary entries (until the `tracking` command line registers them).
  ...(appOnly ? [] : ['cli/types/main.ts', 'cli/openapi/main.ts'].filter((f) => existsSync(path.join(ROOT, f)))),
  // The local runtime and the query command (temporary entry points until cli/index.ts), and the
  // Lambda execution environment the runtime starts as a child process.
  ...(appOnly ? [] : ['cli/dev/main.ts', 'cli/dev/lambda-worker.ts', 'cli/query/main.ts'].filter((f) => existsSync(path.join(ROOT, f)))),
];

const common = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  sourcemap: false,
  packages: 'external',
  logLevel: 'warning',
  absWorkingDir: ROOT,
  // Which CDK the output was compiled against (stacks/no-token-stack-traces.ts, main.ts).
  define: { 'process.env.TRACKING_CDK_BUILD': JSON.stringify(cdk) },
};

if (cdk === 'cdktf') {
  await build({ ...common, entryPoints: entries, outdir, outbase: '.' });
} else {
  // The relative require of a terrain package depends on the output file's folder: one build per folder.
  const groups = new Map();
  for (const e of entries) {
    const dir = path.dirname(e);
    groups.set(dir, [...(groups.get(dir) ?? []), e]);
  }
  for (const [dir, group] of groups) {
    const groupOutdir = path.join(outdir, dir);
    await build({ ...common, entryPoints: group, outdir: groupOutdir, outbase: dir, plugins: [cdktnPlugin(groupOutdir)] });
  }
}
