/**
 * Real Terraform over every synthesized stack of the example config and of the every-option
 * fixture: `terraform init -backend=false`, `terraform validate`, then `terraform test` with a mock
 * AWS provider that plans and applies the stack offline (scripts/terraform-check.ts, the same code
 * as `npm run validate`). One test per stack and phase, so a failure names both.
 *
 * Without terraform on PATH every test here fails with the install instructions: it never passes
 * silently. With the local mirror (hashicorp/aws 5.100.0) the stacks' pin (6.25.0) is rewritten in
 * the scratch copies; the provider test below states which version ran.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  describeProvider,
  formatPhase,
  PHASES,
  synthConfig,
  TerraformChecker,
  type Phase,
  type StackInput,
  type StackResult,
} from '../../scripts/terraform-check';
import { DEFAULT_CONFIGS } from '../../scripts/validate';

const ROOT = path.join(__dirname, '..', '..');
/** Generous: 5 small stacks take about a minute on 2 cores; a busy machine may take several. */
const SUITE_TIMEOUT = 40 * 60_000;

const TITLES: Record<Phase, string> = {
  init: 'terraform init -backend=false',
  validate: 'terraform validate',
  plan: 'mock plan (terraform test, command = plan)',
  apply: 'mock apply (terraform test, command = apply)',
};

const work = mkdtempSync(path.join(tmpdir(), 'terraform-suite-'));

// Synthesized while jest collects the tests (the global setup has built dist/main.js), so that
// there is one test per stack whatever stacks the configs produce.
const synthesized = DEFAULT_CONFIGS.map((c) => {
  try {
    const s = synthConfig({ root: ROOT, config: c.file, outdir: path.join(work, c.label, 'out'), label: c.label });
    return { ...c, stacks: s.stacks as StackInput[], error: undefined as string | undefined };
  } catch (err) {
    return { ...c, stacks: [] as StackInput[], error: err instanceof Error ? err.message : String(err) };
  }
});

let results: StackResult[] = [];
let checker: TerraformChecker | undefined;

beforeAll(async () => {
  checker = await TerraformChecker.create({ scratchRoot: path.join(work, 'scratch') });
  results = await checker.checkStacks(synthesized.flatMap((s) => s.stacks));
}, SUITE_TIMEOUT);

afterAll(() => {
  checker?.dispose();
  rmSync(work, { recursive: true, force: true });
});

function phaseOf(label: string, id: string, phase: Phase) {
  const stack = results.find((r) => r.label === label && r.id === id);
  if (stack === undefined) throw new Error(`no result for ${label}/${id}: the checks did not run`);
  return stack.phases.find((p) => p.phase === phase)!;
}

it('uses the pinned provider, or states the version skew and rewrites only the scratch copies', () => {
  const providers = [...new Set(results.map((r) => r.provider).filter((p) => p !== undefined))];
  expect(providers.length).toBeGreaterThan(0);
  for (const p of providers) {
    // Shown in the test output: which provider version these checks ran with.
    console.log(`terraform ${checker!.terraformVersion}; provider: ${describeProvider(p)}`);
    if (p.rewritten) {
      expect(describeProvider(p)).toMatch(new RegExp(`VERSION SKEW: the stacks pin ${p.pinned.replace(/\./g, '\\.')}`));
      for (const r of results) expect(r.changes.some((c) => c.startsWith('rewrote terraform.required_providers.aws.version'))).toBe(true);
    } else {
      expect(p.version).toBe(p.pinned);
    }
  }
});

describe.each(synthesized)('$label ($file)', (s) => {
  it('synthesizes', () => {
    expect(s.error).toBeUndefined();
    expect(s.stacks.length).toBeGreaterThan(0);
  });

  // Stack ids come from the config's environments (and later its shards): one block per stack found.
  for (const stack of s.stacks) {
    describe(stack.id, () => {
      it.each(PHASES.map((p) => [TITLES[p], p] as const))('%s', (_title, phase) => {
        const r = phaseOf(s.label, stack.id, phase);
        // The whole diagnostic text (address, file:line, Terraform's message) is the failure message.
        if (!r.ok) throw new Error(formatPhase(r));
        expect(r.ok).toBe(true);
      });
    });
  }
});
