/**
 * The two test tiers: `npm test` (jest.config.js) runs every test file, as CI does;
 * `npm run test:unit` (jest.unit.config.js) runs the quick tier for the inner loop. A file in the
 * quick tier must not use, directly or through anything it imports from the project, a browser,
 * an emulator or stand-in server, terraform, CDK Terrain, DuckDB or a child process; so the tier
 * stays quick and runs anywhere `npm ci` ran.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.join(__dirname, '..', '..');
const TESTS = path.join(ROOT, '__tests__');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const full = require(path.join(ROOT, 'jest.config.js')) as { testMatch: string[]; roots: string[]; globalSetup?: string; testPathIgnorePatterns?: string[] };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const unit = require(path.join(ROOT, 'jest.unit.config.js')) as { testMatch: string[]; globalSetup?: string };
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

/** Packages a quick-tier test may not reach. */
const FORBIDDEN_PACKAGES = ['playwright-core', '@sparticuz/chromium', 'kinesalite', 's3rver', 'dynalite', '@duckdb/node-api', 'child_process', 'node:child_process'];
/** Project files a quick-tier test may not reach: real terraform, CDK Terrain, local servers. */
const FORBIDDEN_FILES = [
  'scripts/terraform-check.ts',
  'scripts/cdktn-compare.ts',
  'scripts/collector-dev.ts',
  '__tests__/helpers/firehose-standin.ts',
  '__tests__/helpers/sqs-standin.ts',
  '__tests__/helpers/ssm-standin.ts',
  'cli/doctor/chromium.ts',
];

function allTests(dir = TESTS): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? (e.name === 'fixtures' ? [] : allTests(p)) : e.name.endsWith('.test.ts') ? [path.relative(TESTS, p)] : [];
  });
}

function resolveLocal(from: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(from), spec);
  return [base, `${base}.ts`, `${base}.js`, path.join(base, 'index.ts')].find((c) => existsSync(c) && statSync(c).isFile());
}

/** What `file` reaches that a quick-tier test may not, with the chain of imports that reaches it. */
function forbiddenReach(file: string): string[] {
  const found: string[] = [];
  const via = new Map<string, string>([[file, path.relative(ROOT, file)]]);
  const queue = [file];
  for (let f = queue.shift(); f !== undefined; f = queue.shift()) {
    const chain = via.get(f)!;
    if (FORBIDDEN_FILES.includes(path.relative(ROOT, f).split(path.sep).join('/'))) found.push(chain);
    if (!/\.(ts|js)$/.test(f)) continue;
    for (const { fileName } of ts.preProcessFile(readFileSync(f, 'utf8'), true, true).importedFiles) {
      if (fileName.startsWith('.')) {
        const next = resolveLocal(f, fileName);
        if (next !== undefined && !via.has(next)) {
          via.set(next, `${chain} -> ${path.relative(ROOT, next)}`);
          queue.push(next);
        }
      } else if (FORBIDDEN_PACKAGES.includes(fileName)) found.push(`${chain} -> ${fileName}`);
    }
  }
  return found;
}

const listed = unit.testMatch.map((m) => m.replace('<rootDir>/__tests__/', ''));

describe('npm test', () => {
  it('runs jest.config.js over every test file, with nothing left out', () => {
    expect(pkg.scripts.test).toBe('jest');
    expect(full.roots).toEqual(['<rootDir>/__tests__']);
    expect(full.testMatch).toEqual(['**/*.test.ts']);
    expect(full.testPathIgnorePatterns).toBeUndefined();
    expect(full.globalSetup).toBe('<rootDir>/__tests__/global-setup.js');
  });
});

describe('npm run test:unit', () => {
  it('runs jest.unit.config.js: listed files that exist, without the dist/ build', () => {
    expect(pkg.scripts['test:unit']).toBe('jest --config jest.unit.config.js');
    expect(unit.globalSetup).toBeUndefined();
    expect(listed.length).toBeGreaterThan(20);
    for (const m of unit.testMatch) expect(m).toMatch(/^<rootDir>\/__tests__\/[\w./-]+\.test\.ts$/);
    expect(listed.filter((f) => !allTests().includes(f))).toEqual([]);
    expect(new Set(listed).size).toBe(listed.length);
  });

  it('holds no test that reaches a browser, an emulator or stand-in, terraform, CDK Terrain, DuckDB or a child process', () => {
    expect(listed.flatMap((f) => forbiddenReach(path.join(TESTS, f)))).toEqual([]);
  });

  it('has a check that can fail: the browser, terraform and emulator tests are caught', () => {
    const caught = (f: string): boolean => forbiddenReach(path.join(TESTS, f)).length > 0;
    expect(['browser/e2e.test.ts', 'terraform/terraform.test.ts', 'router/kinesalite.integration.test.ts', 'toolchain/cdktn.test.ts', 'client/standin.test.ts'].filter((f) => !caught(f))).toEqual([]);
  });
});
