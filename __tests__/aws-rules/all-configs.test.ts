/**
 * The AWS rules check on every config the project ships: the example (config/tracking.yaml), the
 * every-option fixture, and every other full config under __tests__/fixtures/ (a YAML file with
 * `project`, `environments` and `applications`). Each is synthesized with the built app, every
 * stack is mock-applied by real Terraform (scripts/aws-rules/state.ts), and the rules must find
 * nothing AWS would refuse or break. A violation fails the test with its stack, address, rule,
 * offending value and source.
 *
 * `terraform validate` is skipped here (the mock plan still evaluates every expression):
 * __tests__/terraform/ runs it on the example and the every-option fixture.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { checkRules, formatViolation, type RulesReport } from '../../scripts/aws-rules';
import { createStateChecker } from '../../scripts/aws-rules/state';
import { formatPhase, synthConfig, type StackInput, type StackResult, type TerraformChecker } from '../../scripts/terraform-check';

const ROOT = path.join(__dirname, '..', '..');
/** Generous: about 13 small stacks, two at a time, on a shared 2-core machine. */
const SUITE_TIMEOUT = 60 * 60_000;

/** YAML files under a folder, recursively. */
function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return yamlFiles(full);
    return /\.ya?ml$/.test(name) ? [full] : [];
  });
}

/** A full tracking config: a mapping with project, environments and applications. */
function isFullConfig(file: string): boolean {
  try {
    const data: unknown = parse(readFileSync(file, 'utf8'));
    return data !== null && typeof data === 'object' && ['project', 'environments', 'applications'].every((k) => k in (data as object));
  } catch {
    return false;
  }
}

/** Every config the project ships, labelled by path. */
export function shippedConfigs(root: string): { label: string; file: string }[] {
  const fixtures = path.join(root, '__tests__', 'fixtures');
  const found = yamlFiles(fixtures)
    .filter(isFullConfig)
    .map((f) => path.relative(root, f))
    .sort();
  const label = (file: string): string =>
    file === 'config/tracking.yaml'
      ? 'example'
      : path
          .relative(path.join('__tests__', 'fixtures'), file)
          .replace(/\.ya?ml$/, '')
          .replace(/[^A-Za-z0-9]+/g, '-');
  return ['config/tracking.yaml', ...found].map((file) => ({ label: label(file), file }));
}

const work = mkdtempSync(path.join(tmpdir(), 'aws-rules-configs-'));
const configs = shippedConfigs(ROOT);
const synthesized = configs.map((c) => {
  try {
    const s = synthConfig({ root: ROOT, config: c.file, outdir: path.join(work, c.label, 'out'), label: c.label });
    return { ...c, stacks: s.stacks as StackInput[], error: undefined as string | undefined };
  } catch (err) {
    return { ...c, stacks: [] as StackInput[], error: err instanceof Error ? err.message : String(err) };
  }
});

let checker: TerraformChecker | undefined;
let results: StackResult[] = [];
let report: RulesReport = { violations: [], unchecked: [] };

beforeAll(async () => {
  checker = await createStateChecker({ skipValidate: true, scratchRoot: path.join(work, 'scratch') });
  results = await checker.checkStacks(synthesized.flatMap((s) => s.stacks));
  report = checkRules(results);
}, SUITE_TIMEOUT);

afterAll(() => {
  checker?.dispose();
  rmSync(work, { recursive: true, force: true });
});

it('checks the example, the every-option fixture and every other full config shipped', () => {
  const files = configs.map((c) => c.file);
  expect(files).toEqual(expect.arrayContaining(['config/tracking.yaml', path.join('__tests__', 'fixtures', 'every-option.yaml')]));
  // Schema files and partial blocks are not configs.
  expect(files.some((f) => f.includes(`${path.sep}schemas${path.sep}`) || f.endsWith('hot-path-config.yaml'))).toBe(false);
  expect(configs.length).toBeGreaterThanOrEqual(3);
});

describe.each(synthesized)('$label ($file)', (s) => {
  it('synthesizes', () => {
    expect(s.error).toBeUndefined();
    expect(s.stacks.length).toBeGreaterThan(0);
  });

  it('every stack is mock-applied, so the rules see its state', () => {
    for (const stack of s.stacks) {
      const r = results.find((x) => x.label === s.label && x.id === stack.id);
      if (r === undefined) throw new Error(`${s.label}/${stack.id}: not checked`);
      for (const p of r.phases) if (!p.ok) throw new Error(formatPhase(p));
      expect(report.unchecked).not.toContain(r.stack);
    }
  });

  it('breaks no AWS rule', () => {
    const mine = report.violations.filter((v) => v.stack.startsWith(`${s.label}/`));
    if (mine.length > 0) {
      const byRule = new Map<string, number>();
      for (const v of mine) byRule.set(v.rule, (byRule.get(v.rule) ?? 0) + 1);
      throw new Error(
        `${mine.length} AWS rule violation(s) in ${s.file} (${[...byRule].map(([r, n]) => `${r}: ${n}`).join(', ')}):\n` +
          mine.map((v) => formatViolation(v)).join('\n'),
      );
    }
    expect(mine).toEqual([]);
  });
});
