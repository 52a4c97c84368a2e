/**
 * A redrive killed mid-run (SIGKILL while a batch is in flight) or stopped with Ctrl-C (SIGINT),
 * then started again with the same command: nothing is lost, and the only records sent twice are
 * the ones of the batch that was in flight (at most --batch-size). The compiled command line
 * (dist/scripts/redrive.js, built by jest's global setup) runs as a child process against the
 * emulators.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  arrivals,
  batchFailure,
  CONFIG_FILE,
  deadLetter,
  emptyBucket,
  envelope,
  ERROR_DIR,
  errorLine,
  listKeys,
  putObject,
  putToStream,
  startWorld,
  tagsOf,
  type World,
  APP_OPEN_STREAM,
  PAGE_VIEW_STREAM,
} from './harness';

const CLI = path.join(__dirname, '..', '..', 'dist', 'scripts', 'redrive.js');
const BATCH = 100;

let world: World;

beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.close();
});
beforeEach(async () => {
  world.firehose.reset();
  world.firehose.setFault(undefined);
  world.sqs.setFault(undefined);
  world.sqs.purge(world.dlqUrl);
  await emptyBucket(world);
});

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

function start(args: readonly string[]): { child: ChildProcess; exit: Promise<Exit> } {
  const child = spawn(
    process.execPath,
    [
      CLI,
      '--env', 'dev',
      '--config', CONFIG_FILE,
      '--batch-size', String(BATCH),
      '--retry-seconds', '5',
      '--progress', 'plain',
      '--endpoint', `s3=${world.endpoints.s3}`,
      '--endpoint', `firehose=${world.endpoints.firehose}`,
      '--endpoint', `kinesis=${world.endpoints.kinesis}`,
      '--endpoint', `sqs=${world.endpoints.sqs}`,
      ...args,
    ],
    {
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_EC2_METADATA_DISABLED: 'true', NODE_NO_WARNINGS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<Exit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, exit };
}

const idOf = (e: string): string => (JSON.parse(e) as { event_id: string }).event_id;

/** Every expected id arrived at least once; returns how many arrivals were duplicates. */
function checkArrivals(stream: string, expected: readonly string[]): number {
  const got = arrivals(world, stream);
  for (const id of expected) expect(got.get(id) ?? 0).toBeGreaterThanOrEqual(1);
  expect([...got.keys()].sort()).toEqual([...expected].sort());
  return [...got.values()].reduce((n, c) => n + c - 1, 0);
}

describe('errors: killed while a batch is in flight, then run again', () => {
  it('loses nothing and sends at most the batch in flight twice', async () => {
    // Prepare: 3 objects of 400 records: 12 batches of 100.
    const events: string[] = [];
    for (let o = 0; o < 3; o++) {
      const mine = Array.from({ length: 400 }, () => envelope('web-shop', 'page_view'));
      events.push(...mine);
      await putObject(world, `${ERROR_DIR}object-${o}`, mine.map((e) => errorLine(e)));
    }
    const checkpoint = path.join(world.dir, 'crash-errors.jsonl');
    // The 6th call is stored by Firehose, then the process dies before it hears the answer.
    const victim: { child?: ChildProcess } = {};
    world.firehose.setFault((call) => {
      if (call.index !== 5) return undefined;
      victim.child?.kill('SIGKILL');
      return { kind: 'delay', ms: 10_000 };
    });
    // Act 1: the run that is killed.
    const first = start(['--source', 'errors', '--checkpoint', checkpoint]);
    victim.child = first.child;
    const killed = await first.exit;
    expect(killed.signal).toBe('SIGKILL');
    const sentBefore = readFileSync(checkpoint, 'utf8').split('\n').filter((l) => l.includes('"t":"sent"')).length;
    expect(sentBefore).toBe(5); // five batches were confirmed and written down before the kill
    expect(existsSync(`${checkpoint}.lock`)).toBe(true); // left by the dead process
    // Act 2: the same command again.
    world.firehose.setFault(undefined);
    const callsBefore = world.firehose.calls.length;
    const second = start(['--source', 'errors', '--checkpoint', checkpoint]);
    const done = await second.exit;
    // Assess
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/Result: OK/);
    expect(world.firehose.calls.length - callsBefore).toBe(7); // 12 batches, 5 confirmed before the kill
    const duplicates = checkArrivals(PAGE_VIEW_STREAM, events.map(idOf));
    expect(duplicates).toBeGreaterThan(0); // the batch in flight was stored, and sent again
    expect(duplicates).toBeLessThanOrEqual(BATCH);
    for (const key of await listKeys(world, 'errors/')) expect((await tagsOf(world, key))['tracking-redrive']).toBe('done');
    expect(existsSync(`${checkpoint}.lock`)).toBe(false);
  });
});

describe('errors: Ctrl-C, then run again', () => {
  it('stops after the batch in flight, exits 130, and the next run finishes', async () => {
    const events = Array.from({ length: 600 }, () => envelope('web-shop', 'page_view'));
    await putObject(world, `${ERROR_DIR}ctrl-c`, events.map((e) => errorLine(e)));
    const checkpoint = path.join(world.dir, 'ctrl-c.jsonl');
    const victim: { child?: ChildProcess } = {};
    world.firehose.setFault((call) => {
      if (call.index !== 2) return undefined;
      victim.child?.kill('SIGINT');
      return { kind: 'delay', ms: 500 };
    });
    const first = start(['--source', 'errors', '--checkpoint', checkpoint]);
    victim.child = first.child;
    const stopped = await first.exit;
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toMatch(/SIGINT: stopping after the batch in flight/);
    expect(stopped.stdout).toMatch(/INTERRUPTED/);
    world.firehose.setFault(undefined);
    const second = await start(['--source', 'errors', '--checkpoint', checkpoint]).exit;
    expect(second.code).toBe(0);
    const duplicates = checkArrivals(PAGE_VIEW_STREAM, events.map(idOf));
    expect(duplicates).toBeLessThanOrEqual(BATCH);
    expect((await tagsOf(world, `${ERROR_DIR}ctrl-c`))['tracking-redrive']).toBe('done');
  });
});

describe('dlq: killed while a batch is in flight, then run again', () => {
  it('releases the messages the dead run held, loses nothing, and deletes every message', async () => {
    // Prepare: 250 dead letters (one record each); batches of 100.
    const events = Array.from({ length: 250 }, () => envelope('mobile-app', 'app_open'));
    for (const e of events) world.sqs.send(world.dlqUrl, deadLetter(e));
    const checkpoint = path.join(world.dir, 'crash-dlq.jsonl');
    const victim: { child?: ChildProcess } = {};
    world.firehose.setFault((call) => {
      if (call.index !== 1) return undefined;
      victim.child?.kill('SIGKILL');
      return { kind: 'delay', ms: 10_000 };
    });
    // Act 1: killed during the second batch, holding its messages (invisible for 300 s).
    const first = start(['--source', 'dlq', '--checkpoint', checkpoint, '--visibility-timeout', '300', '--wait-seconds', '1']);
    victim.child = first.child;
    expect((await first.exit).signal).toBe('SIGKILL');
    expect(world.sqs.messages(world.dlqUrl).filter((m) => m.invisibleUntil > Date.now()).length).toBeGreaterThan(0);
    // Act 2
    world.firehose.setFault(undefined);
    const done = await start(['--source', 'dlq', '--checkpoint', checkpoint, '--visibility-timeout', '300', '--wait-seconds', '1']).exit;
    // Assess: the held messages came back at once (not after 300 s) and were redriven.
    expect(done.code).toBe(0);
    expect(world.sqs.messages(world.dlqUrl)).toHaveLength(0);
    const duplicates = checkArrivals(APP_OPEN_STREAM, events.map(idOf));
    expect(duplicates).toBeGreaterThan(0);
    expect(duplicates).toBeLessThanOrEqual(BATCH);
  });
});

describe('dlq: a batch message split, killed or failing at each step, then run again', () => {
  // A batch the router's event source mapping gave up on: 20 records it can send now, and 25 of an
  // event type still missing from the config, which are written back to the queue (3
  // SendMessageBatch calls of 10, 10 and 5) before the batch message is deleted.
  const ROUTABLE = 20;
  const KEPT = 25;
  const SQS_BATCH = 10;
  const ARGS = ['--source', 'dlq', '--visibility-timeout', '300', '--wait-seconds', '1'];

  interface Batch {
    readonly routable: string[];
    readonly kept: string[];
  }

  async function batchMessage(): Promise<Batch> {
    const routable = Array.from({ length: ROUTABLE }, () => envelope('web-shop', 'page_view'));
    const kept = Array.from({ length: KEPT }, () => envelope('web-shop', 'retired'));
    let first: string | undefined;
    let last = '';
    for (const e of [...routable, ...kept]) {
      last = await putToStream(world, e);
      first ??= last;
    }
    world.sqs.send(world.dlqUrl, batchFailure(first!, last, ROUTABLE + KEPT));
    return { routable, kept };
  }

  /** The queue at the end: no batch message left, and how many times each kept record is in it as a dead letter. */
  function keptCopies(): Map<string, number> {
    const copies = new Map<string, number>();
    for (const m of world.sqs.messages(world.dlqUrl)) {
      const doc = JSON.parse(m.body) as { type?: string; data?: string };
      expect(doc.type).toBe('tracking.unroutable-record'); // the batch message itself is gone
      const id = idOf(Buffer.from(doc.data!, 'base64').toString('utf8'));
      copies.set(id, (copies.get(id) ?? 0) + 1);
    }
    return copies;
  }

  /** Every kept record is in the queue; returns how many copies are extra. */
  function checkKept(batch: Batch): number {
    const copies = keptCopies();
    expect([...copies.keys()].sort()).toEqual(batch.kept.map(idOf).sort());
    return [...copies.values()].reduce((n, c) => n + c - 1, 0);
  }

  const sqsCalls = (op: string): number => world.sqs.calls.filter((c) => c.operation === op).length;

  /**
   * Runs the command, killing it (SIGKILL) at the `nth` call of `operation` (1-based): that call
   * is `applied` by SQS (answered too late) or not (answered with an error nobody hears).
   */
  async function killedAt(checkpoint: string, operation: string, nth: number, applied: boolean): Promise<void> {
    const victim: { child?: ChildProcess } = {};
    let seen = 0;
    let killed = false;
    world.sqs.setFault((call) => {
      if (killed) return { kind: 'error', type: 'com.amazonaws.sqs#InternalError', status: 500 };
      if (call.operation !== operation || ++seen !== nth) return undefined;
      killed = true;
      victim.child?.kill('SIGKILL');
      return applied ? { kind: 'delay', ms: 10_000 } : { kind: 'error', type: 'com.amazonaws.sqs#InternalError', status: 500 };
    });
    const first = start([...ARGS, '--checkpoint', checkpoint]);
    victim.child = first.child;
    expect((await first.exit).signal).toBe('SIGKILL');
    expect(killed).toBe(true);
    world.sqs.setFault(undefined);
  }

  async function runAgain(checkpoint: string): Promise<Exit> {
    const done = await start([...ARGS, '--checkpoint', checkpoint]).exit;
    expect(done.code).toBe(0);
    return done;
  }

  beforeEach(() => {
    world.sqs.setFault(undefined);
  });

  it.each([
    ['the 2nd write-back call, before SQS applied it', 'SendMessageBatch', 2, false, 0],
    ['the 2nd write-back call, after SQS applied it (the answer never heard)', 'SendMessageBatch', 2, true, SQS_BATCH],
    ['the delete, before SQS applied it (every record already written back)', 'DeleteMessageBatch', 1, false, 0],
    ['the delete, after SQS applied it', 'DeleteMessageBatch', 1, true, 0],
  ] as const)('killed during %s: the next run finishes it, writing back at most the call in flight twice', async (_what, operation, nth, applied, maxExtra) => {
    // Prepare
    const batch = await batchMessage();
    const checkpoint = path.join(world.dir, `split-${operation}-${nth}-${String(applied)}.jsonl`);
    // Act
    await killedAt(checkpoint, operation, nth, applied);
    await runAgain(checkpoint);
    // Assess: every routable record arrived once (it was confirmed before the split), every kept
    // record is in the queue, and the extra copies are at most the SendMessageBatch in flight.
    expect(checkArrivals(PAGE_VIEW_STREAM, batch.routable.map(idOf))).toBe(0);
    const extra = checkKept(batch);
    expect(extra).toBeLessThanOrEqual(maxExtra);
    if (maxExtra > 0) expect(extra).toBe(SQS_BATCH); // the applied call was written again: exactly that one
    // A third run has nothing left to do.
    const sends = sqsCalls('SendMessageBatch');
    await runAgain(checkpoint);
    expect(sqsCalls('SendMessageBatch')).toBe(sends);
    expect(checkKept(batch)).toBe(extra);
  });

  it('killed while Firehose holds the routable records: they are sent again (one batch), and the kept ones written back once', async () => {
    const batch = await batchMessage();
    const checkpoint = path.join(world.dir, 'split-firehose.jsonl');
    const victim: { child?: ChildProcess } = {};
    world.firehose.setFault((call) => {
      if (call.index !== 0) return undefined;
      victim.child?.kill('SIGKILL');
      return { kind: 'delay', ms: 10_000 };
    });
    const first = start([...ARGS, '--checkpoint', checkpoint]);
    victim.child = first.child;
    expect((await first.exit).signal).toBe('SIGKILL');
    world.firehose.setFault(undefined);
    await runAgain(checkpoint);
    expect(checkArrivals(PAGE_VIEW_STREAM, batch.routable.map(idOf))).toBe(ROUTABLE); // the batch in flight, sent twice
    expect(checkKept(batch)).toBe(0);
  });

  it('a delete that fails (no crash): the run exits 1, and the next one deletes the message without writing anything back again', async () => {
    // Prepare: SQS refuses the delete of the batch message (AccessDenied, not retried).
    const batch = await batchMessage();
    const checkpoint = path.join(world.dir, 'split-delete-fails.jsonl');
    world.sqs.setFault((call) => (call.operation === 'DeleteMessageBatch' ? { kind: 'error', type: 'com.amazonaws.sqs#AccessDenied', status: 403 } : undefined));
    // Act 1
    const failed = await start([...ARGS, '--checkpoint', checkpoint]).exit;
    // Assess 1: the records were written back, the message is still there
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/AccessDenied/);
    expect(world.sqs.messages(world.dlqUrl)).toHaveLength(KEPT + 1);
    // Act 2: fixed
    world.sqs.setFault(undefined);
    const sends = sqsCalls('SendMessageBatch');
    const done = await runAgain(checkpoint);
    // Assess 2
    expect(sqsCalls('SendMessageBatch')).toBe(sends);
    expect(checkKept(batch)).toBe(0);
    expect(done.stdout).toMatch(/1 split/);
    expect(checkArrivals(PAGE_VIEW_STREAM, batch.routable.map(idOf))).toBe(0);
  });
});

describe('the command line', () => {
  it('prints plain progress lines when stderr is not a terminal', async () => {
    const events = Array.from({ length: 3 }, () => envelope('web-shop', 'page_view'));
    await putObject(world, `${ERROR_DIR}progress`, events.map((e) => errorLine(e)));
    const r = await start(['--source', 'errors', '--checkpoint', path.join(world.dir, 'progress.jsonl')]).exit;
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^redrive: errors in dev$/m);
    expect(r.stderr).toMatch(/^redrive: 1\/1 objects, 3 records read, 3 sent, 0 skipped, 0 failed$/m);
    expect(r.stderr).not.toContain('\r');
  });

  it('exits 2 with the usage on a bad command line', async () => {
    const r = await start(['--source', 'errors', '--mark', 'glue']).exit;
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/redrive: --mark must be tag or move, got "glue"\nusage: npm run redrive/);
  });
});
