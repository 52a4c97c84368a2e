/**
 * The local pipeline (`tracking dev`): start-up time, the latency from track() to a row a query
 * sees, and sustained throughput with every event accounted for. Runs the built command as a
 * process, as users do, on the example config's dev environment (config/tracking.yaml).
 *
 *   node scripts/build.mjs && node dist/bench/dev.js [--events 20000] [--skip-cold]
 *
 * 1. Start-up: from spawning `tracking dev` to its ready line, cold (an empty evaluation cache:
 *    synth plus a mock-provider apply) and warm (the evaluation cached, synth every time).
 * 2. Latency, with `--flush-seconds 1`: one event at a time, from `track()` (the Node tracker,
 *    direct and root-stream modes, default options: it batches for up to 1 s) and from an HTTP
 *    request to the collector, to the first query (DuckDB through the query command's views) that
 *    returns its row; queries every 100 ms. 5 samples per entry point: median and max.
 * 3. Throughput: `--events` page views through the collector (requests of 100 events, 8 at a time)
 *    and through the tracker (direct mode, packed records, root-stream mode), measured from the
 *    first send until every event is confirmed; then the runtime delivers what it holds
 *    (POST /_local/flush) and a query counts the rows: every event must be there exactly once.
 *    Also the CPU time the runtime and its functions used (from /proc), which the machine's other
 *    load does not change.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runQuery } from '../cli/query/query';
import { catalogForConfig } from '../cli/types/catalog';
import { createTracker } from '../client/node/index';

const ROOT = path.resolve(__dirname, '..', '..');
const CONFIG = path.join(ROOT, 'config', 'tracking.yaml');
const DEV = path.join(ROOT, 'dist', 'cli', 'dev', 'main.js');

interface Ready {
  readonly collector: string;
  readonly awsEndpoint: string;
  readonly dataDir: string;
  readonly writeKeys: Record<string, string>;
}

interface Running {
  readonly ready: Ready;
  readonly seconds: number;
  readonly child: ChildProcess;
}

function start(env: NodeJS.ProcessEnv, flushSeconds?: number): Promise<Running> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-dev-'));
  const started = performance.now();
  const child = spawn(process.execPath, [DEV, '--config', CONFIG, '--env', 'dev', '--port', '0', '--data-dir', dataDir, ...(flushSeconds !== undefined ? ['--flush-seconds', String(flushSeconds)] : [])], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl !== -1) resolve({ ready: JSON.parse(out.slice(0, nl)) as Ready, seconds: (performance.now() - started) / 1000, child });
    });
    child.on('exit', (code) => reject(new Error(`tracking dev exited (${String(code)}):\n${err}`)));
  });
}

async function stop(r: Running): Promise<void> {
  const exited = new Promise((resolve) => r.child.on('exit', resolve));
  r.child.kill('SIGTERM');
  await exited;
  rmSync(r.ready.dataDir, { recursive: true, force: true });
}

/**
 * CPU seconds (user + system) used so far by a process and its living descendants, from /proc
 * (Linux): a figure the machine's other load does not change, unlike wall time.
 */
function cpuSeconds(root: number): number {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const text = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(name), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // gone
    }
  }
  const tree = new Set([root]);
  for (let grown = true; grown; ) {
    grown = false;
    for (const [pid, s] of stats) {
      if (!tree.has(pid) && tree.has(s.ppid)) {
        tree.add(pid);
        grown = true;
      }
    }
  }
  let ticks = 0;
  for (const pid of tree) ticks += stats.get(pid)?.ticks ?? 0;
  return ticks / 100;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function rows(dataDir: string, sql: string): Promise<number> {
  const r = await runQuery(dataDir, sql);
  return Number(r.rows[0]?.n ?? 0);
}

async function latency(r: Running, send: (eventId: string) => Promise<void>): Promise<number> {
  const eventId = randomUUID();
  const t0 = performance.now();
  await send(eventId);
  for (;;) {
    if ((await rows(r.ready.dataDir, `SELECT count(*) AS n FROM acme_dev_tracking.web_shop__page_view WHERE json_extract_string(raw, '$.event_id') = '${eventId}'`)) > 0) return (performance.now() - t0) / 1000;
    if (performance.now() - t0 > 60_000) throw new Error(`event ${eventId} not visible after 60 s`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

async function collectorPost(r: Running, events: readonly object[]): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${r.ready.collector}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-write-key': r.ready.writeKeys['web-shop']! },
      body: JSON.stringify({ events }),
    });
    const body = (await res.json()) as { accepted?: number; retry?: { index: number }[] };
    if (res.status === 200 && body.accepted === events.length) return;
    if (res.status !== 503 || attempt > 20) throw new Error(`collector answered ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
    // Send again exactly the events it asks for.
    events = (body.retry ?? []).map((x) => events[x.index]!);
    await new Promise((res2) => setTimeout(res2, 200));
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const n = Number(args[args.indexOf('--events') + 1] ?? 20_000) || 20_000;
  const out: string[] = [];
  const say = (line: string): void => {
    console.log(line);
    out.push(line);
  };
  say(`# tracking dev: ${new Date().toISOString()}, Node ${process.version}, load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')}`);

  // 1. Start-up.
  if (!args.includes('--skip-cold')) {
    const cache = mkdtempSync(path.join(tmpdir(), 'bench-dev-cache-'));
    const cold = await start({ TRACKING_CACHE_DIR: cache });
    say(`start-up, cold (synth + mock apply): ${cold.seconds.toFixed(1)} s`);
    await stop(cold);
    const warm = await start({ TRACKING_CACHE_DIR: cache });
    say(`start-up, warm (synth, evaluation cached): ${warm.seconds.toFixed(1)} s`);
    await stop(warm);
    rmSync(cache, { recursive: true, force: true });
  }

  // 2. Latency with --flush-seconds 1.
  const r = await start({}, 1);
  say(`start-up (default cache): ${r.seconds.toFixed(1)} s`);
  const env = { AWS_ENDPOINT_URL: r.ready.awsEndpoint, AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench' };
  Object.assign(process.env, env);
  for (const mode of ['direct', 'root-stream'] as const) {
    const t = createTracker({ project: 'acme', environment: 'dev', catalog: catalogForConfig(CONFIG), mode });
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) samples.push(await latency(r, (id) => t.track('web-shop', 'page_view', { event_id: id, path: '/latency' })));
    await t.close();
    say(`latency track() -> row, tracker ${mode}: median ${median(samples).toFixed(2)} s, max ${Math.max(...samples).toFixed(2)} s`);
  }
  {
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) samples.push(await latency(r, (id) => collectorPost(r, [{ event_type: 'page_view', event_id: id, path: '/latency' }])));
    say(`latency HTTP request -> row, collector: median ${median(samples).toFixed(2)} s, max ${Math.max(...samples).toFixed(2)} s`);
  }

  // 3. Throughput.
  const count = async (prefix: string): Promise<{ rows: number; distinct: number }> => {
    const res = await runQuery(r.ready.dataDir, `SELECT count(*) AS n, count(DISTINCT json_extract_string(raw, '$.event_id')) AS d FROM acme_dev_tracking.web_shop__page_view WHERE starts_with(json_extract_string(raw, '$.event_id'), '${prefix}')`);
    return { rows: Number(res.rows[0]!.n), distinct: Number(res.rows[0]!.d) };
  };
  const flush = async (): Promise<void> => void (await fetch(`${r.ready.awsEndpoint}/_local/flush`, { method: 'POST' }));
  {
    const prefix = `http-${randomUUID().slice(0, 8)}-`;
    const batches = Array.from({ length: Math.ceil(n / 100) }, (_, b) => Array.from({ length: Math.min(100, n - b * 100) }, (_, i) => ({ event_type: 'page_view', event_id: `${prefix}${b * 100 + i}`, path: `/p/${i}`, n: i })));
    const cpu0 = cpuSeconds(r.child.pid!);
    const t0 = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < batches.length) await collectorPost(r, batches[next++]!);
    }));
    const accepted = (performance.now() - t0) / 1000;
    await flush();
    const delivered = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(r.child.pid!) - cpu0;
    const c = await count(prefix);
    say(`throughput, collector: ${n} events accepted in ${accepted.toFixed(1)} s = ${Math.round(n / accepted)} events/s; all delivered after ${delivered.toFixed(1)} s = ${Math.round(n / delivered)} events/s; runtime CPU ${cpu.toFixed(1)} s = ${Math.round(n / cpu)} events per CPU-second; rows ${c.rows}, distinct ${c.distinct}${c.rows === n && c.distinct === n ? ' (every event once)' : ' (MISMATCH)'}`);
  }
  for (const mode of ['direct', 'root-stream'] as const) {
    const prefix = `${mode}-${randomUUID().slice(0, 8)}-`;
    const t = createTracker({ project: 'acme', environment: 'dev', catalog: catalogForConfig(CONFIG), mode });
    const cpu0 = cpuSeconds(r.child.pid!);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await t.track('web-shop', 'page_view', { event_id: `${prefix}${i}`, path: `/p/${i}`, n: i });
    await t.close();
    const confirmed = (performance.now() - t0) / 1000;
    await flush();
    const delivered = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(r.child.pid!) - cpu0;
    const c = await count(prefix);
    const failed = t.metrics().eventsFailed;
    say(`throughput, tracker ${mode}: ${n} events confirmed in ${confirmed.toFixed(1)} s = ${Math.round(n / confirmed)} events/s; all delivered after ${delivered.toFixed(1)} s = ${Math.round(n / delivered)} events/s; runtime CPU ${cpu.toFixed(1)} s = ${Math.round(n / cpu)} events per CPU-second; rows ${c.rows}, distinct ${c.distinct}, failed ${failed}${c.rows === n && c.distinct === n ? ' (every event once)' : ' (MISMATCH)'}`);
  }
  await stop(r);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
