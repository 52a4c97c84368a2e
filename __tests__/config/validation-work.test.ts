/**
 * Config validation stays linear in the size of the config: the elements it touches (counted by
 * the built benchmark, bench/config-validation.ts --work, which instruments arrays, sets and maps)
 * grow 8 times, not 64 times, when each shape grows from 500 to 4,000 event types. A count, not
 * a clock: deterministic on any machine. The timings are in bench/README.md.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const SMALL = 500;
const LARGE = 4_000;

type Counts = Record<string, Record<string, { work: number; accepted: boolean }>>;

function countWork(...args: string[]): Counts {
  const r = spawnSync(process.execPath, ['dist/bench/config-validation.js', '--work', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`config-validation --work failed (${String(r.status)}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Counts;
}

describe('config validation work', () => {
  let counts: Counts;
  beforeAll(() => {
    counts = countWork(String(SMALL), String(LARGE));
  });

  // Whether each shape is accepted, so that each exercises the path it is named for.
  const shapes: [string, boolean][] = [
    ['one-shard', false],
    ['single', true],
    ['sharded', true],
    ['anchors', true],
    ['refused', false],
    ['environments', true],
    ['environments-refused', false],
    ['references-refused', false],
  ];

  it.each(shapes)('%s: 8x the event types is at most 9x the work (linear; a per-type copy or search would be up to 64x)', (shape, accepted) => {
    // Prepare
    const c = counts[shape]!;
    // Act
    const ratio = c[LARGE]!.work / c[SMALL]!.work;
    // Assess
    expect(c[SMALL]!.accepted).toBe(accepted);
    expect(c[LARGE]!.accepted).toBe(accepted);
    expect(ratio).toBeGreaterThan(6.5); // it did measure the validation
    expect(ratio).toBeLessThan(9);
  });

  it('the count is deterministic: another process counts the same', () => {
    expect(countWork('--shape', 'sharded', String(SMALL)).sharded).toEqual({ [SMALL]: counts.sharded![SMALL] });
  });
});
