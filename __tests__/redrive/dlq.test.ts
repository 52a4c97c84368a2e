/**
 * `--source dlq` against the SQS stand-in (the router's dead-letter queue), kinesalite (the root
 * stream, for records a message does not carry) and the Firehose stand-in.
 */
import { runRedrive } from '../../scripts/redrive-lib/run';
import {
  APP_OPEN_STREAM,
  arrivals,
  batchFailure,
  deadLetter,
  envelope,
  FAST_CALLS,
  options,
  PAGE_VIEW_STREAM,
  putToStream,
  startWorld,
  testConfig,
  type World,
} from './harness';

let world: World;
const config = testConfig();

beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.close();
});
beforeEach(() => {
  world.firehose.reset();
  world.firehose.setFault(undefined);
  world.sqs.setFault(undefined);
  world.sqs.purge(world.dlqUrl);
});

let runs = 0;
const run = (o: Partial<Parameters<typeof options>[1]> = {}, name = `dlq-${++runs}`) =>
  runRedrive(options(world, { source: 'dlq', ...o }, name), { config, clients: world.clients(), callPolicy: FAST_CALLS, requestTimeoutMs: 2_000, cwd: world.dir });

const idOf = (e: string): string => (JSON.parse(e) as { event_id: string }).event_id;

describe('dead letters with their data', () => {
  it('sends each record to the delivery stream of its (now configured) event type, then deletes its message', async () => {
    // Prepare: app_open was unknown when the router saw it; the config has it now.
    const a = envelope('mobile-app', 'app_open');
    const b = envelope('mobile-app', 'app_open');
    world.sqs.send(world.dlqUrl, deadLetter(a, { app: 'mobile-app', eventType: 'app_open' }));
    world.sqs.send(world.dlqUrl, deadLetter(b, { app: 'mobile-app', eventType: 'app_open' }));
    // Act
    const r = await run();
    // Assess
    expect(r.exitCode).toBe(0);
    expect(world.firehose.records(APP_OPEN_STREAM).map((x) => x.data.toString())).toEqual([a, b]);
    expect(world.sqs.messages(world.dlqUrl)).toHaveLength(0);
    expect(world.sqs.deletedMessages(world.dlqUrl).length).toBeGreaterThanOrEqual(2);
    expect(r.text).toMatch(/Messages: 2 read, 2 deleted\./);
  });

  it('deletes a message only after its record is confirmed: a failing stream keeps the message, visible again', async () => {
    // Prepare: Firehose refuses the record (non-retryable).
    world.firehose.setFault(() => ({ kind: 'partial', failed: [0], errorCode: 'InvalidArgumentException' }));
    const e = envelope('mobile-app', 'app_open');
    world.sqs.send(world.dlqUrl, deadLetter(e));
    const deletesBefore = world.sqs.calls.filter((c) => c.operation === 'DeleteMessageBatch').length;
    // Act
    const r = await run();
    // Assess
    expect(r.exitCode).toBe(1);
    expect(world.sqs.calls.filter((c) => c.operation === 'DeleteMessageBatch').length).toBe(deletesBefore);
    const left = world.sqs.messages(world.dlqUrl);
    expect(left).toHaveLength(1);
    expect(left[0]!.invisibleUntil).toBeLessThanOrEqual(Date.now());
    // Fixed: the next run sends it and deletes the message.
    world.firehose.setFault(undefined);
    const again = await run({}, 'dlq-fixed');
    expect(again.exitCode).toBe(0);
    expect(world.sqs.messages(world.dlqUrl)).toHaveLength(0);
    expect(arrivals(world, APP_OPEN_STREAM).get(idOf(e))).toBe(1);
  });

  it('keeps a message whose record still cannot be routed, and says why', async () => {
    world.sqs.send(world.dlqUrl, deadLetter(envelope('web-shop', 'retired'), { app: 'web-shop', eventType: 'retired' }));
    world.sqs.send(world.dlqUrl, deadLetter('not json at all', { reason: 'not-json' }));
    const r = await run();
    expect(r.exitCode).toBe(0);
    expect(world.firehose.calls).toHaveLength(0);
    expect(world.sqs.messages(world.dlqUrl)).toHaveLength(2);
    expect(r.summary.skippedWhy).toEqual(new Map([['still unroutable: event type not in the config', 1], ['still unroutable: not-json', 1]]));
    expect(r.summary.units.untouched).toBe(2);
  });

  it('retries DeleteMessageBatch entries SQS failed', async () => {
    world.sqs.send(world.dlqUrl, deadLetter(envelope('mobile-app', 'app_open')));
    world.sqs.send(world.dlqUrl, deadLetter(envelope('mobile-app', 'app_open')));
    let failedOnce = false;
    world.sqs.setFault((call) => {
      if (call.operation !== 'DeleteMessageBatch' || failedOnce) return undefined;
      failedOnce = true;
      return { kind: 'partial', failed: (i) => i === 1, code: 'InternalError' };
    });
    const r = await run();
    expect(r.exitCode).toBe(0);
    expect(failedOnce).toBe(true);
    expect(world.sqs.messages(world.dlqUrl)).toHaveLength(0);
  });
});

describe('records read back from the root stream', () => {
  it('re-reads a record whose data was omitted for size, by sequence number', async () => {
    // Prepare: the record is in the stream; the message has only its metadata and SHA-256.
    const e = envelope('mobile-app', 'app_open', { blob: 'x'.repeat(1_000) });
    const seq = await putToStream(world, e);
    world.sqs.send(world.dlqUrl, deadLetter(e, { seq, omitData: true }));
    // Act
    const r = await run();
    // Assess
    expect(r.exitCode).toBe(0);
    expect(world.firehose.records(APP_OPEN_STREAM).map((x) => x.data.toString())).toEqual([e]);
    expect(world.sqs.messages(world.dlqUrl)).toHaveLength(0);
  });

  it('reports a record the stream no longer retains, and keeps its message', async () => {
    // A sequence number the stream never held (as after the retention period).
    const e = envelope('mobile-app', 'app_open');
    world.sqs.send(world.dlqUrl, deadLetter(e, { seq: '49656926395117035519426585812839483549283470811244060001', omitData: true }));
    const r = await run();
    expect(r.exitCode).toBe(1);
    expect(r.summary.failedWhy.get('data-expired: omitted from the message and no longer in the stream')).toBe(1);
    expect(world.sqs.messages(world.dlqUrl)).toHaveLength(1);
    expect(world.firehose.calls).toHaveLength(0);
  });

  it('redrives a batch the event source mapping gave up on, and writes its unroutable record back as a dead letter', async () => {
    // Prepare: three records in the stream, one of an event type still unknown.
    const pv = envelope('web-shop', 'page_view');
    const bad = envelope('web-shop', 'retired');
    const ao = envelope('mobile-app', 'app_open');
    const first = await putToStream(world, pv, 'k1');
    await putToStream(world, bad, 'k2');
    const last = await putToStream(world, ao, 'k3');
    world.sqs.send(world.dlqUrl, batchFailure(first, last, 3));
    // Act
    const r = await run();
    // Assess: the routable ones reach their streams; the other is a dead letter of its own now.
    expect(r.exitCode).toBe(0);
    expect(world.firehose.records(PAGE_VIEW_STREAM).map((x) => x.data.toString())).toEqual([pv]);
    expect(world.firehose.records(APP_OPEN_STREAM).map((x) => x.data.toString())).toEqual([ao]);
    const left = world.sqs.messages(world.dlqUrl);
    expect(left).toHaveLength(1);
    const doc = JSON.parse(left[0]!.body) as { type: string; reason: string; app: string; eventType: string; data: string; kinesis: { partitionKey: string } };
    expect(doc).toMatchObject({ type: 'tracking.unroutable-record', reason: 'unknown-event-type', app: 'web-shop', eventType: 'retired', kinesis: { partitionKey: 'k2' } });
    expect(Buffer.from(doc.data, 'base64').toString()).toBe(bad);
    expect(r.text).toMatch(/1 split/);
    expect(r.summary.byType.get('web-shop/retired')).toEqual({ read: 1, sent: 0, skipped: 1, failed: 0 });
  });
});

describe('dry run and re-runs', () => {
  it('counts per event type and reason, sends and deletes nothing, and leaves every message visible', async () => {
    world.sqs.send(world.dlqUrl, deadLetter(envelope('mobile-app', 'app_open'), { app: 'mobile-app', eventType: 'app_open' }));
    world.sqs.send(world.dlqUrl, deadLetter(envelope('mobile-app', 'app_open'), { app: 'mobile-app', eventType: 'app_open' }));
    world.sqs.send(world.dlqUrl, deadLetter('{]', { reason: 'not-json' }));
    const r = await run({ dryRun: true });
    expect(r.exitCode).toBe(0);
    expect(world.firehose.calls).toHaveLength(0);
    expect(world.sqs.messages(world.dlqUrl)).toHaveLength(3);
    expect(world.sqs.messages(world.dlqUrl).every((m) => m.invisibleUntil <= Date.now())).toBe(true);
    expect(r.text).toContain('| mobile-app/app_open | unknown-event-type | 2 | 2 | 0 | 0 |');
    expect(r.text).toContain('| (unknown) | not-json | 1 | 0 | 1 | 0 |');
  });

  it('sends nothing new when run again', async () => {
    for (let i = 0; i < 5; i++) world.sqs.send(world.dlqUrl, deadLetter(envelope('mobile-app', 'app_open')));
    expect((await run({}, 'dlq-rerun')).exitCode).toBe(0);
    const calls = world.firehose.calls.length;
    const again = await run({}, 'dlq-rerun');
    expect(again.exitCode).toBe(0);
    expect(world.firehose.calls).toHaveLength(calls);
    expect(again.summary.units.seen).toBe(0);
  });

  it('--to root puts the records back into the root stream with their partition keys', async () => {
    const e = envelope('mobile-app', 'app_open');
    world.sqs.send(world.dlqUrl, deadLetter(e, { partitionKey: 'device-42' }));
    const r = await run({ to: 'root' });
    expect(r.exitCode).toBe(0);
    expect(world.firehose.calls).toHaveLength(0);
    const { GetShardIteratorCommand, GetRecordsCommand } = await import('@aws-sdk/client-kinesis');
    const it = await world.kinesis.send(new GetShardIteratorCommand({ StreamName: 'acme-dev-root', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }));
    const recs = await world.kinesis.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator!, Limit: 1_000 }));
    const mine = (recs.Records ?? []).filter((x) => Buffer.from(x.Data!).toString() === e);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.PartitionKey).toBe('device-42');
  });
});
