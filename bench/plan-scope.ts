/**
 * Plan-scope benchmark (issue #11). Two questions, on this machine, with the real terraform CLI
 * and a mock aws provider (`terraform test` + `mock_provider "aws"`: a real plan, no network):
 *
 * 1. Linear evaluation: mock plan time of ONE stack holding 250, 1,000 and 5,000 event types
 *    (`stacks.layout: single`), with wall and CPU seconds per type. `--before <git ref>` also
 *    synthesizes the same configs with an older commit (default: the last one before sharding,
 *    whose stack used one inline `for_each` literal) and plans them, each bounded by
 *    `--before-timeout` seconds.
 * 2. Scope of a one-type addition on a 5,000-type environment (25 applications x 200 types), in
 *    the single layout and in the sharded one: stacks the review reports as changed, delivery
 *    streams in them (each costs a plan two Firehose control-plane reads, DescribeDeliveryStream
 *    and ListTagsForDeliveryStream, and those are capped at 5 calls/s per account and region),
 *    the time those reads take at 5 calls/s, and the mock plan time of the changed stacks.
 *
 * Prints the figures and a goal check. Timing never gates a test; this only prints.
 *
 *   npm run bench:plan-scope
 *   node dist/bench/plan-scope.js --sizes 250,1000 --no-scope
 *   node dist/bench/plan-scope.js --before 9dacbe3 --before-sizes 250 --before-timeout 900
 *   node dist/bench/plan-scope.js --no-single-plan      # skip the 5,000-stream plan in part 2
 *   node dist/bench/plan-scope.js --no-linear           # part 2 only
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { diffStacks, readStacks, type SynthesizedStack } from '../scripts/review-lib';
import { findStacks, synthConfig, TerraformChecker, type MockPlanTiming } from '../scripts/terraform-check';

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.join(ROOT, 'bench', '.out', 'plan-scope');
/** Firehose control-plane calls per second, per account and region (hard limit). */
const FIREHOSE_CALLS_PER_SECOND = 5;
/** Control-plane reads a plan's refresh makes per delivery stream: Describe and ListTags. */
const READS_PER_STREAM = 2;
/** The last commit whose single stack used one inline `for_each` literal per resource kind. */
const DEFAULT_BEFORE_REF = '9dacbe3';
const STREAM_TYPE = 'aws_kinesis_firehose_delivery_stream';

/** Options, from the command line. */
interface Options {
  readonly sizes: readonly number[];
  readonly linear: boolean;
  readonly scope: boolean;
  readonly singlePlan: boolean;
  readonly before?: string;
  readonly beforeSizes: readonly number[];
  readonly beforeTimeout: number;
  readonly timeout: number;
}

function parseArgs(argv: readonly string[]): Options {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`plan-scope: ${flag} needs a value`);
    return v;
  };
  const list = (flag: string, dflt: readonly number[]): readonly number[] => {
    const v = value(flag);
    if (v === undefined) return dflt;
    const ns = v.split(',').map((s) => Number(s.trim()));
    const bad = ns.find((n) => !Number.isInteger(n) || n < 1);
    if (bad !== undefined) throw new Error(`plan-scope: ${flag} "${v}" must be a comma-separated list of positive integers`);
    return ns;
  };
  const num = (flag: string, dflt: number): number => {
    const v = value(flag);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`plan-scope: ${flag} "${v}" must be a positive number of seconds`);
    return n;
  };
  const sizes = list('--sizes', [250, 1_000, 5_000]);
  // `--before` alone uses the default ref; `--before <ref>` a chosen one.
  const at = argv.indexOf('--before');
  const next = at >= 0 ? argv[at + 1] : undefined;
  const beforeRef = at < 0 ? undefined : next !== undefined && !next.startsWith('--') ? next : DEFAULT_BEFORE_REF;
  return {
    sizes,
    linear: !argv.includes('--no-linear'),
    scope: !argv.includes('--no-scope'),
    singlePlan: !argv.includes('--no-single-plan'),
    ...(beforeRef !== undefined ? { before: beforeRef } : {}),
    beforeSizes: list('--before-sizes', sizes),
    beforeTimeout: num('--before-timeout', 1_200),
    timeout: num('--timeout', 1_800),
  };
}

/**
 * `apps` applications of `perApp` event types each in one environment, in the given layout.
 * `extra` adds one event type to the middle application (the one-type pull request).
 */
export function scopeConfig(opts: {
  readonly apps: number;
  readonly perApp: number;
  readonly layout: 'single' | 'sharded';
  readonly extra?: boolean;
}): string {
  // A raised stream quota (declared as after a Service Quotas increase): the one-type addition
  // takes the environment past the default 5,000 streams of us-east-1.
  const lines = [
    'project: bench',
    'environments:',
    '  dev: { region: us-east-1, streamQuota: { deliveryStreamsPerRegion: 6000 } }',
    'stacks:',
    `  layout: ${opts.layout}`,
    'applications:',
  ];
  const middle = Math.floor(opts.apps / 2);
  for (let a = 0; a < opts.apps; a++) {
    lines.push(`  - name: app${a}`, '    eventTypes:');
    for (let i = 0; i < opts.perApp; i++) lines.push(`      - type_${a}_${i}`);
    if (opts.extra === true && a === middle) lines.push('      - added_type');
  }
  return `${lines.join('\n')}\n`;
}

/**
 * `n` event types in one single-layout stack, at most 250 per application. `legacy` leaves out
 * the `stacks` key, which commits before sharding do not know (they always made one stack).
 */
export function singleConfig(n: number, legacy = false): string {
  const perApp = 250;
  const lines = ['project: bench', 'environments:', '  dev: { region: us-east-1 }', ...(legacy ? [] : ['stacks:', '  layout: single']), 'applications:'];
  for (let a = 0; a * perApp < n; a++) {
    lines.push(`  - name: app${a}`, '    eventTypes:');
    for (let i = a * perApp; i < Math.min(n, (a + 1) * perApp); i++) lines.push(`      - type_${i}`);
  }
  return `${lines.join('\n')}\n`;
}

/** CPU seconds used by waited-for children of this process (Linux /proc; undefined elsewhere). */
function childCpuSeconds(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cutime = Number(fields[13]);
    const cstime = Number(fields[14]);
    return (cutime + cstime) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

interface PlanFigure {
  readonly label: string;
  readonly types: number;
  readonly timing?: MockPlanTiming;
  readonly cpuSeconds?: number;
  readonly error?: string;
}

async function plan(checker: TerraformChecker, label: string, types: number, stackDir: string): Promise<PlanFigure> {
  const cpu0 = childCpuSeconds();
  try {
    const timing = await checker.mockPlan(stackDir, { label });
    const cpu1 = childCpuSeconds();
    const cpuSeconds = cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined;
    const f: PlanFigure = { label, types, timing, ...(cpuSeconds !== undefined ? { cpuSeconds } : {}) };
    const failure = timing.ok ? '' : ` FAILED: ${timing.diagnostics.map((d) => d.summary).join('; ').slice(0, 300)}`;
    console.log(
      `  ${label}: mock plan ${fmt(timing.wallSeconds)} s wall, ${cpuSeconds !== undefined ? `${fmt(cpuSeconds)} CPU s` : 'CPU n/a'} ` +
        `(init ${fmt(timing.initSeconds)} s, not counted), load ${load()}${failure}`,
    );
    return f;
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    console.log(`  ${label}: ${error}`);
    return { label, types, error };
  }
}

function fmt(n: number, digits = 1): string {
  return n.toFixed(digits);
}

function load(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

function synth(label: string, yaml: string, app?: string): string {
  const config = path.join(OUT, `${label}.yaml`);
  const outdir = path.join(OUT, label);
  writeFileSync(config, yaml);
  rmSync(outdir, { recursive: true, force: true });
  if (app === undefined) {
    synthConfig({ root: ROOT, config, outdir });
  } else {
    const r = spawnSync(process.execPath, [app], {
      cwd: path.dirname(path.dirname(app)),
      env: { ...process.env, TRACKING_CONFIG: config, CDKTF_OUTDIR: outdir },
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    if (r.status !== 0) throw new Error(`plan-scope: synth of ${label} with ${app} failed:\n${(r.stderr || r.stdout).slice(-3000)}`);
  }
  return outdir;
}

function streamsIn(stack: SynthesizedStack | undefined): number {
  if (stack === undefined) return 0;
  let n = 0;
  for (const r of stack.resources.values()) if (r.type === STREAM_TYPE) n++;
  return n;
}

/** Builds the app of an older commit in a detached worktree that shares this node_modules. */
function buildBefore(ref: string): { app: string; cleanup: () => void } {
  const dir = path.join(tmpdir(), `plan-scope-before-${process.pid}`);
  const git = (args: string[], cwd = ROOT): void => {
    const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`plan-scope: git ${args.join(' ')} failed: ${r.stderr}`);
  };
  git(['worktree', 'add', '--detach', dir, ref]);
  const cleanup = (): void => {
    spawnSync('git', ['worktree', 'remove', '--force', dir], { cwd: ROOT });
  };
  try {
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    const terrain = path.join(ROOT, 'terrain', 'node_modules');
    if (existsSync(terrain) && existsSync(path.join(dir, 'terrain'))) symlinkSync(terrain, path.join(dir, 'terrain', 'node_modules'), 'dir');
    const r = spawnSync(process.execPath, ['scripts/build.mjs', 'app'], { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`plan-scope: build of ${ref} failed: ${r.stderr}`);
  } catch (e) {
    cleanup();
    throw e;
  }
  return { app: path.join(dir, 'dist', 'main.js'), cleanup };
}

function perType(f: PlanFigure): { wall?: number; cpu?: number } {
  if (f.timing === undefined || !f.timing.ok) return {};
  return { wall: (f.timing.wallSeconds * 1000) / f.types, ...(f.cpuSeconds !== undefined ? { cpu: (f.cpuSeconds * 1000) / f.types } : {}) };
}

function cell(f: PlanFigure | undefined, timeout?: number): string {
  if (f === undefined) return 'not run';
  if (f.timing === undefined) return `error: ${f.error ?? 'unknown'}`;
  if (!f.timing.ok) {
    return timeout !== undefined && f.timing.wallSeconds >= timeout * 0.98 ? `more than ${fmt(timeout / 60, 0)} min (stopped)` : 'failed';
  }
  const p = perType(f);
  return `${fmt(f.timing.wallSeconds)} s (${fmt(f.cpuSeconds ?? NaN)} CPU s; ${fmt(p.wall ?? NaN)} / ${fmt(p.cpu ?? NaN)} ms per type)`;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  mkdirSync(OUT, { recursive: true });
  console.log(`node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), load ${load()}`);
  const checker = await TerraformChecker.create({ timeoutSeconds: opts.timeout });
  console.log(`terraform ${checker.terraformVersion} (${checker.terraform})\n`);
  const goals: { readonly goal: string; readonly figure: string; readonly met: boolean | undefined }[] = [];
  try {
    // ---- 1. Linear evaluation ------------------------------------------------------------------
    if (opts.linear) {
      console.log('1. One stack (layout: single), mock plan of every event type:');
      const after = new Map<number, PlanFigure>();
      for (const n of opts.sizes) {
        const outdir = synth(`single-${n}`, singleConfig(n));
        const stacks = findStacks(outdir);
        if (stacks.length !== 1) throw new Error(`plan-scope: layout single synthesized ${stacks.length} stacks for ${n} types`);
        after.set(n, await plan(checker, `single ${n} types`, n, stacks[0]!.dir));
      }
      const before = new Map<number, PlanFigure>();
      if (opts.before !== undefined) {
        console.log(`\n   before (${opts.before}, inline for_each), each stopped after ${opts.beforeTimeout} s:`);
        const old = buildBefore(opts.before);
        const beforeChecker = await TerraformChecker.create({ timeoutSeconds: opts.beforeTimeout });
        try {
          for (const n of opts.beforeSizes) {
            const outdir = synth(`before-${n}`, singleConfig(n, true), old.app);
            const stacks = findStacks(outdir);
            if (stacks.length !== 1) throw new Error(`plan-scope: ${opts.before} synthesized ${stacks.length} stacks for ${n} types`);
            before.set(n, await plan(beforeChecker, `before ${n} types`, n, stacks[0]!.dir));
          }
        } finally {
          beforeChecker.dispose();
          old.cleanup();
        }
      }
      console.log(`\n| event types in the stack | before (${opts.before ?? 'not run'}) | now |`);
      console.log('|---:|---:|---:|');
      for (const n of opts.sizes) console.log(`| ${n.toLocaleString('en-US')} | ${cell(before.get(n), opts.beforeTimeout)} | ${cell(after.get(n))} |`);
      const small = after.get(Math.min(...opts.sizes));
      const large = after.get(Math.max(...opts.sizes));
      if (small !== undefined && large !== undefined && small !== large) {
        const a = perType(small);
        const b = perType(large);
        const ratio = a.wall !== undefined && b.wall !== undefined ? b.wall / a.wall : undefined;
        const cpuRatio = a.cpu !== undefined && b.cpu !== undefined ? b.cpu / a.cpu : undefined;
        goals.push({
          goal: `plan time per type at ${large.types.toLocaleString('en-US')} types at most 2x that at ${small.types.toLocaleString('en-US')}`,
          figure: `${ratio !== undefined ? fmt(ratio, 2) : 'n/a'}x wall, ${cpuRatio !== undefined ? fmt(cpuRatio, 2) : 'n/a'}x CPU`,
          met: ratio === undefined ? undefined : ratio <= 2,
        });
      }
    }

    // ---- 2. Scope of a one-type addition ---------------------------------------------------------
    if (opts.scope) {
      const apps = 25;
      const perApp = 200;
      console.log(`\n2. One event type added to a ${(apps * perApp).toLocaleString('en-US')}-type environment (${apps} applications x ${perApp}):`);
      const rows: string[] = [];
      for (const layout of ['single', 'sharded'] as const) {
        const base = readStacks(synth(`${layout}-base`, scopeConfig({ apps, perApp, layout })));
        const headDir = synth(`${layout}-head`, scopeConfig({ apps, perApp, layout, extra: true }));
        const head = readStacks(headDir);
        const diff = diffStacks(base, head);
        const changed = diff.changedStacks;
        const streams = changed.reduce((s, id) => s + streamsIn(head.get(id)), 0);
        const reads = streams * READS_PER_STREAM;
        const readSeconds = reads / FIREHOSE_CALLS_PER_SECOND;
        console.log(
          `  ${layout}: ${head.size} stack(s); changed: ${changed.join(', ') || 'none'}; ${streams} delivery streams in them; ` +
            `${reads} Firehose reads = ${fmt(readSeconds, 0)} s at ${FIREHOSE_CALLS_PER_SECOND} calls/s`,
        );
        let planned: PlanFigure | undefined;
        if (layout === 'sharded' || opts.singlePlan) {
          const figures: PlanFigure[] = [];
          for (const id of changed) figures.push(await plan(checker, `${layout} changed stack ${id}`, streamsIn(head.get(id)), path.join(headDir, 'stacks', id)));
          const wall = figures.reduce((s, f) => s + (f.timing?.wallSeconds ?? NaN), 0);
          const cpu = figures.reduce((s, f) => s + (f.cpuSeconds ?? NaN), 0);
          planned = { label: layout, types: streams, ...(figures.every((f) => f.timing?.ok === true) ? { timing: { ...figures[0]!.timing!, wallSeconds: wall } } : { error: 'a plan failed' }), cpuSeconds: cpu };
        }
        rows.push(
          `| ${layout} | ${head.size} | ${changed.length} | ${streams.toLocaleString('en-US')} | ${reads.toLocaleString('en-US')} | ` +
            `${readSeconds >= 120 ? `${fmt(readSeconds / 60, 1)} min` : `${fmt(readSeconds, 0)} s`} | ` +
            `${planned?.timing ? `${fmt(planned.timing.wallSeconds)} s (${fmt(planned.cpuSeconds ?? NaN)} CPU s)` : planned ? 'failed' : 'not run'} |`,
        );
        if (layout === 'sharded') {
          goals.push({ goal: 'a one-type addition plans at most 1 shard', figure: `${changed.length} stack(s): ${changed.join(', ')}`, met: changed.length <= 1 });
          goals.push({ goal: 'its Firehose reads take at most 2 minutes at 5 calls/s', figure: `${reads} reads, ${fmt(readSeconds, 0)} s`, met: readSeconds <= 120 });
          const w = planned?.timing?.wallSeconds;
          goals.push({ goal: "the changed shard's mock plan takes at most 30 s", figure: w !== undefined ? `${fmt(w)} s` : 'failed', met: w === undefined ? false : w <= 30 });
        }
      }
      console.log('\n| layout | stacks | stacks changed | delivery streams in them | Firehose reads (Describe + ListTags) | at 5 calls/s | mock plan of the changed stacks |');
      console.log('|---|---:|---:|---:|---:|---:|---:|');
      rows.forEach((r) => console.log(r));
    }
  } finally {
    checker.dispose();
  }
  console.log('\n| goal | figure | met |');
  console.log('|---|---|---|');
  for (const g of goals) console.log(`| ${g.goal} | ${g.figure} | ${g.met === undefined ? 'n/a' : g.met ? 'yes' : 'NO'} |`);
  console.log(`\nload average at the end: ${load()} (wall times on a shared machine vary with load; CPU seconds vary less)`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
