/**
 * Finds a Chromium that playwright-core can drive: for the browser tests
 * (__tests__/browser/e2e.test.ts) and for `tracking doctor`, which reports the same answer.
 *
 * Lookup order (the first that answers `--version` wins):
 *   1. $TRACKING_CHROMIUM: an explicit path. When it is set and does not work, that is the answer
 *      (a failure naming the path); the lookup does not fall back to another browser.
 *   2. The pinned npm Chromium, `@sparticuz/chromium` (a devDependency, so `npm ci` installs it):
 *      a headless Chromium for Linux x64 shipped brotli-compressed in the package. It is unpacked
 *      once per version into node_modules/.cache/tracking-chromium/<version>/ (written to a
 *      temporary name, then renamed, so parallel test workers never run a half-written file).
 *      First because it is the same browser on every Linux x64 machine, CI included, whatever
 *      the machine has installed.
 *   3. A system Chrome or Chromium (PATH, then the usual install paths): for the machines the npm
 *      build does not run on (macOS, Linux arm64, Windows).
 *
 * The package's own `executablePath()` is not used: it unpacks into the shared os.tmpdir()/chromium
 * and reuses any file found there, of whatever version, and two processes unpacking at once can
 * run a partly written binary.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';

/** The npm package that ships the pinned Chromium. */
export const NPM_CHROMIUM_PACKAGE = '@sparticuz/chromium';

/**
 * Launch arguments for the browser tests, with either browser. playwright-core adds its own
 * defaults (headless mode, no first-run UI, ...); these are what our tests need on top:
 * - `--no-sandbox`: Chromium refuses to start as root with its sandbox (CI containers run as
 *   root), and the npm build has no setuid sandbox helper. The tests load only pages the tests
 *   themselves serve on 127.0.0.1.
 * - `--disable-gpu`: no GPU in CI; the npm build then needs none of its SwiftShader libraries.
 * - `--disable-quic`, `--disable-background-networking`, `--disable-component-update`,
 *   `--disable-sync`: no traffic to anything but the test servers.
 * The npm package's own defaults (`--single-process`, `--no-zygote`, `--disable-web-security`, ...)
 * are for AWS Lambda; `--disable-web-security` would switch off the same-origin and CORS checks the
 * tracker meets in real browsers.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export type ChromiumSource = 'TRACKING_CHROMIUM' | 'npm' | 'system';

/** One place the lookup tried, and why it was not used (`problem`), if it was not. */
export interface ChromiumCandidate {
  readonly source: ChromiumSource;
  readonly path: string;
  readonly problem?: string;
}

export interface ChromiumFound {
  readonly ok: true;
  readonly executablePath: string;
  readonly source: ChromiumSource;
  /** What `--version` printed, e.g. "Chromium 153.0.8010.0". */
  readonly version: string;
  readonly args: readonly string[];
  readonly tried: readonly ChromiumCandidate[];
}

export interface ChromiumMissing {
  readonly ok: false;
  readonly tried: readonly ChromiumCandidate[];
  /** What to do, in a sentence or two. */
  readonly fix: string;
}

export type ChromiumLookup = ChromiumFound | ChromiumMissing;

export interface FindChromiumOptions {
  /** Default: process.env (reads TRACKING_CHROMIUM and PATH). */
  readonly env?: NodeJS.ProcessEnv;
  /** Default: process.platform / process.arch. */
  readonly platform?: NodeJS.Platform;
  readonly arch?: string;
  /** The installed npm package's folder; `null`: as if it were not installed. Default: resolved from here. */
  readonly npmPackageDir?: string | null;
  /** Where the npm Chromium is unpacked. Default: node_modules/.cache/tracking-chromium/<version>. */
  readonly cacheDir?: string;
  /** Absolute paths tried after PATH. Default: the usual install paths of the platform. */
  readonly systemPaths?: readonly string[];
  /** Progress lines (unpacking takes a few seconds the first time). */
  readonly onProgress?: (line: string) => void;
}

/** Executable names looked up on PATH, in this order. */
const SYSTEM_NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome', 'chrome'];

function defaultSystemPaths(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string[] {
  if (platform === 'darwin') {
    return ['/Applications/Chromium.app/Contents/MacOS/Chromium', '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'];
  }
  if (platform === 'win32') {
    const roots = [env.PROGRAMFILES, env['PROGRAMFILES(X86)'], env.LOCALAPPDATA].filter((r): r is string => r !== undefined);
    return roots.map((r) => path.join(r, 'Google', 'Chrome', 'Application', 'chrome.exe'));
  }
  return ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome-stable', '/usr/bin/google-chrome', '/opt/google/chrome/chrome'];
}

/** Why `file` cannot be run, or undefined when it is an executable file. */
function notExecutable(file: string): string | undefined {
  try {
    if (!statSync(file).isFile()) return 'not a file';
    accessSync(file, constants.X_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'not executable' : `cannot be read (${code ?? String(err)})`;
  }
}

/** Runs `<file> --version`; the version line, or the problem. */
function versionOf(file: string): Promise<{ version: string } | { problem: string }> {
  return new Promise((resolve) => {
    execFile(file, ['--version'], { timeout: 30_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      const line = stdout.split('\n').find((l) => /(Chromium|Chrome) .*\d+\.\d+/.test(l))?.trim();
      if (err === null && line !== undefined) resolve({ version: line });
      else {
        const said = `${stderr}${stdout}`.trim().split('\n').slice(-3).join(' ').slice(0, 300);
        resolve({ problem: `\`${path.basename(file)} --version\` ${err === null ? 'printed no Chrome/Chromium version' : `failed (${err.message.split('\n')[0]})`}${said ? `: ${said}` : ''}` });
      }
    });
  });
}

/** The folder of the installed npm package, or undefined. */
function resolveNpmPackage(): string | undefined {
  try {
    // build/index.js -> the package folder
    return path.dirname(path.dirname(require.resolve(NPM_CHROMIUM_PACKAGE)));
  } catch {
    return undefined;
  }
}

/** node_modules/.cache/tracking-chromium/<version>, next to the package (the usual place for tool caches). */
function defaultCacheDir(packageDir: string, version: string): string {
  const parts = packageDir.split(path.sep);
  const at = parts.lastIndexOf('node_modules');
  const base = at >= 0 ? parts.slice(0, at + 1).join(path.sep) : path.join(tmpdir(), `tracking-chromium-${userInfo().uid}`);
  return path.join(base, '.cache', 'tracking-chromium', version);
}

/** Unpacks the npm Chromium once: to a temporary name in the cache folder, then renamed into place. */
async function unpackNpmChromium(packageDir: string, cacheDir: string, onProgress?: (line: string) => void): Promise<string> {
  const target = path.join(cacheDir, 'chromium');
  if (existsSync(target)) return target;
  const source = path.join(packageDir, 'bin', 'chromium.br');
  if (!existsSync(source)) throw new Error(`${source} is missing (the package ships it for Linux x64; reinstall with \`npm ci\`)`);
  onProgress?.(`chromium: unpacking ${NPM_CHROMIUM_PACKAGE} into ${cacheDir} (once per version, a few seconds)`);
  mkdirSync(cacheDir, { recursive: true });
  const partial = `${target}.${process.pid}.${Date.now()}.part`;
  try {
    await pipeline(createReadStream(source), createBrotliDecompress(), createWriteStream(partial, { mode: 0o755 }));
    renameSync(partial, target);
  } finally {
    rmSync(partial, { force: true });
  }
  return target;
}

/** The fix to print when no Chromium was found. */
function fixFor(platform: NodeJS.Platform, arch: string): string {
  const npm = platform === 'linux' && arch === 'x64'
    ? `Run \`npm ci\`: it installs ${NPM_CHROMIUM_PACKAGE} (a headless Chromium for Linux x64; it needs the system's NSS libraries, Debian/Ubuntu package \`libnss3\`). `
    : `The npm Chromium (${NPM_CHROMIUM_PACKAGE}) runs on Linux x64 only; on ${platform}-${arch} install Google Chrome or Chromium. `;
  return `${npm}Or set TRACKING_CHROMIUM to the path of a Chrome or Chromium executable.`;
}

/**
 * Finds the Chromium to use; never throws. `tried` lists every place looked at, with the reason
 * each one before the answer was passed over.
 */
export async function findChromium(options: FindChromiumOptions = {}): Promise<ChromiumLookup> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const arch = options.arch ?? process.arch;
  const tried: ChromiumCandidate[] = [];
  const found = (source: ChromiumSource, executablePath: string, version: string): ChromiumFound => {
    tried.push({ source, path: executablePath });
    return { ok: true, executablePath, source, version, args: CHROMIUM_ARGS, tried };
  };
  const check = async (source: ChromiumSource, file: string): Promise<ChromiumFound | undefined> => {
    const problem = notExecutable(file);
    if (problem !== undefined) {
      tried.push({ source, path: file, problem });
      return undefined;
    }
    const v = await versionOf(file);
    if ('problem' in v) {
      tried.push({ source, path: file, problem: v.problem });
      return undefined;
    }
    return found(source, file, v.version);
  };

  // 1. An explicit path: it works, or that is the answer.
  const explicit = env.TRACKING_CHROMIUM;
  if (explicit !== undefined && explicit !== '') {
    const hit = await check('TRACKING_CHROMIUM', path.resolve(explicit));
    if (hit !== undefined) return hit;
    return { ok: false, tried, fix: `TRACKING_CHROMIUM is set to ${explicit}, which does not run as a Chrome or Chromium; point it at one, or unset it to use the npm Chromium or a system one.` };
  }

  // 2. The pinned npm Chromium, where it runs.
  const packageDir = options.npmPackageDir === null ? undefined : (options.npmPackageDir ?? resolveNpmPackage());
  if (packageDir === undefined) {
    tried.push({ source: 'npm', path: NPM_CHROMIUM_PACKAGE, problem: 'not installed (`npm ci` installs it)' });
  } else if (platform !== 'linux' || arch !== 'x64') {
    tried.push({ source: 'npm', path: packageDir, problem: `its Chromium is built for Linux x64, not ${platform}-${arch}` });
  } else {
    let version = 'unknown';
    try {
      version = (JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
      const file = await unpackNpmChromium(packageDir, options.cacheDir ?? defaultCacheDir(packageDir, version), options.onProgress);
      const hit = await check('npm', file);
      if (hit !== undefined) return hit;
    } catch (err) {
      tried.push({ source: 'npm', path: packageDir, problem: `could not be unpacked: ${(err as Error).message}` });
    }
  }

  // 3. A system Chrome or Chromium.
  const seen = new Set<string>();
  const onPath = (env.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => dir !== '' && !dir.split(path.sep).includes('node_modules'))
    .flatMap((dir) => SYSTEM_NAMES.map((name) => path.join(dir, platform === 'win32' ? `${name}.exe` : name)))
    .filter((file) => existsSync(file));
  for (const file of [...onPath, ...(options.systemPaths ?? defaultSystemPaths(platform, env))]) {
    if (seen.has(file)) continue;
    seen.add(file);
    const hit = await check('system', file);
    if (hit !== undefined) return hit;
  }
  return { ok: false, tried, fix: fixFor(platform, arch) };
}

/** A readable account of a lookup: the answer, then what was passed over and why. */
export function describeChromiumLookup(lookup: ChromiumLookup): string {
  const passed = lookup.tried.filter((t) => t.problem !== undefined).map((t) => `  - ${t.source} ${t.path}: ${t.problem}`);
  const head = lookup.ok
    ? `Chromium: ${lookup.version} at ${lookup.executablePath} (${lookup.source === 'npm' ? `the npm package ${NPM_CHROMIUM_PACKAGE}` : lookup.source === 'system' ? 'installed on this machine' : 'TRACKING_CHROMIUM'})`
    : `Chromium: none found. ${lookup.fix}`;
  return [head, ...(passed.length > 0 ? ['  passed over:', ...passed] : [])].join('\n');
}
