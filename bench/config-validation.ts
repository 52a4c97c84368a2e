/**
 * Config validation benchmark: time of `parseConfig` (YAML parse, schema, every semantic check,
 * resolution) at 10,000, 20,000 and 100,000 event types, for the config shapes below. The loader
 * runs on every synth, review and pull request, so its cost must grow linearly with the config:
 * the figure to watch is the 100,000 / 10,000 ratio (linear is 10; the target is below 15).
 *
 *   npm run build && npx node dist/bench/config-validation.js           # every shape, 10k/20k/100k
 *   node dist/bench/config-validation.js 10000 40000                    # chosen sizes
 *   node dist/bench/config-validation.js --shape one-shard 10000        # one shape
 *   node dist/bench/config-validation.js --work 1000 4000               # array work, as JSON
 *
 * Each (shape, size) runs in its own process (a warm-up validation at 2,000 event types, then the
 * median of 3 runs, 1 at 100,000), so that no run inherits another's heap; wall and CPU time are
 * both reported (CPU time, GC threads included, is steadier on a shared machine).
 *
 * `--work` runs no clock: it counts the array elements the validation touches (iterator steps of
 * arrays, sets and maps, the length of each array a built-in method walks, such as map, filter,
 * find, includes or sort, and of each copy slice or concat makes), which is deterministic. A
 * linear validation touches about 8 times the elements at 8 times the event types; a loop that
 * copies or searches a list per event type touches up to 64 times as many.
 * __tests__/config/validation-work.test.ts asserts on these counts, so the test never depends on
 * the machine's speed.
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { ConfigError } from '../config/errors';
import { parseConfig } from '../config/loader';

/** A config shape, given the number of event types. */
interface Shape {
  readonly name: string;
  readonly what: string;
  readonly yaml: (n: number) => string;
}

const HEADER = (envs: string[], stacks: string): string[] => [
  'project: bench',
  `stacks: { ${stacks} }`,
  'environments:',
  ...envs,
  'applications:',
];

/** `n` plain event types in applications of `perApp`. */
function plainApps(n: number, perApp: number, lines: string[]): void {
  for (let a = 0; a * perApp < n; a++) {
    lines.push(`  - name: app${a}`, '    eventTypes:');
    for (let i = a * perApp; i < Math.min(n, (a + 1) * perApp); i++) lines.push(`      - type_${i}`);
  }
}

const RAISED = 'streamQuota: { deliveryStreamsPerRegion: 1000000 }';

export const SHAPES: readonly Shape[] = [
  {
    name: 'one-shard',
    what: 'one application holding every event type, sharded layout: one shard, which the loader refuses as too large',
    yaml: (n) => {
      const lines = HEADER([`  dev: { region: us-east-1, ${RAISED} }`], 'layout: sharded');
      plainApps(n, n, lines);
      return `${lines.join('\n')}\n`;
    },
  },
  {
    name: 'single',
    what: 'one application holding every event type, single layout, accepted',
    yaml: (n) => {
      const lines = HEADER([`  dev: { region: us-east-1, ${RAISED} }`], 'layout: single');
      plainApps(n, n, lines);
      return `${lines.join('\n')}\n`;
    },
  },
  {
    name: 'sharded',
    what:
      'two environments, 100 event types per application, sharded layout, every 10th type with options and its own shard, ' +
      'every 50th with an inline schema, alarms on 100 streams, accepted',
    yaml: (n) => {
      const alarms = Array.from({ length: Math.min(100, n) }, (_, i) => `app${Math.floor(i / 100)}/type_${i}`);
      const env = (name: string, region: string): string =>
        `  ${name}: { region: ${region}, ${RAISED}, alarms: { perStreamAlarms: [${alarms.join(', ')}] } }`;
      const lines = HEADER([env('dev', 'us-east-1'), env('prod', 'eu-west-1')], 'layout: sharded');
      for (let a = 0; a * 100 < n; a++) {
        lines.push(`  - name: app${a}`, '    eventTypes:');
        for (let i = a * 100; i < Math.min(n, (a + 1) * 100); i++) {
          if (i % 50 === 0) {
            lines.push(
              `      - name: type_${i}`,
              `        shard: app${a}-s`,
              '        schema: { type: object, properties: { amount: { type: integer }, sku: { type: string, maxLength: 32 } }, required: [amount] }',
            );
          } else if (i % 10 === 0) {
            lines.push(`      - { name: type_${i}, shard: app${a}-s, compression: GZIP, buffering: { intervalSeconds: 60 } }`);
          } else lines.push(`      - type_${i}`);
        }
      }
      return `${lines.join('\n')}\n`;
    },
  },
  {
    name: 'anchors',
    what: 'one application, every event type sharing one buffering setting through a YAML anchor (*fast), single layout, accepted',
    yaml: (n) => {
      const lines = HEADER([`  dev: { region: us-east-1, ${RAISED} }`], 'layout: single');
      lines.push('  - name: app0', '    eventTypes:');
      for (let i = 0; i < n; i++) {
        lines.push(i === 0 ? '      - { name: type_0, buffering: &fast { sizeMiB: 8, intervalSeconds: 60 } }' : `      - { name: type_${i}, buffering: *fast }`);
      }
      return `${lines.join('\n')}\n`;
    },
  },
  {
    name: 'refused',
    what: 'every event type refused (a delivery stream name over 64 characters), so every one is located and reported',
    yaml: (n) => {
      const lines = HEADER([`  dev: { region: us-east-1, ${RAISED} }`], 'layout: sharded');
      const long = 'x'.repeat(50);
      for (let a = 0; a * 100 < n; a++) {
        lines.push(`  - name: app${a}`, '    eventTypes:');
        for (let i = a * 100; i < Math.min(n, (a + 1) * 100); i++) lines.push(`      - ${long}_${i}`);
      }
      return `${lines.join('\n')}\n`;
    },
  },
  {
    name: 'environments',
    what: 'one environment per 10 event types (n/10 environments), 10 event types, single layout, accepted',
    yaml: (n) => {
      const envs = Array.from({ length: Math.max(1, Math.floor(n / 10)) }, (_, i) => `  e${i}: { region: us-east-1, ${RAISED} }`);
      const lines = HEADER(envs, 'layout: single');
      plainApps(10, 10, lines);
      return `${lines.join('\n')}\n`;
    },
  },
  {
    name: 'environments-refused',
    what: 'one environment per 10 event types (n/10 environments), each refused (an unknown region), so every one is located and reported',
    yaml: (n) => {
      const envs = Array.from({ length: Math.max(1, Math.floor(n / 10)) }, (_, i) => `  e${i}: { region: moon-${i}, ${RAISED} }`);
      const lines = HEADER(envs, 'layout: single');
      plainApps(10, 10, lines);
      return `${lines.join('\n')}\n`;
    },
  },
  {
    name: 'references-refused',
    what:
      '10 event types per application; n/10 hot-path rules and n/10 collector applications, each naming what the config does ' +
      'not declare, so every one gets its "declared here are ..." hint',
    yaml: (n) => {
      const m = Math.max(1, Math.floor(n / 10));
      const rules = Array.from({ length: m }, (_, i) => `        - { name: r${i}, eventType: app${i}/missing, match: { field: a, op: exists, value: true } }`);
      const ghosts = Array.from({ length: m }, (_, i) => `        ghost${i}: { writeKeys: [${i.toString(16).padStart(64, '0')}] }`);
      const lines = HEADER(
        [
          `  dev:`,
          `    region: us-east-1`,
          `    ${RAISED}`,
          '    rootStream:',
          '      enabled: true',
          '      hotPath:',
          '        rules:',
          ...rules.map((r) => `  ${r}`),
          '    collector:',
          '      enabled: true',
          '      applications:',
          ...ghosts,
        ],
        'layout: sharded',
      );
      plainApps(n, 10, lines);
      return `${lines.join('\n')}\n`;
    },
  },
];

/** Validates `text`; true when the config was accepted, false when the loader refused it. */
function validate(text: string): boolean {
  try {
    parseConfig(text, 'bench.yaml');
    return true;
  } catch (err) {
    if (err instanceof ConfigError) return false;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Array work: a deterministic measure of the elements the validation touches
// ---------------------------------------------------------------------------------------------

/** Array methods whose work is proportional to the array's length. */
const WALKING_METHODS = [
  'concat', 'copyWithin', 'every', 'fill', 'filter', 'find', 'findIndex', 'findLast', 'findLastIndex', 'flat', 'flatMap',
  'forEach', 'includes', 'indexOf', 'join', 'lastIndexOf', 'map', 'reduce', 'reduceRight', 'reverse', 'shift', 'slice',
  'some', 'sort', 'splice', 'toReversed', 'toSorted', 'toSpliced', 'unshift', 'with',
] as const;

/**
 * Runs `fn` and returns the number of elements it touched through arrays, sets and maps: each
 * iterator step (for-of, spread, destructuring, Array.from, new Set/Map of an iterable), the
 * length of the array each walking method runs on (of the copy, for slice and concat; a search
 * that stops early counts the whole array), and the length of what Object.keys/values/entries
 * return. Deterministic for a given input.
 */
export function countArrayWork(fn: () => void): number {
  let work = 0;
  const restore: (() => void)[] = [];
  const patch = (target: object, key: string, wrap: (orig: (...a: unknown[]) => unknown) => (...a: unknown[]) => unknown): void => {
    const d = Object.getOwnPropertyDescriptor(target, key);
    if (d === undefined || typeof d.value !== 'function') return;
    Object.defineProperty(target, key, { ...d, value: wrap(d.value as (...a: unknown[]) => unknown) });
    restore.push(() => Object.defineProperty(target, key, d));
  };
  const iterators = [[][Symbol.iterator](), new Set()[Symbol.iterator](), new Map()[Symbol.iterator]()].map((it) => Object.getPrototypeOf(it) as object);
  for (const proto of iterators) {
    patch(proto, 'next', (orig) =>
      function (this: unknown, ...a: unknown[]) {
        work++;
        return orig.apply(this, a);
      },
    );
  }
  for (const m of WALKING_METHODS) {
    // slice and concat copy what they return; the others walk (at most) the array they run on.
    const copies = m === 'slice' || m === 'concat';
    patch(Array.prototype, m, (orig) =>
      function (this: unknown[], ...a: unknown[]) {
        const r = orig.apply(this, a);
        work += (copies ? (r as unknown[]).length : this.length) + 1;
        return r;
      },
    );
  }
  for (const m of ['keys', 'values', 'entries'] as const) {
    patch(Object, m, (orig) =>
      function (this: unknown, ...a: unknown[]) {
        const r = orig.apply(this, a) as unknown[];
        work += r.length + 1;
        return r;
      },
    );
  }
  try {
    fn();
  } finally {
    for (const r of restore.reverse()) r();
  }
  return work;
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

interface Timing {
  /** Wall time of one validation, seconds (median of the runs). */
  readonly wall: number;
  /** CPU time of the process during it (user + system, every thread: GC included), seconds. */
  readonly cpu: number;
  readonly accepted: boolean;
  /** Resident set size after the runs, MiB. */
  readonly rssMiB: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** In a child process: a warm-up validation at 2,000 event types, then `runs` timed ones at `n`. */
function timeOne(shape: Shape, n: number, runs: number): Timing {
  validate(shape.yaml(2_000));
  const text = shape.yaml(n);
  const walls: number[] = [];
  const cpus: number[] = [];
  let accepted = false;
  for (let i = 0; i < runs; i++) {
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    accepted = validate(text);
    walls.push(Number(process.hrtime.bigint() - t0) / 1e9);
    const cpu = process.cpuUsage(cpu0);
    cpus.push((cpu.user + cpu.system) / 1e6);
  }
  return { wall: median(walls), cpu: median(cpus), accepted, rssMiB: process.memoryUsage().rss / 1_048_576 };
}

function main(): void {
  const args = process.argv.slice(2);
  const shapeArg = args.indexOf('--shape');
  const only = shapeArg >= 0 ? args[shapeArg + 1] : undefined;
  const shapes = SHAPES.filter((s) => only === undefined || s.name === only);
  if (shapes.length === 0) {
    console.error(`unknown --shape ${String(only)}; use one of ${SHAPES.map((s) => s.name).join(', ')}`);
    process.exit(2);
  }
  const sizes = args.filter((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--shape' && args[i - 1] !== '--runs').map(Number);

  if (args.includes('--work')) {
    // The count does not depend on the JIT, but the first validation of a process also builds
    // what the loader caches (the JSON Schema behind "did you mean" hints, zod's own): one small
    // run of each shape first, so that every count is the work of that validation alone.
    const out: Record<string, Record<string, { work: number; accepted: boolean }>> = {};
    for (const s of shapes) validate(s.yaml(20));
    for (const s of shapes) {
      out[s.name] = {};
      for (const n of sizes.length > 0 ? sizes : [1_000, 4_000]) {
        const text = s.yaml(n);
        let accepted = false;
        const work = countArrayWork(() => {
          accepted = validate(text);
        });
        out[s.name]![n] = { work, accepted };
      }
    }
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }

  if (args.includes('--child')) {
    const runsArg = args.indexOf('--runs');
    const runs = runsArg >= 0 ? Number(args[runsArg + 1]) : 1;
    process.stdout.write(`${JSON.stringify(timeOne(shapes[0]!, sizes[0]!, runs))}\n`);
    return;
  }

  // Each (shape, size) in its own process, so that no run inherits another's heap.
  const ns = sizes.length > 0 ? sizes : [10_000, 20_000, 100_000];
  console.log(`node ${process.version}, ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log('each size in a new process: a warm-up validation at 2,000 event types, then the median of 3 runs (1 at 100,000 and above)');
  const rows: string[] = [];
  for (const s of shapes) {
    const timings: Timing[] = [];
    for (const n of ns) {
      const runs = n >= 100_000 ? 1 : 3;
      const r = spawnSync(process.execPath, [__filename, '--child', '--shape', s.name, '--runs', String(runs), String(n)], { encoding: 'utf8', maxBuffer: 1 << 24 });
      if (r.status !== 0) throw new Error(`${s.name} at ${n} failed: ${r.stderr}`);
      const t = JSON.parse(r.stdout) as Timing;
      timings.push(t);
      console.error(`${s.name} n=${n}: ${t.wall.toFixed(3)} s wall, ${t.cpu.toFixed(3)} s CPU, ${t.rssMiB.toFixed(0)} MiB (${t.accepted ? 'accepted' : 'refused'})`);
    }
    const first = timings[0]!;
    const last = timings[timings.length - 1]!;
    const ratio = ns.length > 1 ? `${(last.wall / first.wall).toFixed(1)} (CPU ${(last.cpu / first.cpu).toFixed(1)})` : 'n/a';
    rows.push(
      `| ${s.name} | ${timings.map((t) => `${t.wall.toFixed(2)} s (${t.cpu.toFixed(2)})`).join(' | ')} | ${ratio} | ${last.rssMiB.toFixed(0)} MiB | ${last.accepted ? 'accepted' : 'refused'} |`,
    );
  }
  const span = ns.length > 1 ? `${ns[ns.length - 1]!.toLocaleString('en-US')} / ${ns[0]!.toLocaleString('en-US')}` : 'ratio';
  console.log(`\n| shape | ${ns.map((n) => `${n.toLocaleString('en-US')} wall (CPU)`).join(' | ')} | ${span} | RSS at ${ns[ns.length - 1]!.toLocaleString('en-US')} | result |`);
  console.log(`|---|${ns.map(() => '---:').join('|')}|---:|---:|---|`);
  rows.forEach((r) => console.log(r));
  console.log('');
  for (const s of shapes) console.log(`- ${s.name}: ${s.what}`);
}

if (require.main === module) main();
