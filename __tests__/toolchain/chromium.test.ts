/**
 * The Chromium lookup (cli/doctor/chromium.ts) that the browser tests and `tracking doctor` use:
 * its order, its answers when nothing fits, and the pinned npm Chromium actually unpacked and
 * driven by playwright-core, whatever else the machine has installed (so CI proves the
 * fresh-machine path even where a system Chromium exists).
 *
 * Fake browsers are small shell scripts that print a version, as `chromium --version` does.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, describeChromiumLookup, findChromium, NPM_CHROMIUM_PACKAGE, type ChromiumLookup } from '../../cli/doctor/chromium';

const ROOT = path.join(__dirname, '..', '..');
const LONG = 120_000;
let work: string;

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'toolchain-chromium-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A fake browser: prints `said` on --version and exits with `code`. */
function fakeBrowser(name: string, said: string, code = 0): string {
  const file = path.join(work, name);
  writeFileSync(file, `#!/bin/sh\necho '${said}'\nexit ${code}\n`);
  chmodSync(file, 0o755);
  return file;
}

const found = (lookup: ChromiumLookup) => {
  if (!lookup.ok) throw new Error(describeChromiumLookup(lookup));
  return lookup;
};

describe('the pinned npm Chromium', () => {
  it('is an exact devDependency whose package needs no install script (npm 11 skips unapproved ones)', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string>; dependencies: Record<string, string> };
    expect(pkg.devDependencies[NPM_CHROMIUM_PACKAGE]).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.dependencies[NPM_CHROMIUM_PACKAGE]).toBeUndefined();
    const installed = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', NPM_CHROMIUM_PACKAGE, 'package.json'), 'utf8')) as { version: string; scripts?: Record<string, string> };
    expect(installed.version).toBe(pkg.devDependencies[NPM_CHROMIUM_PACKAGE]);
    for (const hook of ['preinstall', 'install', 'postinstall']) expect(installed.scripts?.[hook]).toBeUndefined();
  });

  it('is unpacked once into an empty cache by two lookups at once, and playwright-core drives it', async () => {
    // Prepare: no TRACKING_CHROMIUM, no system browser anywhere, an empty cache
    const cacheDir = path.join(work, 'cache');
    const options = { env: { PATH: '' }, systemPaths: [], cacheDir, platform: 'linux', arch: 'x64' } as const;

    // Act
    const [a, b] = (await Promise.all([findChromium(options), findChromium(options)])).map(found);

    // Assess
    expect(a!.source).toBe('npm');
    expect(a!.executablePath).toBe(path.join(cacheDir, 'chromium'));
    expect(b!.executablePath).toBe(a!.executablePath);
    const major = (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', NPM_CHROMIUM_PACKAGE, 'package.json'), 'utf8')) as { version: string }).version.split('.')[0];
    expect(a!.version).toMatch(new RegExp(`^Chromium ${major}\\.`));
    const browser = await chromium.launch({ executablePath: a!.executablePath, headless: true, args: [...a!.args] });
    try {
      const page = await browser.newPage();
      await page.setContent('<p id="p">rendered</p>');
      expect(await page.textContent('#p')).toBe('rendered');
      expect(browser.version()).toBe(/\d+\.\d+\.\d+\.\d+/.exec(a!.version)![0]);
    } finally {
      await browser.close();
    }
  }, LONG);
});

describe('the lookup order', () => {
  it('takes TRACKING_CHROMIUM first, before the npm and the system browsers', async () => {
    const mine = fakeBrowser('mine', 'Chromium 999.0.0.1');
    const system = fakeBrowser('system', 'Chromium 998.0.0.1');
    const lookup = found(await findChromium({ env: { TRACKING_CHROMIUM: mine, PATH: '' }, systemPaths: [system], cacheDir: path.join(work, 'cache') }));
    expect([lookup.source, lookup.executablePath, lookup.version]).toEqual(['TRACKING_CHROMIUM', mine, 'Chromium 999.0.0.1']);
  });

  it('fails on a TRACKING_CHROMIUM that does not run, naming it, instead of falling back', async () => {
    const broken = fakeBrowser('broken', 'snap is not installed', 1);
    const system = fakeBrowser('system2', 'Chromium 998.0.0.1');
    const lookup = await findChromium({ env: { TRACKING_CHROMIUM: broken, PATH: '' }, systemPaths: [system] });
    expect(lookup.ok).toBe(false);
    expect(describeChromiumLookup(lookup)).toContain(`TRACKING_CHROMIUM is set to ${broken}`);
    expect(lookup.tried).toEqual([{ source: 'TRACKING_CHROMIUM', path: broken, problem: expect.stringContaining('snap is not installed') }]);
  });

  it('takes the npm Chromium before a system one on Linux x64', async () => {
    const system = fakeBrowser('system3', 'Chromium 998.0.0.1');
    const lookup = found(await findChromium({ env: { PATH: work }, systemPaths: [system], cacheDir: path.join(work, 'cache'), platform: 'linux', arch: 'x64' }));
    expect(lookup.source).toBe('npm');
  }, LONG);

  it('uses a system browser where the npm build does not run, passing over one that does not answer --version', async () => {
    const shim = fakeBrowser('chromium-browser', 'Command not found: install the chromium snap', 1);
    const chrome = fakeBrowser('chrome', 'Google Chrome 997.0.0.1');
    const lookup = found(await findChromium({ env: { PATH: '' }, systemPaths: [path.join(work, 'absent'), shim, chrome], platform: 'darwin', arch: 'arm64' }));
    expect([lookup.source, lookup.executablePath, lookup.version]).toEqual(['system', chrome, 'Google Chrome 997.0.0.1']);
    expect(lookup.tried.map((t) => [t.source, t.problem === undefined ? 'used' : t.problem.split(' ')[0]])).toEqual([
      ['npm', 'its'],
      ['system', 'not'],
      ['system', '`chromium-browser'],
      ['system', 'used'],
    ]);
    expect(describeChromiumLookup(lookup)).toMatch(/npm .*built for Linux x64, not darwin-arm64/);
  });

  it('finds a browser on PATH by its usual names', async () => {
    const dir = mkdtempSync(path.join(work, 'bin-'));
    const file = path.join(dir, 'google-chrome');
    writeFileSync(file, "#!/bin/sh\necho 'Google Chrome 996.0.0.1'\n");
    chmodSync(file, 0o755);
    const lookup = found(await findChromium({ env: { PATH: dir }, systemPaths: [], npmPackageDir: null }));
    expect([lookup.source, lookup.executablePath]).toEqual(['system', file]);
  });

  it('says how to get one when there is none', async () => {
    const notExecutable = path.join(work, 'plain-file');
    writeFileSync(notExecutable, 'not a program');
    const linux = await findChromium({ env: { PATH: '' }, systemPaths: [notExecutable], npmPackageDir: null, platform: 'linux', arch: 'x64' });
    expect(linux.ok).toBe(false);
    expect(linux.tried).toEqual([
      { source: 'npm', path: NPM_CHROMIUM_PACKAGE, problem: 'not installed (`npm ci` installs it)' },
      { source: 'system', path: notExecutable, problem: 'not executable' },
    ]);
    expect(describeChromiumLookup(linux)).toMatch(/none found\. Run `npm ci`.*TRACKING_CHROMIUM/s);
    const mac = await findChromium({ env: { PATH: '' }, systemPaths: [], platform: 'darwin', arch: 'arm64' });
    expect(describeChromiumLookup(mac)).toMatch(/on darwin-arm64 install Google Chrome or Chromium/);
  });
});

describe('the launch arguments', () => {
  it('run without a sandbox (CI runs as root) and without the npm package\'s Lambda flags', () => {
    expect(CHROMIUM_ARGS).toContain('--no-sandbox');
    for (const lambdaOnly of ['--single-process', '--no-zygote', '--disable-web-security']) expect(CHROMIUM_ARGS).not.toContain(lambdaOnly);
  });
});
