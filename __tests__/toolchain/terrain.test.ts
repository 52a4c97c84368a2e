/**
 * Installing CDK Terrain only where it is used: `npm ci` leaves terrain/ out
 * (__tests__/toolchain/node.test.ts checks the install hooks), `npm run terrain:install`
 * (terrain/install.mjs) installs it, the test suite runs that script on demand
 * (__tests__/toolchain/cdktn.test.ts), and the cdktn build names the command when the packages
 * are missing.
 *
 * The install script runs here on a scratch copy of terrain/ with a stand-in `npm` first on PATH
 * (it writes the locked packages' package.json files, as `npm ci --prefix terrain` would), so
 * that its checks, its lock and its messages are tested without downloading 480 MB. The real
 * `npm ci --prefix terrain` runs in CI, where a fresh clone has no terrain/node_modules.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const LOCK = JSON.parse(readFileSync(path.join(ROOT, 'terrain', 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
let work: string;

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'toolchain-terrain-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A scratch terrain/ (manifest, lockfile, install.mjs) and a stand-in npm that logs its calls. */
function scratch(name: string): { terrain: string; env: NodeJS.ProcessEnv; calls: () => string[] } {
  const terrain = path.join(work, name, 'terrain');
  mkdirSync(terrain, { recursive: true });
  for (const f of ['package.json', 'package-lock.json', 'install.mjs']) copyFileSync(path.join(ROOT, 'terrain', f), path.join(terrain, f));
  const bin = path.join(work, name, 'bin');
  mkdirSync(bin);
  const log = path.join(work, name, 'npm-calls.log');
  const fake = path.join(bin, 'fake-npm.js');
  writeFileSync(
    fake,
    `const fs = require('node:fs'), path = require('node:path');
fs.appendFileSync(${JSON.stringify(log)}, process.argv.slice(2).join(' ') + '\\n');
const prefix = process.argv[process.argv.indexOf('--prefix') + 1];
const lock = JSON.parse(fs.readFileSync(path.join(prefix, 'package-lock.json'), 'utf8'));
setTimeout(() => {
  for (const [where, entry] of Object.entries(lock.packages)) {
    if (where === '' || !entry.version) continue;
    fs.mkdirSync(path.join(prefix, where), { recursive: true });
    fs.writeFileSync(path.join(prefix, where, 'package.json'), JSON.stringify({ version: entry.version }));
  }
  console.error('fake npm: added ' + (Object.keys(lock.packages).length - 1) + ' packages');
}, 1500);
`,
  );
  writeFileSync(path.join(bin, 'npm'), `#!/bin/sh\nexec "${process.execPath}" "${fake}" "$@"\n`);
  chmodSync(path.join(bin, 'npm'), 0o755);
  return {
    terrain,
    env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` },
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []),
  };
}

function run(terrain: string, env: NodeJS.ProcessEnv, args: string[] = []): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(terrain, 'install.mjs'), ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('terrain/install.mjs (npm run terrain:install)', () => {
  it('installs the locked packages with `npm ci --prefix terrain`, saying what and why, then is a no-op', async () => {
    // Prepare
    const s = scratch('install');
    expect((await run(s.terrain, s.env, ['--check'])).code).toBe(1);

    // Act
    const first = await run(s.terrain, s.env);
    const second = await run(s.terrain, s.env);

    // Assess
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/terrain: installing the CDK Terrain packages \(@cdktn\/provider-aws 25\.\d+\.\d+, cdktn 0\.24\.0, constructs 10\.\d+\.\d+; about 480 MB\)/);
    expect(first.stderr).toContain('`npm run terrain:install` does the same');
    expect(first.stderr).toMatch(/fake npm: added \d+ packages\nterrain: installed in \d+ s/);
    expect(s.calls()).toEqual([`ci --prefix ${s.terrain} --no-audit --no-fund`]);
    expect(second).toEqual({ code: 0, stderr: expect.stringMatching(/^terrain: already installed as locked/) });
    expect((await run(s.terrain, s.env, ['--check'])).code).toBe(0);
    expect(existsSync(path.join(s.terrain, '.install.lock'))).toBe(false);
  }, 60_000);

  it('reinstalls when an installed version is not the locked one', async () => {
    // Prepare: installed, then one package at another version
    const s = scratch('stale');
    await run(s.terrain, s.env);
    writeFileSync(path.join(s.terrain, 'node_modules', 'cdktn', 'package.json'), JSON.stringify({ version: '0.23.0' }));

    // Act
    const check = await run(s.terrain, s.env, ['--check']);
    const again = await run(s.terrain, s.env);

    // Assess
    expect(check.code).toBe(1);
    expect(check.stderr).toContain(`cdktn is 0.23.0, the lockfile says ${LOCK.packages['node_modules/cdktn']!.version}. Run \`npm run terrain:install\`.`);
    expect(again.code).toBe(0);
    expect(s.calls()).toHaveLength(2);
  }, 60_000);

  it('runs one install at a time: a second caller waits for the first and installs nothing', async () => {
    const s = scratch('concurrent');
    const [a, b] = await Promise.all([run(s.terrain, s.env), run(s.terrain, s.env)]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(s.calls()).toHaveLength(1);
    expect(`${a.stderr}${b.stderr}`).toContain('another install is running');
    expect(`${a.stderr}${b.stderr}`).toContain('already installed as locked');
  }, 60_000);

  it('takes over the lock of an install that died', async () => {
    // Prepare: a lock whose process no longer exists
    const s = scratch('stale-lock');
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim();
    mkdirSync(path.join(s.terrain, '.install.lock'));
    writeFileSync(path.join(s.terrain, '.install.lock', 'pid'), dead);

    // Act
    const r = await run(s.terrain, s.env);

    // Assess
    expect(r.code).toBe(0);
    expect(s.calls()).toHaveLength(1);
  }, 60_000);

  it('with --if-selected, installs only when the build uses CDK Terrain (TRACKING_CDK, else cdktf.json), silently otherwise', async () => {
    // Prepare
    const s = scratch('if-selected');
    const cdktfJson = path.join(s.terrain, '..', 'cdktf.json');
    writeFileSync(cdktfJson, JSON.stringify({ app: 'node dist/main.js' }));
    const env = (cdk?: string): NodeJS.ProcessEnv => {
      const e = { ...s.env };
      if (cdk === undefined) delete e.TRACKING_CDK;
      else e.TRACKING_CDK = cdk;
      return e;
    };

    // Act and assess: cdktf by default, by the variable, and by the variable over the file
    expect(await run(s.terrain, env(), ['--if-selected'])).toEqual({ code: 0, stderr: '' });
    expect(await run(s.terrain, env('cdktf'), ['--if-selected'])).toEqual({ code: 0, stderr: '' });
    writeFileSync(cdktfJson, JSON.stringify({ app: 'node dist/main.js', trackingCdk: 'cdktn' }));
    expect(await run(s.terrain, env('cdktf'), ['--if-selected'])).toEqual({ code: 0, stderr: '' });
    expect(s.calls()).toEqual([]);
    // cdktn in cdktf.json: installs, then has nothing to do
    const installing = await run(s.terrain, env(), ['--if-selected']);
    expect(installing.code).toBe(0);
    expect(installing.stderr).toMatch(/^terrain: installing the CDK Terrain packages/);
    expect(await run(s.terrain, env(), ['--if-selected'])).toEqual({ code: 0, stderr: '' });
    expect(s.calls()).toHaveLength(1);
  }, 60_000);

  it('refuses unknown and conflicting arguments with exit 2', async () => {
    const s = scratch('usage');
    for (const args of [['--chek'], ['--check', '--force']]) {
      const r = await run(s.terrain, s.env, args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('use one of: --check | --force | --if-selected');
    }
    expect(s.calls()).toEqual([]);
  });

  it('fails, with npm\'s exit, when npm ci fails', async () => {
    const s = scratch('failing');
    writeFileSync(path.join(s.terrain, '..', 'bin', 'npm'), '#!/bin/sh\necho "npm error network" >&2\nexit 7\n');
    const r = await run(s.terrain, s.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/npm error network\nterrain: `npm ci --prefix terrain` failed \(exit 7\)/);
    expect(existsSync(path.join(s.terrain, '.install.lock'))).toBe(false);
  }, 60_000);
});

describe('the cdktn build without the CDK Terrain packages', () => {
  it('stops with the command that installs them', () => {
    // Prepare: a project with the build script and no terrain/node_modules
    const project = path.join(work, 'project');
    mkdirSync(path.join(project, 'scripts'), { recursive: true });
    mkdirSync(path.join(project, 'terrain'));
    copyFileSync(path.join(ROOT, 'scripts', 'build.mjs'), path.join(project, 'scripts', 'build.mjs'));
    copyFileSync(path.join(ROOT, 'terrain', 'package.json'), path.join(project, 'terrain', 'package.json'));
    writeFileSync(path.join(project, 'cdktf.json'), '{}');
    writeFileSync(path.join(project, 'main.ts'), '');
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(project, 'node_modules'), 'dir');

    // Act
    const r = spawnSync(process.execPath, [path.join(project, 'scripts', 'build.mjs'), 'app', '--cdk=cdktn'], { cwd: project, encoding: 'utf8' });

    // Assess
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('build: the cdktn build needs the CDK Terrain packages in terrain/node_modules, and cdktn is not there.');
    expect(r.stderr).toContain('Install them with `npm run terrain:install`');
    expect(existsSync(path.join(project, 'dist'))).toBe(false);
  });
});
