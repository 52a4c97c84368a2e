/**
 * The packages as a producer in another repository gets them: `npm pack` of both workspaces (which
 * runs each package's build), installed from the tarballs into a scratch project under the
 * system's temporary folder, with the catalog module the built `tracking types` command writes.
 * Nothing in the scratch project leads back into this repository: no symlink, no `file:`
 * dependency on it, no NODE_PATH, no npm_* variables of the npm that runs the tests; the AWS SDK
 * clients come from the npm registry (through npm's own cache), pinned to the versions of this
 * repository's lockfile so that the test is reproducible.
 *
 * - TypeScript (strict, nodenext and node10 resolution): good calls compile against the installed
 *   declarations and the generated module; each mistake (event type, field, value, environment)
 *   is a compile error, and a deliberately wrong file fails to compile.
 * - A plain Node ESM script and a CommonJS one send events to a Firehose stand-in and see them
 *   delivered; an event that breaks its contract is reported (`validate: 'report'`) or refused
 *   (`'throw'`), never sent.
 * - The browser package, imported in Node (which has fetch), sends through `collector:dev` (the
 *   collector's real handler).
 */
import { execFileSync, spawn } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { bundleBrowserTracker, MAX_GZIP_BYTES } from '../../client/browser/bundle';
import { loadConfig } from '../../config/loader';
import type { CatalogEventType } from '../../modules/catalog-content';
import { startCollectorDev, type RunningCollectorDev } from '../../scripts/collector-dev';
import { FirehoseStandIn, type StartedStandIn } from '../helpers/firehose-standin';

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURE = path.join(__dirname, 'fixtures', 'tracking.yaml');
const WRITE_KEY = 'tpk_PACKAGES_TEST_KEY_000000000000000000000000000';
const LONG = 300_000;

/** The environment of a child process, without anything pointing back at this repository's npm run. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) || k === 'INIT_CWD' || k === 'NODE_PATH' || k === 'NODE_OPTIONS' || k === 'TS_NODE_PROJECT') continue;
    env[k] = v;
  }
  // The Node that runs the tests (the project's Node 22) comes first, and npm runs with it.
  env.PATH = `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`;
  return env;
}

/** Versions of this repository's lockfile. */
function lockedVersion(name: string): string {
  const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
  const v = lock.packages[`node_modules/${name}`]?.version;
  if (v === undefined) throw new Error(`${name} is not in package-lock.json`);
  return v;
}

function npm(args: readonly string[], cwd: string): string {
  return execFileSync('npm', [...args], { cwd, env: cleanEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: LONG });
}

interface Ran {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command in the scratch project; never rejects (the test reads status and output).
 * Asynchronous: the stand-ins it talks to answer from this process's event loop.
 */
function run(cwd: string, command: string, args: readonly string[], timeoutMs = 120_000): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(command, [...args], { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** Files of a .tgz (npm's tarballs are ustar): their names. */
function tarEntries(file: string): Map<string, Buffer> {
  const data = gunzipSync(readFileSync(file));
  const out = new Map<string, Buffer>();
  for (let at = 0; at + 512 <= data.length; ) {
    const header = data.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const name = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const prefix = header.subarray(345, 500).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(header.subarray(124, 136).toString('utf8').replace(/\0.*$/s, '').trim() || '0', 8);
    out.set(prefix !== '' ? `${prefix}/${name}` : name, data.subarray(at + 512, at + 512 + size));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

/** Every symlink under `dir`, with its target. */
function symlinks(dir: string): { link: string; target: string }[] {
  const out: { link: string; target: string }[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isSymbolicLink()) out.push({ link: p, target: realpathSync(p) });
      else if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

let scratch: string;
let tarballs: { node: string; browser: string };
let standIn: FirehoseStandIn;
let started: StartedStandIn;
let dev: RunningCollectorDev;

beforeAll(async () => {
  // Prepare: the tarballs, the catalog module, the scratch project.
  scratch = realpathSync(mkdtempSync(path.join(tmpdir(), 'tracking-packages-')));
  const vendor = path.join(scratch, 'vendor');
  mkdirSync(vendor);
  const packed = JSON.parse(npm(['pack', '-w', 'client/node', '-w', 'client/browser', '--pack-destination', vendor, '--json'], ROOT)) as { name: string; filename: string }[];
  const file = (name: string): string => path.join(vendor, packed.find((p) => p.name === name)!.filename);
  tarballs = { node: file('@tracking-pipeline/node-tracker'), browser: file('@tracking-pipeline/browser-tracker') };
  execFileSync(process.execPath, [path.join(ROOT, 'dist', 'cli', 'types', 'main.js'), '--config', FIXTURE, '--out', path.join(scratch, 'tracking')], { cwd: ROOT, stdio: 'pipe' });
  writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'producer', version: '1.0.0', private: true, type: 'module' }, null, 2));
  const pinned = ['@aws-sdk/client-firehose', '@aws-sdk/client-kinesis', '@smithy/node-http-handler', 'typescript', '@types/node'].map((n) => `${n}@${lockedVersion(n)}`);
  npm(['install', '--prefer-offline', '--no-audit', '--no-fund', '--save-exact', `./${path.relative(scratch, tarballs.node)}`, `./${path.relative(scratch, tarballs.browser)}`, ...pinned], scratch);

  standIn = new FirehoseStandIn();
  started = await standIn.start();
  const env = loadConfig(FIXTURE).environments.find((e) => e.name === 'dev')!;
  const eventTypes: CatalogEventType[] = env.eventTypes.map((t) => ({ key: t.key, deliveryStreamName: t.deliveryStreamName, ...(t.contract !== undefined ? { contract: t.contract } : {}) }));
  dev = await startCollectorDev({
    project: 'shop',
    environment: 'dev',
    eventTypes,
    applications: [{ name: 'web-shop', keys: [WRITE_KEY] }],
    ...(env.collector !== undefined ? { spec: { destination: env.collector.destination, limits: env.collector.limits } } : {}),
  });
}, LONG);

afterAll(async () => {
  await started?.close();
  await dev?.close();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

describe('the packed tarballs', () => {
  it('hold the build, the README, the license and package.json, nothing else', () => {
    // Act
    const node = tarEntries(tarballs.node);
    const browser = tarEntries(tarballs.browser);

    // Assess
    expect([...node.keys()].sort()).toEqual(['package/LICENSE', 'package/README.md', 'package/dist/index.cjs', 'package/dist/index.d.cts', 'package/dist/index.d.mts', 'package/dist/index.mjs', 'package/package.json']);
    expect([...browser.keys()].sort()).toEqual(['package/LICENSE', 'package/README.md', 'package/dist/index.d.ts', 'package/dist/index.js', 'package/dist/tracker.min.js', 'package/package.json']);
    expect(node.get('package/LICENSE')!.toString()).toMatch(/Apache License\s+Version 2\.0/);
    expect(node.get('package/LICENSE')!.equals(readFileSync(path.join(ROOT, 'LICENSE')))).toBe(true);
    expect(browser.get('package/LICENSE')!.equals(readFileSync(path.join(ROOT, 'LICENSE')))).toBe(true);
  });

  it('declare their dependencies: the AWS SDK clients for Node, none for the browser', () => {
    // Act
    const node = JSON.parse(tarEntries(tarballs.node).get('package/package.json')!.toString()) as Record<string, unknown>;
    const browser = JSON.parse(tarEntries(tarballs.browser).get('package/package.json')!.toString()) as Record<string, unknown>;

    // Assess
    expect(Object.keys(node.dependencies as object).sort()).toEqual(['@aws-sdk/client-firehose', '@aws-sdk/client-kinesis', '@smithy/node-http-handler']);
    for (const range of Object.values(node.dependencies as Record<string, string>)) expect(range).toMatch(/^\^\d+\.\d+\.\d+$/);
    expect(browser.dependencies).toBeUndefined();
    for (const p of [node, browser]) {
      expect(p).toMatchObject({ license: 'Apache-2.0', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
      expect(p.engines).toEqual({ node: expect.stringMatching(/^>=\d+/) });
      expect(p.private).toBeUndefined();
    }
  });

  it('declarations import nothing but the package dependencies', () => {
    // Act
    const imports = (text: string): string[] => [...text.matchAll(/(?:from|import)\s*['"]([^'"]+)['"]|import\(['"]([^'"]+)['"]\)|reference\s+(?:path|types)="([^"]+)"/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
    const node = tarEntries(tarballs.node);
    const browser = tarEntries(tarballs.browser);

    // Assess
    expect(new Set(imports(node.get('package/dist/index.d.cts')!.toString()))).toEqual(new Set(['@aws-sdk/client-firehose', '@aws-sdk/client-kinesis']));
    expect(node.get('package/dist/index.d.mts')!.equals(node.get('package/dist/index.d.cts')!)).toBe(true);
    expect(imports(browser.get('package/dist/index.d.ts')!.toString())).toEqual([]);
  });

  it(`ship the browser tracker the size test measures: at most ${MAX_GZIP_BYTES} bytes minified and gzipped`, () => {
    // Act
    const shipped = tarEntries(tarballs.browser).get('package/dist/tracker.min.js')!;

    // Assess
    expect(shipped.toString()).toBe(bundleBrowserTracker().code);
    expect(gzipSync(shipped, { level: 9 }).length).toBeLessThanOrEqual(MAX_GZIP_BYTES);
    expect(shipped.toString()).not.toMatch(/\bimport\s*[{("'*]|\brequire\(/);
  });
});

describe('installed in a project outside the repository', () => {
  it('has no path back into the repository', async () => {
    // Act
    const links = symlinks(path.join(scratch, 'node_modules'));
    const manifest = readFileSync(path.join(scratch, 'package.json'), 'utf8');
    const resolved = await run(scratch, process.execPath, ['--input-type=module', '-e', "console.log(import.meta.resolve('@tracking-pipeline/node-tracker'))"]);

    // Assess
    expect(scratch.startsWith(ROOT)).toBe(false);
    expect(links.filter((l) => !l.target.startsWith(scratch))).toEqual([]);
    expect(manifest).not.toContain(ROOT);
    expect(manifest).toMatch(/"@tracking-pipeline\/node-tracker": "file:vendor\/tracking-pipeline-node-tracker-[\d.]+\.tgz"/);
    expect(resolved.stdout.trim()).toBe(`file://${path.join(scratch, 'node_modules', '@tracking-pipeline', 'node-tracker', 'dist', 'index.mjs')}`);
    expect(lstatSync(path.join(scratch, 'node_modules', '@tracking-pipeline', 'node-tracker')).isSymbolicLink()).toBe(false);
  });

  describe('TypeScript (strict)', () => {
    const USAGE = `import { ContractViolationError, createTracker, type FailedEvent } from '@tracking-pipeline/node-tracker';
import { init } from '@tracking-pipeline/browser-tracker';
import { catalog, type TrackingEvents, type WebShopSignupEvent } from './tracking/index.js';

const tracker = createTracker({ catalog, environment: 'prod', validate: 'throw', onDeliveryFailure: (f: readonly FailedEvent[]) => void f });

export async function good(): Promise<void> {
  await tracker.track('web-shop', 'signup', { plan: 'pro', email: 'ada@example.com', referrer: null });
  const signup: WebShopSignupEvent = { plan: 'free', event_id: 'e-1' };
  await tracker.track('web-shop', 'signup', signup);
  await tracker.track('billing', 'invoice_paid', { invoice_id: 'inv-1', amount: 12.5, currency: 'EUR' });
  await tracker.track('web-shop', 'page_view', { path: '/', anything: { goes: [1, 'two'] } });
  await tracker.track('billing', 'refund_issued', {});
  const shop = init<TrackingEvents['web-shop']>({ endpoint: 'https://collect.example.com', writeKey: 'tpk_x', app: 'web-shop' });
  const id: string = shop.track('signup', { plan: 'pro' });
  void id;
  if (tracker.metrics().contractViolations > 0) throw new ContractViolationError('web-shop', 'signup', 'enum', '/properties/plan/enum');
}

export async function mistakes(): Promise<void> {
  // @ts-expect-error 'gold' is not a plan
  await tracker.track('web-shop', 'signup', { plan: 'gold' });
  // @ts-expect-error plan is required
  await tracker.track('web-shop', 'signup', { email: 'ada@example.com' });
  // @ts-expect-error coupon is not declared (contracts close their objects)
  await tracker.track('web-shop', 'signup', { plan: 'pro', coupon: 'X' });
  // @ts-expect-error amount must be a number
  await tracker.track('billing', 'invoice_paid', { invoice_id: 'inv-1', amount: '12.5' });
  // @ts-expect-error signin is not an event type of web-shop
  await tracker.track('web-shop', 'signin', {});
  // @ts-expect-error invoice_paid belongs to billing
  await tracker.track('web-shop', 'invoice_paid', { invoice_id: 'inv-1', amount: 1 });
  // @ts-expect-error marketing is not an application
  await tracker.track('marketing', 'page_view', {});
  const shop = init<TrackingEvents['web-shop']>({ endpoint: 'https://collect.example.com', writeKey: 'tpk_x', app: 'web-shop' });
  // @ts-expect-error the browser tracker checks the event too
  shop.track('signup', { plan: 'gold' });
}

// @ts-expect-error staging is not an environment of the catalog
createTracker({ catalog, environment: 'staging' });
`;
    const WRONG = `import { createTracker } from '@tracking-pipeline/node-tracker';
import { catalog } from './tracking/index.js';
const tracker = createTracker({ catalog, environment: 'prod' });
void tracker.track('web-shop', 'signup', { plan: 'gold' });
`;
    const LEGACY = `import { createTracker } from '@tracking-pipeline/node-tracker';
import { catalog } from './tracking';
const tracker = createTracker({ catalog, environment: 'dev', mode: 'root-stream' });
void tracker.track('web-shop', 'signup', { plan: 'free' });
// @ts-expect-error 'gold' is not a plan
void tracker.track('web-shop', 'signup', { plan: 'gold' });
`;
    const tsc = async (config: object, files: Record<string, string>): Promise<{ status: number | null; output: string }> => {
      const name = `tsconfig.${Object.keys(files)[0]!.replace(/\W/g, '-')}.json`;
      for (const [f, text] of Object.entries(files)) writeFileSync(path.join(scratch, f), text);
      writeFileSync(path.join(scratch, name), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, skipLibCheck: false, types: ['node'], ...config }, files: Object.keys(files) }));
      const r = await run(scratch, process.execPath, [path.join(scratch, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', name]);
      return { status: r.status, output: `${r.stdout}${r.stderr}` };
    };
    const NODENEXT = { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022', 'dom'] };

    it('checks every call against the generated module: good calls compile, each mistake is an error (nodenext)', async () => {
      // Act
      const r = await tsc(NODENEXT, { 'usage.ts': USAGE });

      // Assess: no output means every good call compiled and every @ts-expect-error line failed.
      expect(r.output).toBe('');
      expect(r.status).toBe(0);
    }, LONG);

    it('refuses a deliberately wrong event', async () => {
      // Act
      const r = await tsc(NODENEXT, { 'wrong.ts': WRONG });

      // Assess
      expect(r.status).not.toBe(0);
      expect(r.output).toMatch(/wrong\.ts\(4,\d+\): error TS2322: Type '"gold"' is not assignable to type '"free" \| "pro"'/);
    }, LONG);

    it('works with CommonJS and node10 resolution too (types from package.json "types")', async () => {
      // Act
      const r = await tsc({ module: 'commonjs', moduleResolution: 'node10', target: 'es2022', lib: ['es2022'] }, { 'legacy.ts': LEGACY });

      // Assess
      expect(r.output).toBe('');
      expect(r.status).toBe(0);
    }, LONG);
  });

  describe('Node scripts', () => {
    const ESM = `import { createTracker, summarizeFailures } from '@tracking-pipeline/node-tracker';
import { catalog } from './tracking/index.js';
const [endpoint, count] = process.argv.slice(2);
const failures = [];
const tracker = createTracker({
  catalog, environment: 'prod', validate: 'report', endpoint, maxBatchDelayMs: 10,
  credentials: { accessKeyId: 'AKIDPACKAGETEST', secretAccessKey: 'package-test' },
  onDeliveryFailure: (f) => failures.push(...f),
});
for (let i = 0; i < Number(count); i++) await tracker.track('web-shop', 'signup', { event_id: 'esm-' + i, plan: i % 2 ? 'pro' : 'free' });
await tracker.track('web-shop', 'signup', { event_id: 'esm-bad', plan: 'gold' });
await tracker.track('web-shop', 'search', { event_id: 'esm-observed', query: '' });
await tracker.close();
console.log(JSON.stringify({ metrics: tracker.metrics(), summary: summarizeFailures(failures), failures: failures.map((f) => ({ eventId: f.eventId, errorCode: f.errorCode, errorMessage: f.errorMessage })) }));
`;
    const CJS = `'use strict';
const { createTracker, ContractViolationError } = require('@tracking-pipeline/node-tracker');
const { catalog } = require('./tracking');
const [endpoint, count] = process.argv.slice(2);
(async () => {
  const tracker = createTracker({
    catalog, environment: 'prod', validate: 'throw', endpoint, maxBatchDelayMs: 10,
    credentials: { accessKeyId: 'AKIDPACKAGETEST', secretAccessKey: 'package-test' },
  });
  for (let i = 0; i < Number(count); i++) await tracker.track('billing', 'invoice_paid', { event_id: 'cjs-' + i, invoice_id: 'inv-' + i, amount: i });
  let refused;
  try {
    await tracker.track('billing', 'invoice_paid', { event_id: 'cjs-bad', invoice_id: 'INV 1', amount: 1 });
  } catch (err) {
    refused = { name: err.name, isViolation: err instanceof ContractViolationError, keyword: err.keyword, schemaPath: err.schemaPath, message: err.message };
  }
  await tracker.close();
  console.log(JSON.stringify({ metrics: tracker.metrics(), refused }));
})().catch((err) => { console.error(err); process.exitCode = 1; });
`;
    const idsIn = (stream: string): string[] =>
      standIn
        .records(stream)
        .flatMap((r) => r.data.toString('utf8').split('\n'))
        .map((l) => (JSON.parse(l) as { event_id: string }).event_id);

    it('an ES module sends events and sees them delivered; a contract violation is reported, never sent', async () => {
      // Prepare
      writeFileSync(path.join(scratch, 'send.mjs'), ESM);

      // Act
      const r = await run(scratch, process.execPath, ['send.mjs', started.endpoint, '25']);

      // Assess
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const out = JSON.parse(r.stdout) as { metrics: Record<string, number>; failures: { eventId: string; errorCode: string; errorMessage: string }[] };
      expect(out.metrics).toMatchObject({ eventsTracked: 27, eventsDelivered: 26, eventsFailed: 1, eventsPending: 0, contractViolations: 1 });
      expect(out.failures).toEqual([{ eventId: 'esm-bad', errorCode: 'ContractViolation', errorMessage: 'violates the contract of web-shop/signup: enum at /properties/plan/enum' }]);
      expect(idsIn('shop-prod-web-shop-signup').sort()).toEqual(Array.from({ length: 25 }, (_, i) => `esm-${i}`).sort());
      // An observe-mode contract is not enforced at the producer either: the pipeline accepts and counts it.
      expect(idsIn('shop-prod-web-shop-search')).toEqual(['esm-observed']);
    }, LONG);

    it('a CommonJS script sends events and sees them delivered; validate: throw refuses a violation at track()', async () => {
      // Prepare
      writeFileSync(path.join(scratch, 'send.cjs'), CJS);

      // Act
      const r = await run(scratch, process.execPath, ['send.cjs', started.endpoint, '30']);

      // Assess
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const out = JSON.parse(r.stdout) as { metrics: Record<string, number>; refused: Record<string, unknown> };
      expect(out.metrics).toMatchObject({ eventsTracked: 30, eventsDelivered: 30, eventsFailed: 0, contractViolations: 1 });
      expect(out.refused).toMatchObject({ name: 'ContractViolationError', isViolation: true, keyword: 'pattern', schemaPath: '/properties/invoice_id/pattern' });
      expect(String(out.refused.message)).not.toContain('INV 1');
      expect(idsIn('shop-prod-billing-invoice_paid').sort()).toEqual(Array.from({ length: 30 }, (_, i) => `cjs-${i}`).sort());
    }, LONG);

    it('the browser package, imported by Node, sends through collector:dev', async () => {
      // Prepare
      const script = `import { createTracker } from '@tracking-pipeline/browser-tracker';
const t = createTracker({ endpoint: process.argv[2], writeKey: process.argv[3], app: 'web-shop', flushIntervalMs: 10 });
for (let i = 0; i < 5; i++) t.track('signup', { event_id: 'browser-' + i, plan: 'pro' });
t.track('signup', { event_id: 'browser-bad', plan: 'gold' });
await t.flush();
t.stop();
console.log(JSON.stringify(t.stats()));
`;
      writeFileSync(path.join(scratch, 'browser.mjs'), script);

      // Act
      const r = await run(scratch, process.execPath, ['browser.mjs', dev.url, WRITE_KEY]);

      // Assess
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ tracked: 6, sent: 5, rejected: 1, queued: 0 });
      expect(dev.written.map((w) => w.event.event_id).sort()).toEqual(['browser-0', 'browser-1', 'browser-2', 'browser-3', 'browser-4']);
    }, LONG);
  });
});
