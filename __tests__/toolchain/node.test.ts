/**
 * Node 22 for every npm script, installed by `npm ci` (issue 16): the `node` devDependency puts
 * node_modules/.bin/node first on the PATH of every npm script, so `node ...` in a script and every
 * `#!/usr/bin/env node` tool run on the pinned Node, whatever Node the machine has.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Lazy } from 'cdktf';

const ROOT = path.join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  scripts: Record<string, string>;
  devDependencies: Record<string, string>;
  allowScripts?: Record<string, boolean | string>;
};
const PINNED = pkg.devDependencies.node!;
const BIN = path.join(ROOT, 'node_modules', '.bin');

/** The PATH of a fresh shell: this one without any node_modules/.bin folder. */
function shellPath(): string {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((d) => !d.split(path.sep).includes('node_modules'))
    .join(path.delimiter);
}

/** `npm` as a fresh shell finds it. */
function npm(args: string[], env: NodeJS.ProcessEnv = {}): ReturnType<typeof spawnSync> & { stdout: string; stderr: string } {
  // Drop what the npm running this test put in the environment, so that the child is a fresh `npm run`.
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'INIT_CWD' && k !== 'NODE'));
  return spawnSync('npm', args, { cwd: ROOT, encoding: 'utf8', env: { ...clean, PATH: shellPath(), ...env } }) as ReturnType<typeof spawnSync> & {
    stdout: string;
    stderr: string;
  };
}

describe('the pinned Node', () => {
  it('is an exact Node 22 release, within engines.node, with its install script approved for npm', () => {
    expect(PINNED).toMatch(/^22\.\d+\.\d+$/);
    expect(pkg.engines.node).toBe('>=22.11');
    const [, minor] = PINNED.split('.').map(Number);
    expect(minor).toBeGreaterThanOrEqual(11);
    // npm 11 lists dependencies whose install scripts are not approved, and npm 12 skips them; the
    // `node` package's preinstall is what fetches the binary (node-<os>-<arch>).
    expect(pkg.allowScripts?.node).toBe(true);
  });

  it('runs this test (jest started by npm test or npx jest)', () => {
    expect(process.version).toBe(`v${PINNED}`);
    expect(realpathSync(process.execPath).startsWith(realpathSync(path.join(ROOT, 'node_modules')) + path.sep)).toBe(true);
  });

  it('is the node of node_modules/.bin, a real binary installed by npm ci', () => {
    const bin = path.join(BIN, 'node');
    expect(existsSync(bin)).toBe(true);
    const r = spawnSync(bin, ['-p', 'process.version'], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe(`v${PINNED}`);
  });
});

describe('npm scripts', () => {
  it('run on the pinned Node from a shell whose own PATH has none, and so do #!/usr/bin/env node tools', () => {
    // Prepare: a PATH without node_modules/.bin, as in a fresh terminal (this machine's own Node may be 20)
    // Act
    const r = npm(['run', '--silent', 'toolchain', '--', '--json', '--check']);
    // Assess
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as {
      node: { version: string; fromProject: boolean };
      shebang: { version: string; fromProject: boolean };
      projectBinFirst: boolean;
      problems: string[];
    };
    expect(report.node).toMatchObject({ version: `v${PINNED}`, fromProject: true });
    expect(report.shebang).toMatchObject({ version: `v${PINNED}`, fromProject: true });
    expect(report.projectBinFirst).toBe(true);
    expect(report.problems).toEqual([]);
  });

  it('start every command with node, npm or a node_modules/.bin tool whose shebang is /usr/bin/env node', () => {
    // The commands of every script: `node ...` finds node_modules/.bin/node first; a tool from
    // node_modules/.bin must find node through PATH too (not a fixed /usr/bin/node).
    const problems: string[] = [];
    for (const [name, script] of Object.entries(pkg.scripts)) {
      for (const command of script.split(/&&|\|\||;|\|/).map((c) => c.trim()).filter((c) => c !== '')) {
        const words = command.split(/\s+/).filter((w) => !/^[A-Z_][A-Z0-9_]*=/.test(w));
        const first = words[0] ?? '';
        if (first === 'node' || first === 'npm' || first === 'npx') continue;
        if (first.includes('/')) {
          problems.push(`${name}: "${command}" runs ${first} by path`);
          continue;
        }
        const tool = path.join(BIN, first);
        if (!existsSync(tool)) {
          problems.push(`${name}: "${command}" runs ${first}, which is not in node_modules/.bin`);
          continue;
        }
        const shebang = readFileSync(realpathSync(tool), 'utf8').split('\n', 1)[0] ?? '';
        if (!/^#!\/usr\/bin\/env node(\s|$)/.test(shebang)) problems.push(`${name}: ${first}'s shebang is "${shebang}", not #!/usr/bin/env node`);
      }
    }
    expect(problems).toEqual([]);
    // A floor: the scripts the issue names exist and were checked.
    for (const s of ['synth', 'test', 'lint', 'check', 'bench', 'review', 'validate', 'migrate', 'types', 'redrive', 'cost', 'schema', 'cdktn:compare']) {
      expect(Object.keys(pkg.scripts)).toContain(s);
    }
  });

  it('leave the CDK Terrain packages out of `npm ci` (no install hook), installed by one command from their own lockfile', () => {
    // npm ci runs these root scripts (npm help scripts, "Life Cycle Operation Order"); none may install terrain/.
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepublish', 'preprepare', 'prepare', 'postprepare', 'dependencies']) {
      expect([hook, pkg.scripts[hook]]).toEqual([hook, undefined]);
    }
    expect(pkg.scripts['terrain:install']).toBe('node terrain/install.mjs');
    expect(existsSync(path.join(ROOT, 'terrain', 'package-lock.json'))).toBe(true);
  });
});

describe('the build', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'toolchain-node-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a Node older than 22.11 with the fix, before building anything', () => {
    // Prepare: make the build see Node 20 (this machine's own Node may be 20 too, but not everywhere)
    const preload = path.join(dir, 'node20.js');
    writeFileSync(preload, "Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '20.20.2' } });\n");
    // Act
    const r = spawnSync(process.execPath, ['--require', preload, path.join(ROOT, 'scripts', 'build.mjs'), 'app', `--outdir=dist/.toolchain-node20-${process.pid}`], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    // Assess
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/needs Node\.js 22\.11 or later/);
    expect(r.stderr).toMatch(/npm run build \| npm run synth \| npm test/);
    expect(existsSync(path.join(ROOT, 'dist', `.toolchain-node20-${process.pid}`))).toBe(false);
  });

  it('rejects an unknown CDK setting, naming where it came from and the allowed values', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs'), 'app', `--outdir=dist/.toolchain-bad-${process.pid}`], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, TRACKING_CDK: 'cdk-terrain' },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/TRACKING_CDK is "cdk-terrain"; it must be "cdktf" .* or "cdktn"/);
  });
});

describe('the jest setup', () => {
  it('registers cdktf\'s matchers and the no-op token stack traces (public API: Lazy tokens have no creation stack)', () => {
    // Act
    const token = Lazy.anyValue({ produce: () => 1 });
    // Assess
    expect(token.creationStack).toEqual([]);
    const synthesized = JSON.stringify({ resource: { aws_s3_bucket: { events: { bucket: 'b' } } } });
    expect(synthesized).toHaveResourceWithProperties({ tfResourceType: 'aws_s3_bucket' } as never, { bucket: 'b' });
    expect(synthesized).not.toHaveResource({ tfResourceType: 'aws_sqs_queue' } as never);
  });
});
