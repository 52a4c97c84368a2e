/**
 * Issue #11: moving a deployed environment from one stack to shards imports every delivery stream
 * (and its log stream and per-stream alarms) into its shard and removes it from the old stack
 * without destroying it. Synthesizes with the compiled app, as `npm run migrate` does.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import type { MovesFile } from '../../config/moves';
import { computeMoves } from '../../scripts/migrate-lib';
import { diffStacks, parseStack, readStacks, ReviewError } from '../../scripts/review-lib';
import { configYaml } from './ops-helpers';

const ROOT = path.join(__dirname, '..', '..');
const EXAMPLE = readFileSync(path.join(ROOT, 'config', 'tracking.yaml'), 'utf8');

function synth(dir: string, name: string, yaml: string): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  const out = path.join(dir, `${name}-out`);
  const r = spawnSync(process.execPath, ['dist/main.js'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TRACKING_CONFIG: file, CDKTF_OUTDIR: out } });
  if (r.status !== 0) throw new Error(`synth failed: ${r.stderr}`);
  return out;
}

const withStacks = (yaml: string, stacks: Record<string, unknown>): string => {
  const doc = parse(yaml) as Record<string, unknown>;
  return stringify({ ...doc, stacks });
};

describe('moving the example config from one stack to shards', () => {
  let dir: string;
  let moves: MovesFile;
  let base: ReturnType<typeof readStacks>;
  let migrated: ReturnType<typeof readStacks>;

  beforeAll(() => {
    // Prepare: the deployed single stacks, and the working tree with stacks.layout: sharded
    dir = mkdtempSync(path.join(tmpdir(), 'migrate-'));
    base = readStacks(synth(dir, 'base', EXAMPLE));
    const sharded = readStacks(synth(dir, 'sharded', withStacks(EXAMPLE, { layout: 'sharded' })));
    // Act: what `npm run migrate` computes, then synth with the moves file named in the config
    moves = computeMoves(base, sharded, 'origin/main');
    writeFileSync(path.join(dir, 'tracking.moves.json'), JSON.stringify(moves));
    migrated = readStacks(synth(dir, 'migrated', withStacks(EXAMPLE, { layout: 'sharded', moves: 'tracking.moves.json' })));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('imports every delivery stream of the old stack exactly once, into its shard, by ARN', () => {
    for (const env of ['dev', 'prod']) {
      const old = base.get(`tracking-${env}`)!;
      const streams = [...old.resources.values()].filter((r) => r.type === 'aws_kinesis_firehose_delivery_stream');
      expect(streams.length).toBe(7);
      for (const s of streams) {
        const name = (s.config as { name: string }).name;
        const imports = [...migrated.values()].flatMap((st) =>
          [...st.blocks.entries()].filter(([k, v]) => k.startsWith('import ') && JSON.stringify(v).includes(`deliverystream/${name}"`)).map(([k]) => `${st.id} ${k}`),
        );
        expect(imports).toHaveLength(1);
        const [stackId, , to] = imports[0]!.split(' ');
        // ...into the shard that now declares the stream, at the address it has there
        const target = migrated.get(stackId!)!.resources.get(to!);
        expect((target?.config as { name?: string }).name).toBe(name);
        expect(stackId).not.toBe(`tracking-${env}`);
      }
    }
  });

  it('moves log streams and per-stream alarms with them, with their import ids', () => {
    const prod = moves.moves.filter((m) => m.environment === 'prod').flatMap((m) => m.resources);
    expect(prod.find((r) => r.type === 'aws_cloudwatch_log_stream' && r.name === 'acme-prod-web-shop-page_view')?.id).toEqual({
      literal: '/aws/kinesisfirehose/acme-prod:acme-prod-web-shop-page_view',
    });
    expect(prod.find((r) => r.type === 'aws_cloudwatch_metric_alarm' && r.name === 'acme-prod acme-prod-web-shop-checkout_completed data-freshness')?.id).toEqual({
      literal: 'acme-prod acme-prod-web-shop-checkout_completed data-freshness',
    });
    expect(prod.filter((r) => r.type === 'aws_kinesis_firehose_delivery_stream')[0]?.id).toEqual({ arn: { service: 'firehose', resource: expect.stringMatching(/^deliverystream\/acme-prod-/) } });
  });

  it('removes every moved resource from the old stack without destroying it', () => {
    for (const env of ['dev', 'prod']) {
      const core = migrated.get(`tracking-${env}`)!;
      const removed = [...core.blocks.entries()].filter(([k]) => k.startsWith('removed '));
      const movedFromCore = moves.moves.filter((m) => m.from === `tracking-${env}`).flatMap((m) => m.resources.map((r) => r.from));
      expect(removed.map(([k]) => k.slice('removed '.length)).sort()).toEqual([...new Set(movedFromCore)].sort());
      for (const [, v] of removed) expect(v).toMatchObject({ lifecycle: { destroy: false } });
    }
  });

  it('keeps the old transform function in the core while the move is in progress', () => {
    const core = migrated.get('tracking-dev')!;
    expect([...core.resources.values()].some((r) => r.type === 'aws_lambda_function' && (r.config as { function_name?: string }).function_name === 'acme-dev-jsonl-transform')).toBe(true);
  });

  it('is reviewed as moves, not destruction, with the core applied before its shards', () => {
    const result = diffStacks(base, migrated);
    expect(result.destructive).toEqual([]);
    expect(result.moved.filter((m) => m.type === 'aws_kinesis_firehose_delivery_stream')).toHaveLength(14);
    expect(result.changedStacks.indexOf('tracking-dev')).toBeLessThan(result.changedStacks.indexOf('tracking-dev-web-shop'));
  });

  it('without the moves file, the same change is destructive', () => {
    const sharded = readStacks(synth(dir, 'sharded-again', withStacks(EXAMPLE, { layout: 'sharded' })));
    expect(diffStacks(base, sharded).destructive.filter((d) => d.type === 'aws_kinesis_firehose_delivery_stream')).toHaveLength(14);
  });
});

describe('moves that cannot be expressed with removed blocks', () => {
  it('refuse to move part of a for_each resource (Terraform removes whole resources only)', () => {
    // Prepare: a base stack with the for_each layout of the last landed version, two types; one moves
    const forEach = { for_each: { 'a/x': { name: 'acme-dev-a-x' }, 'a/y': { name: 'acme-dev-a-y' } }, name: '${each.value.name}' };
    const provider = { aws: [{ default_tags: [{ tags: { environment: 'dev' } }] }] };
    const base = new Map([['tracking-dev', parseStack('tracking-dev', { provider, resource: { aws_kinesis_firehose_delivery_stream: { delivery: forEach } } })]]);
    const head = new Map([
      ['tracking-dev', parseStack('tracking-dev', { provider, resource: { aws_kinesis_firehose_delivery_stream: { a__y: { name: 'acme-dev-a-y' } } } })],
      ['tracking-dev-a', parseStack('tracking-dev-a', { provider, resource: { aws_kinesis_firehose_delivery_stream: { a__x: { name: 'acme-dev-a-x' } } } })],
    ]);
    // Act / Assess
    expect(() => computeMoves(base, head)).toThrow(ReviewError);
    expect(() => computeMoves(base, head)).toThrow(/instance of aws_kinesis_firehose_delivery_stream\.delivery/);
  });

  it('move a whole for_each resource when every instance leaves', () => {
    const forEach = { for_each: { 'a/x': { name: 'acme-dev-a-x' } }, name: '${each.value.name}' };
    const provider = { aws: [{ default_tags: [{ tags: { environment: 'dev' } }] }] };
    const base = new Map([['tracking-dev', parseStack('tracking-dev', { provider, resource: { aws_kinesis_firehose_delivery_stream: { delivery: forEach } } })]]);
    const head = new Map([
      ['tracking-dev', parseStack('tracking-dev', { provider, resource: {} })],
      ['tracking-dev-a', parseStack('tracking-dev-a', { provider, resource: { aws_kinesis_firehose_delivery_stream: { a__x: { name: 'acme-dev-a-x' } } } })],
    ]);
    const file = computeMoves(base, head);
    expect(file.moves).toEqual([
      {
        environment: 'dev',
        from: 'tracking-dev',
        to: 'tracking-dev-a',
        resources: [{ type: 'aws_kinesis_firehose_delivery_stream', from: 'aws_kinesis_firehose_delivery_stream.delivery["a/x"]', to: 'aws_kinesis_firehose_delivery_stream.a__x', name: 'acme-dev-a-x', id: { arn: { service: 'firehose', resource: 'deliverystream/acme-dev-a-x' } } }],
      },
    ]);
  });
});

describe('the built command, as `npm run migrate` runs it (dist/scripts/migrate.js)', () => {
  const MIGRATE = path.join(ROOT, 'dist', 'scripts', 'migrate.js');
  const migrate = (args: string[], cwd = ROOT) => spawnSync(process.execPath, [MIGRATE, ...args], { cwd, encoding: 'utf8' });

  it('prints its own help alone with --help, and exits 0', () => {
    // Act
    const r = migrate(['--help']);
    // Assess
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: npm run migrate -- --base <git-ref> /);
    expect(r.stdout).toMatch(/Writes the moves file/);
    expect(r.stdout).toMatch(/--out <file>/);
    expect(r.stdout).toMatch(/Exit codes:\n {2}0 {2}the moves file was written\n {2}1 /);
    expect(r.stdout).not.toMatch(/review/i);
  });

  it('refuses an unknown flag with its own usage, exit 1', () => {
    // Act
    const r = migrate(['--base', 'main', '--bogus']);
    // Assess
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`migrate: unknown option --bogus; usage: npm run migrate -- --base <git-ref> [--repo <dir>] [--config <path>] [--out <file>] [--config-only] [--app <dir>] (--help explains each)\n`);
  });

  it('writes the moves file of a move to sharded stacks, and prints nothing of the review', () => {
    // Prepare: a repository whose committed config is the single layout; the working tree shards it
    const repo = mkdtempSync(path.join(tmpdir(), 'migrate-cli-'));
    const git = (...args: string[]) => spawnSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], { cwd: repo, encoding: 'utf8' });
    const single = configYaml({ eventTypes: [{ name: 'page_view' }, { name: 'checkout' }] });
    writeFileSync(path.join(repo, 'tracking.yaml'), single);
    git('init', '-q', '-b', 'main');
    git('add', 'tracking.yaml');
    git('commit', '-qm', 'single stack');
    writeFileSync(path.join(repo, 'tracking.yaml'), withStacks(single, { layout: 'sharded' }));

    // Act
    const r = migrate(['--base', 'main', '--repo', repo, '--config', 'tracking.yaml', '--config-only']);
    const file = path.join(repo, 'tracking.moves.json');
    const written = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as MovesFile) : undefined;
    rmSync(repo, { recursive: true, force: true });

    // Assess
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`Wrote ${file}.`);
    expect(r.stdout).not.toMatch(/Tracking pipeline review|usage:/);
    expect(written?.moves.map((m) => [m.environment, m.from, m.to])).toEqual([['dev', 'tracking-dev', 'tracking-dev-shop']]);
    expect(written?.moves[0]?.resources.filter((x) => x.type === 'aws_kinesis_firehose_delivery_stream').map((x) => x.name).sort()).toEqual([
      'acme-dev-shop-checkout',
      'acme-dev-shop-page_view',
    ]);
  }, 180_000);
});
