/**
 * Lambda accepts one event source mapping per (event source, function ARN with its qualifier): a
 * second CreateEventSourceMapping for the same pair fails with ResourceConflictException ("The
 * event source arn (...) and function (...) provided mapping already exists"). A mock plan does
 * not know this rule, so this test reads every mapping's `event_source_arn` and `function_name` as
 * Terraform evaluates them, from the state of a mock apply of the stack that the built app
 * (dist/main.js) synthesizes, with the ARNs AWS derives from names (./terraform-eval.ts), and
 * asserts that the pairs are pairwise distinct, qualifier included.
 *
 * The config (fixtures/hot-path-mappings.yaml) has every kind of hot-path consumer: match rules,
 * and rate rules on two window lengths. Sources: docs/hot-path.md, "One mapping per function
 * qualifier".
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { synthConfig } from '../../scripts/terraform-check';
import { mockApplyState, qualifiedFunctionKey, type EvaluatedStack } from './terraform-eval';

const ROOT = path.join(__dirname, '..', '..');
const CONFIG = path.join('__tests__', 'fixtures', 'hot-path-mappings.yaml');

let work: string;
let evaluated: EvaluatedStack;

beforeAll(async () => {
  // Prepare: synthesize with the built app, as `npm run synth` does; Act: mock apply.
  work = mkdtempSync(path.join(tmpdir(), 'hot-path-identity-'));
  const synth = synthConfig({ root: ROOT, config: CONFIG, outdir: path.join(work, 'cdktf.out') });
  const stack = synth.stacks.find((s) => s.id === 'tracking-dev');
  if (stack === undefined) throw new Error(`no tracking-dev stack in ${synth.outdir}`);
  evaluated = await mockApplyState(stack.dir);
}, 10 * 60_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

interface Mapping {
  readonly address: string;
  readonly source: string;
  readonly functionName: string;
  readonly key: string;
}

const mappings = (): Mapping[] =>
  evaluated.resources
    .filter((r) => r.type === 'aws_lambda_event_source_mapping')
    .map((r) => {
      const source = String(r.values.event_source_arn);
      const functionName = String(r.values.function_name);
      return { address: r.address, source, functionName, key: `${source} -> ${qualifiedFunctionKey(functionName, evaluated.context)}` };
    });

describe('event source mappings as Terraform evaluates them', () => {
  it('has one hot-path mapping per consumer: match rules and each window length', () => {
    // Assess: the check below is not vacuous.
    const hotPath = mappings().filter((m) => m.address.includes('hot-path'));
    expect(hotPath.map((m) => m.address.replace(/^aws_lambda_event_source_mapping\.hot-path_|_[0-9A-F]{8}$/g, '')).sort()).toEqual([
      'match-mapping',
      'rate-300s-mapping',
      'rate-60s-mapping',
    ]);
    for (const m of hotPath) expect(m.functionName).toMatch(/^arn:aws:lambda:eu-central-1:\d{12}:function:acme-dev-hot-path/);
  });

  it('never gives two mappings the same (event source, qualified function)', () => {
    // Assess: Lambda would refuse the second mapping of a pair with ResourceConflictException.
    const byKey = new Map<string, string[]>();
    for (const m of mappings()) byKey.set(m.key, [...(byKey.get(m.key) ?? []), m.address]);
    const collisions = [...byKey.entries()].filter(([, addresses]) => addresses.length > 1).map(([key, addresses]) => `${key}: ${addresses.join(', ')}`);
    expect(collisions).toEqual([]);
    expect(byKey.size).toBe(mappings().length);
  });

  it('keeps the Terraform addresses of the first design, so a deployed mapping is updated in place', () => {
    // The addresses the unqualified design synthesized for this config (same construct ids).
    expect(mappings().map((m) => m.address).filter((a) => a.includes('hot-path')).sort()).toEqual([
      'aws_lambda_event_source_mapping.hot-path_match-mapping_38262A49',
      'aws_lambda_event_source_mapping.hot-path_rate-300s-mapping_69BC0F58',
      'aws_lambda_event_source_mapping.hot-path_rate-60s-mapping_7BF6C3B8',
    ]);
  });

  it('qualifies each hot-path mapping with the alias of its consumer', () => {
    const hotPath = mappings().filter((m) => m.address.includes('hot-path'));
    const qualifiers = hotPath.map((m) => ({ consumer: /hot-path_(.+)-mapping_/.exec(m.address)![1], qualifier: m.functionName.split(':')[7] }));
    for (const q of qualifiers) expect(q.qualifier).toBe(q.consumer);
  });
});
