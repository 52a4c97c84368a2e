/**
 * Issue #11: the review says which stacks a pull request changes, dependencies first, so that the
 * workflow plans and applies only those. Runs the compiled app (built by the global setup), as the
 * review does.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { diffStacks, readStacks } from '../../scripts/review-lib';

const ROOT = path.join(__dirname, '..', '..');

/** Synthesizes a config with the compiled app into `<dir>/<name>`; returns the output folder. */
function synth(dir: string, name: string, config: unknown): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, stringify(config));
  const out = path.join(dir, name);
  const r = spawnSync(process.execPath, ['dist/main.js'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TRACKING_CONFIG: file, CDKTF_OUTDIR: out } });
  if (r.status !== 0) throw new Error(`synth failed: ${r.stderr}`);
  return out;
}

/** `apps` applications of `perApp` event types each, sharded one application per shard. */
function config(apps: number, perApp: number, extra: (app: number) => string[] = () => [], env: Record<string, unknown> = {}): unknown {
  return {
    project: 'acme',
    stacks: { layout: 'sharded' },
    environments: { dev: { region: 'us-east-1', rootStream: { enabled: true }, ...env } },
    applications: Array.from({ length: apps }, (_, a) => ({
      name: `app${String(a).padStart(2, '0')}`,
      eventTypes: [...Array.from({ length: perApp }, (_, t) => `type${String(t).padStart(3, '0')}`), ...extra(a)],
    })),
  };
}

describe('review of the stacks a change touches', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'review-stacks-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(
    'reports exactly one changed stack for a one-type addition on a 5,000-type config (root stream on)',
    () => {
      // Prepare: 20 applications of 250 event types (the last one 249), one shard each; the change adds
      // the 5,000th event type
      const with5k = (added: string[]): unknown => {
        const c = config(20, 250) as { applications: { eventTypes: string[] }[] };
        c.applications[19]!.eventTypes = [...c.applications[19]!.eventTypes.slice(0, 249), ...added];
        return c;
      };
      const base = synth(dir, 'base5k', with5k([]));
      const head = synth(dir, 'head5k', with5k(['brand_new']));
      // Act
      const result = diffStacks(readStacks(base), readStacks(head));
      // Assess
      expect(readStacks(head).size).toBe(21);
      expect(result.changedStacks).toEqual(['tracking-dev-app19']);
      expect(result.destructive).toEqual([]);
    },
    240_000,
  );

  it('orders changed stacks dependencies first: the core before its shards', () => {
    // Prepare: a change to the core (retention) and to two shards (buffering defaults apply to all)
    const base = synth(dir, 'base', config(2, 2));
    const head = synth(dir, 'head', { ...(config(2, 2) as object), logRetentionDays: 60, defaults: { buffering: { intervalSeconds: 60 } } });
    // Act
    const result = diffStacks(readStacks(base), readStacks(head));
    // Assess
    expect(result.changedStacks).toEqual(['tracking-dev', 'tracking-dev-app00', 'tracking-dev-app01']);
  });

  it('lists a new shard as a stack to apply', () => {
    const base = synth(dir, 'base-s', config(1, 2));
    const head = synth(dir, 'head-s', config(2, 2));
    const result = diffStacks(readStacks(base), readStacks(head));
    expect(result.changedStacks).toEqual(['tracking-dev-app01']);
    expect(result.stacks.find((s) => s.stack === 'tracking-dev-app01')?.status).toBe('added');
  });
});
