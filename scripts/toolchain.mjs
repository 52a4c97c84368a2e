// `npm run toolchain [-- --json] [-- --check]`: what this project's npm scripts run on.
//
// npm puts node_modules/.bin first on the PATH of every script, and the `node` devDependency
// (the npm registry's Node.js binary package) installs node_modules/.bin/node: so `node ...` in a
// script, and every tool with a `#!/usr/bin/env node` shebang (jest, tsc, eslint, cdktf), runs on
// the project's Node 22, whatever Node is installed on the machine. This prints that Node, the one
// a shebang tool gets, the machine's own Node (outside npm), npm, the CDK setting, the CDK Terrain
// install (terrain/) and terraform.
//
// --check exits 1 unless this process and a shebang tool both run on the pinned Node (.ci/run).
// Plain .mjs, no build step: it must work before anything is compiled.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--json' && a !== '--check');
if (unknown.length > 0) {
  console.error(`toolchain: unknown argument(s) ${unknown.join(' ')}; use: [--json] [--check]`);
  process.exit(2);
}

const readJson = (file) => {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
};
const pkg = readJson(path.join(ROOT, 'package.json')) ?? {};
const pinned = pkg.devDependencies?.node;
const real = (p) => {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
};
const projectBin = path.join(ROOT, 'node_modules', '.bin');
const inProject = (file) => real(file).startsWith(`${real(path.join(ROOT, 'node_modules'))}${path.sep}`);

/** `node` as the first PATH entry that has one, skipping folders in `skip`. */
function whichNode(pathVar, skip = () => false) {
  for (const dir of (pathVar ?? '').split(path.delimiter)) {
    if (dir === '' || skip(dir)) continue;
    const f = path.join(dir, process.platform === 'win32' ? 'node.exe' : 'node');
    try {
      accessSync(f, constants.X_OK);
      return f;
    } catch {
      // next
    }
  }
  return undefined;
}

function run(cmd, argv, env = process.env) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', env });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

// What a `#!/usr/bin/env node` tool gets: env's PATH lookup of `node`, from this PATH.
const shebang = existsSync('/usr/bin/env')
  ? run('/usr/bin/env', ['node', '-p', 'process.version + " " + process.execPath'])
  : undefined;
const [shebangVersion, shebangPath] = shebang?.split(' ') ?? [];

// The machine's Node: the first `node` on PATH outside node_modules/.bin folders (what a plain
// `node ...` in a shell runs, outside npm).
const systemNode = whichNode(process.env.PATH, (dir) => dir.split(path.sep).includes('node_modules'));
const systemVersion = systemNode !== undefined ? run(systemNode, ['--version']) : undefined;

// npm's user agent names the Node that runs npm itself: "npm/11.19.1 node/v20.20.2 linux x64 ...".
const agent = process.env.npm_config_user_agent ?? '';
const npmVersion = /npm\/(\S+)/.exec(agent)?.[1];
const npmNode = /node\/(\S+)/.exec(agent)?.[1];

const cdktfJson = readJson(path.join(ROOT, 'cdktf.json')) ?? {};
const cdk = process.env.TRACKING_CDK || cdktfJson.trackingCdk || 'cdktf';
const cdkFrom = process.env.TRACKING_CDK ? 'TRACKING_CDK' : cdktfJson.trackingCdk ? 'cdktf.json "trackingCdk"' : 'default';

const terrainModules = path.join(ROOT, 'terrain', 'node_modules');
const cdktn = readJson(path.join(terrainModules, 'cdktn', 'package.json'));
const cdktnAws = readJson(path.join(terrainModules, '@cdktn', 'provider-aws', 'package.json'));
const cdktf = readJson(path.join(ROOT, 'node_modules', 'cdktf', 'package.json'));
const cdktfAws = readJson(path.join(ROOT, 'node_modules', '@cdktf', 'provider-aws', 'package.json'));

const tfVersion = run('terraform', ['version', '-json'], { ...process.env, CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: '/dev/null' });

const report = {
  node: { version: process.version, execPath: process.execPath, fromProject: inProject(process.execPath) },
  pinned: pinned === undefined ? undefined : `v${pinned}`,
  shebang: { version: shebangVersion, execPath: shebangPath, fromProject: shebangPath !== undefined && inProject(shebangPath) },
  projectBinFirst: (process.env.PATH ?? '').split(path.delimiter).indexOf(projectBin) >= 0,
  system: { node: systemNode, version: systemVersion },
  npm: { version: npmVersion, node: npmNode },
  cdk: { mode: cdk, from: cdkFrom },
  cdktf: { cdktf: cdktf?.version, providerAws: cdktfAws?.version, awsProvider: cdktfAws?.cdktf?.provider?.version },
  cdktn: cdktn === undefined
    ? { installed: false }
    : { installed: true, cdktn: cdktn.version, providerAws: cdktnAws?.version, awsProvider: cdktnAws?.cdktf?.provider?.version },
  terraform: tfVersion === undefined ? undefined : JSON.parse(tfVersion).terraform_version,
};

const problems = [];
if (report.pinned === undefined) problems.push('package.json has no exact "node" devDependency');
else {
  if (report.node.version !== report.pinned) problems.push(`this script runs on Node ${report.node.version} (${report.node.execPath}), not the pinned ${report.pinned}`);
  if (report.shebang.version !== report.pinned) problems.push(`a #!/usr/bin/env node tool runs on Node ${report.shebang.version ?? '(none)'} (${report.shebang.execPath ?? '?'}), not the pinned ${report.pinned}`);
}

if (args.includes('--json')) {
  console.log(JSON.stringify({ ...report, problems }, null, 2));
} else {
  const lines = [
    `node (npm scripts)   ${report.node.version}  ${report.node.execPath}${report.node.fromProject ? '  (the project\'s `node` devDependency)' : ''}`,
    `node (shebang tools) ${report.shebang.version ?? '(none)'}  ${report.shebang.execPath ?? ''}`,
    `node (this machine)  ${report.system.version ?? '(none on PATH)'}  ${report.system.node ?? ''}  (runs npm itself and a plain \`node\` outside npm)`,
    `npm                  ${report.npm.version ?? '(not run through npm)'}${report.npm.node ? ` on node ${report.npm.node}` : ''}`,
    `CDK                  ${report.cdk.mode} (${report.cdk.from}); cdktf ${report.cdktf.cdktf ?? 'missing'}, @cdktf/provider-aws ${report.cdktf.providerAws ?? 'missing'} (hashicorp/aws ${report.cdktf.awsProvider ?? '?'})`,
    `CDK Terrain          ${report.cdktn.installed ? `cdktn ${report.cdktn.cdktn}, @cdktn/provider-aws ${report.cdktn.providerAws} (hashicorp/aws ${report.cdktn.awsProvider})` : 'not installed (only the cdktn build needs it: npm run terrain:install)'}`,
    `terraform            ${report.terraform ?? 'not found on PATH'}`,
  ];
  console.log(lines.join('\n'));
  for (const p of problems) console.error(`toolchain: ${p}`);
}
if (args.includes('--check') && problems.length > 0) process.exitCode = 1;
