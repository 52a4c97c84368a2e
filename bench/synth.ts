/**
 * Synth benchmark: wall time and peak RSS of `npm run synth` for 1, 100, 1,000 and 5,000 event
 * types in one environment, next to a baseline app built the way `cdktf init` leads to
 * (ts-node, provider imported from the package root, one resource per type, `cdktf synth`).
 *
 *   npm run bench:synth                 # all sizes
 *   node dist/bench/synth.js 1 100      # chosen sizes
 *   node dist/bench/synth.js --no-baseline
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.join(ROOT, 'bench', '.out', 'synth');
const TIME = '/usr/bin/time';

/**
 * A config with `n` event types in one environment, 100 types per application, in one stack
 * (`layout: single`, like the baseline; above 250 types the loader asks for an explicit layout).
 */
export function benchConfig(n: number): string {
  const lines = ['project: bench', 'environments:', '  dev: { region: us-east-1, stacks: { layout: single } }', 'applications:'];
  for (let a = 0; a * 100 < n; a++) {
    lines.push(`  - name: app${a}`, '    eventTypes:');
    for (let i = a * 100; i < Math.min(n, (a + 1) * 100); i++) lines.push(`      - type_${i}`);
  }
  return `${lines.join('\n')}\n`;
}

interface Run {
  readonly seconds: number;
  readonly peakMiB: number | undefined;
  readonly ok: boolean;
}

/** Runs a command, returning wall time and the peak RSS of its largest process (GNU time). */
function measure(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Run {
  const useTime = existsSync(TIME);
  const start = process.hrtime.bigint();
  const r = useTime
    ? spawnSync(TIME, ['-f', '__PEAK_KB__=%M', cmd, ...args], { cwd, env, encoding: 'utf8', maxBuffer: 1 << 26 })
    : spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const kb = /__PEAK_KB__=(\d+)/.exec(r.stderr ?? '')?.[1];
  if (r.status !== 0) process.stderr.write(`${cmd} ${args.join(' ')} failed:\n${(r.stderr ?? '').slice(-2000)}\n`);
  return { seconds, peakMiB: kb ? Number(kb) / 1024 : undefined, ok: r.status === 0 };
}

function main(): void {
  const args = process.argv.slice(2);
  const baseline = !args.includes('--no-baseline');
  const sizes = args.filter((a) => /^\d+$/.test(a)).map(Number);
  const ns = sizes.length > 0 ? sizes : [1, 100, 1_000, 5_000];
  mkdirSync(OUT, { recursive: true });
  const env = { ...process.env, CHECKPOINT_DISABLE: '1', DISABLE_VERSION_CHECK: 'true' };
  const rows: string[] = [];
  console.log(`node ${process.version}, ${cpus().length} cores`);
  for (const n of ns) {
    const config = path.join(OUT, `config-${n}.yaml`);
    writeFileSync(config, benchConfig(n));
    const oursOut = path.join(OUT, `ours-${n}`);
    rmSync(oursOut, { recursive: true, force: true });
    const ours = measure('npm', ['run', '--silent', 'synth'], ROOT, { ...env, TRACKING_CONFIG: config, CDKTF_OUTDIR: oursOut });
    console.log(`ours     N=${n}: ${ours.seconds.toFixed(2)} s, peak ${ours.peakMiB?.toFixed(0) ?? 'n/a'} MiB${ours.ok ? '' : ' (FAILED)'}`);
    let base: Run | undefined;
    if (baseline) {
      const baseOut = path.join(OUT, `baseline-${n}`);
      rmSync(baseOut, { recursive: true, force: true });
      base = measure(path.join(ROOT, 'node_modules', '.bin', 'cdktf'), ['synth', '--output', baseOut], path.join(ROOT, 'bench', 'baseline'), {
        ...env,
        TRACKING_CONFIG: config,
      });
      console.log(`baseline N=${n}: ${base.seconds.toFixed(2)} s, peak ${base.peakMiB?.toFixed(0) ?? 'n/a'} MiB${base.ok ? '' : ' (FAILED)'}`);
    }
    if (!ours.ok || (base !== undefined && !base.ok)) process.exitCode = 1;
    const speedup = base && base.ok && ours.ok ? `${(base.seconds / ours.seconds).toFixed(1)}x` : 'n/a';
    const memRatio = base?.peakMiB && ours.peakMiB ? `${(base.peakMiB / ours.peakMiB).toFixed(1)}x` : 'n/a';
    rows.push(
      `| ${n.toLocaleString('en-US')} | ${ours.ok ? `${ours.seconds.toFixed(2)} s` : 'FAILED'} | ${ours.peakMiB?.toFixed(0) ?? 'n/a'} MiB | ` +
        `${base ? `${base.seconds.toFixed(2)} s` : 'not run'} | ${base?.peakMiB?.toFixed(0) ?? 'n/a'} MiB | ${speedup} | ${memRatio} |`,
    );
  }
  console.log('\n| event types | `npm run synth` | peak RSS | baseline (`cdktf synth`, ts-node, root import) | baseline peak RSS | faster | less memory |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  rows.forEach((r) => console.log(r));
}

main();
