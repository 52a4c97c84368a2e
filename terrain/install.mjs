// `npm run terrain:install`: installs the CDK Terrain packages (cdktn, @cdktn/provider-aws and their
// constructs, about 480 MB) into terrain/node_modules, from terrain/package-lock.json
// (`npm ci --prefix terrain`). Only the cdktn build needs them (docs/cdk-terrain.md): whoever
// switches to CDK Terrain or runs `npm run cdktn:compare`, and the test suite, whose CDK Terrain
// comparison (__tests__/toolchain/cdktn.test.ts) runs this script when they are missing. A plain
// `npm ci` does not install them.
//
//   node terrain/install.mjs                 installs when missing or not the locked versions; else says so
//   node terrain/install.mjs --check         exits 1 (and says what to run) unless installed as locked
//   node terrain/install.mjs --force         reinstalls
//   node terrain/install.mjs --if-selected   installs only when the build uses CDK Terrain
//                                            ($TRACKING_CDK, else "trackingCdk" in cdktf.json, as in
//                                            scripts/build.mjs); silent when there is nothing to do.
//                                            For CI after `npm ci`, and jest's global setup.
//
// Progress goes to stderr. One install at a time per folder (a lock folder, terrain/.install.lock):
// a second caller waits for the first, then finds the packages installed.
// Plain .mjs, no build step and no dependency: it runs before anything is compiled.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const TERRAIN = import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname);
const LOCK = path.join(TERRAIN, '.install.lock');
const COMMAND = 'npm run terrain:install';

const readJson = (file) => {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
};

/** What differs between terrain/package-lock.json and terrain/node_modules; empty when installed as locked. */
export function terrainProblems(terrain = TERRAIN) {
  const lock = readJson(path.join(terrain, 'package-lock.json'));
  if (lock?.packages === undefined) return [`${path.join(terrain, 'package-lock.json')} is missing or unreadable`];
  const problems = [];
  for (const [where, entry] of Object.entries(lock.packages)) {
    if (where === '' || entry.version === undefined) continue;
    const installed = readJson(path.join(terrain, where, 'package.json'));
    if (installed === undefined) problems.push(`${where.replace(/^node_modules\//, '')} is not installed`);
    else if (installed.version !== entry.version) problems.push(`${where.replace(/^node_modules\//, '')} is ${installed.version}, the lockfile says ${entry.version}`);
  }
  return problems;
}

/** "cdktn 0.24.0, @cdktn/provider-aws 25.7.0, constructs 10.7.2": the pinned direct dependencies. */
export function terrainSummary(terrain = TERRAIN) {
  const pkg = readJson(path.join(terrain, 'package.json')) ?? {};
  return Object.entries(pkg.dependencies ?? {}).map(([name, version]) => `${name} ${version}`).join(', ');
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
};

/** Takes the lock folder, waiting while a live process holds it; a dead holder's lock is taken over. */
async function withLock(log, fn) {
  const deadline = Date.now() + 20 * 60_000;
  for (let said = false; ; ) {
    try {
      mkdirSync(LOCK);
      writeFileSync(path.join(LOCK, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const holder = Number(readJson(path.join(LOCK, 'pid')));
      if (Number.isInteger(holder) && holder > 0 && !alive(holder)) {
        rmSync(LOCK, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`terrain: ${LOCK} is still held (process ${holder}) after 20 minutes; remove it if no install is running`);
      if (!said) log(`terrain: another install is running (process ${Number.isNaN(holder) ? '?' : holder}); waiting for it`);
      said = true;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/**
 * Installs the CDK Terrain packages unless they are installed as locked (or `force`). Returns
 * whether it installed. Throws when npm fails.
 */
export async function installTerrain({ force = false, log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  if (!force && terrainProblems().length === 0) return false;
  return withLock(log, () => {
    // Another caller may have installed them while this one waited.
    if (!force && terrainProblems().length === 0) return false;
    log(
      `terrain: installing the CDK Terrain packages (${terrainSummary()}; about 480 MB) into ${path.join(TERRAIN, 'node_modules')} ` +
        'from terrain/package-lock.json with `npm ci --prefix terrain`. Only the cdktn build needs them (docs/cdk-terrain.md); ' +
        `this happens once, and \`${COMMAND}\` does the same.`,
    );
    const started = Date.now();
    const r = spawnSync('npm', ['ci', '--prefix', TERRAIN, '--no-audit', '--no-fund'], {
      stdio: ['ignore', 2, 2],
      shell: process.platform === 'win32',
    });
    if (r.error !== undefined) throw new Error(`terrain: could not run npm: ${r.error.message}`);
    if (r.status !== 0) throw new Error(`terrain: \`npm ci --prefix terrain\` failed (exit ${r.status ?? r.signal}); see its output above`);
    const left = terrainProblems();
    if (left.length > 0) throw new Error(`terrain: after npm ci, ${left.join('; ')}`);
    log(`terrain: installed in ${Math.round((Date.now() - started) / 1000)} s`);
    return true;
  });
}

/** Whether the build uses CDK Terrain: $TRACKING_CDK, else "trackingCdk" in cdktf.json (scripts/build.mjs reads the same). */
export function cdktnSelected(env = process.env, root = path.dirname(TERRAIN)) {
  if (env.TRACKING_CDK !== undefined && env.TRACKING_CDK !== '') return env.TRACKING_CDK === 'cdktn';
  return readJson(path.join(root, 'cdktf.json'))?.trackingCdk === 'cdktn';
}

const isMain = process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.join(TERRAIN, 'install.mjs');
if (isMain) {
  const args = process.argv.slice(2);
  const modes = ['--check', '--force', '--if-selected'];
  if (args.length > 1 || args.some((a) => !modes.includes(a))) {
    console.error(`terrain: unknown or conflicting argument(s) ${args.join(' ')}; use one of: ${modes.join(' | ')}`);
    process.exit(2);
  }
  if (args[0] === '--if-selected') {
    if (cdktnSelected()) {
      try {
        await installTerrain();
      } catch (err) {
        console.error(err.message);
        process.exit(1);
      }
    }
    process.exit(0);
  }
  if (args.includes('--check')) {
    const problems = terrainProblems();
    if (problems.length === 0) console.error(`terrain: installed as locked (${terrainSummary()})`);
    else console.error(`terrain: the CDK Terrain packages are not installed as locked: ${problems.join('; ')}. Run \`${COMMAND}\`.`);
    process.exit(problems.length === 0 ? 0 : 1);
  }
  try {
    const installed = await installTerrain({ force: args.includes('--force') });
    if (!installed) console.error(`terrain: already installed as locked (${terrainSummary()}); \`${COMMAND} -- --force\` reinstalls`);
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}
