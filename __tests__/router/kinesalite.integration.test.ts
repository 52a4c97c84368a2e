/**
 * End to end on local stand-ins: records written to kinesalite with the real Kinesis client, read
 * back with GetShardIterator/GetRecords, handed to the router in the Lambda event shape, delivered
 * to the Firehose stand-in through the SDK's `endpoint`. Lambda's redelivery after reported
 * failures is replayed by reading again from the lowest reported sequence number.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { DeadLetter, DeadLetterResult, DeadLetterSink } from '../../functions/fanout-router/deadletter';
import { routeBatch } from '../../functions/fanout-router/router';
import { systemClock } from '../../functions/fanout-router/retry';
import { FirehoseStandIn, standInFirehoseClient, type StartedStandIn } from '../helpers/firehose-standin';
import { devCatalog, DEV_STREAMS, envelope, streamOf } from './factories';

// kinesalite ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kinesalite = require('kinesalite') as (options: { createStreamMs?: number; shardLimit?: number }) => Server;

const STREAM = 'acme-dev-root';
const REGION = 'eu-central-1';

class MemoryDeadLetters implements DeadLetterSink {
  public readonly letters: DeadLetter[] = [];
  public async store(letters: readonly DeadLetter[]): Promise<DeadLetterResult> {
    this.letters.push(...letters);
    return { stored: letters.map((l) => l.id), failed: [], dataOmitted: [] };
  }
}

let server: Server;
let kinesis: KinesisClient;
// Firehose knows the dev environment's streams: another name is ResourceNotFoundException.
const firehose = new FirehoseStandIn({ streams: [...DEV_STREAMS] });
let started: StartedStandIn;

beforeAll(async () => {
  server = kinesalite({ createStreamMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  kinesis = new KinesisClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: REGION,
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' },
    requestHandler: new NodeHttpHandler(),
  });
  started = await firehose.start();
  await kinesis.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 1 }));
  for (let i = 0; i < 100; i++) {
    const s = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }));
    if (s.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('stream did not become ACTIVE');
});

afterAll(async () => {
  kinesis?.destroy();
  await started?.close();
  await new Promise<void>((resolve, reject) => server.close((err?: Error) => (err ? reject(err) : resolve())));
});

/** Reads the shard like the Lambda poller does and returns the records in the Lambda event shape. */
async function readAsLambdaEvent(type: ShardIteratorType, startingSequenceNumber?: string): Promise<KinesisStreamEvent> {
  const shards = await kinesis.send(new ListShardsCommand({ StreamName: STREAM }));
  const shardId = shards.Shards![0]!.ShardId!;
  const it = await kinesis.send(
    new GetShardIteratorCommand({
      StreamName: STREAM,
      ShardId: shardId,
      ShardIteratorType: type,
      ...(startingSequenceNumber ? { StartingSequenceNumber: startingSequenceNumber } : {}),
    }),
  );
  const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator!, Limit: 10_000 }));
  const Records: KinesisStreamRecord[] = (out.Records ?? []).map((r) => ({
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: r.PartitionKey!,
      sequenceNumber: r.SequenceNumber!,
      data: Buffer.from(r.Data!).toString('base64'),
      approximateArrivalTimestamp: r.ApproximateArrivalTimestamp!.getTime() / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shardId}:${r.SequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::123456789012:role/acme-dev-fanout-router',
    awsRegion: REGION,
    eventSourceARN: `arn:aws:kinesis:${REGION}:123456789012:stream/${STREAM}`,
  }));
  return { Records };
}

describe('root stream -> router -> Firehose (kinesalite + Firehose stand-in)', () => {
  it('delivers every routable record written to the stream, dead-letters the rest, and recovers reported failures on redelivery', async () => {
    // Prepare
    const types = [
      ['web-shop', 'page_view'],
      ['web-shop', 'add_to_cart'],
      ['mobile-app', 'app_open'],
      ['mobile-app', 'screen_view'],
    ] as const;
    const routable = Array.from({ length: 80 }, (_, n) => {
      const [app, type] = types[n % types.length]!;
      return { data: envelope(app, type, n, 300 + n), stream: streamOf(app, type) };
    });
    const unroutable = ['not json', envelope('web-shop', 'unknown_type', 1000), '[1,2]'];
    const written = [...routable.map((r) => r.data), ...unroutable];
    const put = await kinesis.send(
      new PutRecordsCommand({ StreamName: STREAM, Records: written.map((d, i) => ({ Data: Buffer.from(d), PartitionKey: `pk-${i}` })) }),
    );
    expect(put.FailedRecordCount ?? 0).toBe(0);
    // First invocation: some entries throttled (retried in-call), one stream refusing access (reported).
    const denied = streamOf('mobile-app', 'app_open');
    firehose.setFault((call) =>
      call.stream === denied
        ? { kind: 'error', type: 'AccessDeniedException', status: 400 }
        : call.index < 3
          ? { kind: 'partial', failed: (i) => i % 4 === 0 }
          : undefined,
    );
    const deadLetters = new MemoryDeadLetters();
    const deps = { catalog: devCatalog(), firehose: standInFirehoseClient(started.endpoint), deadLetters, clock: systemClock, policy: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 5 } };

    // Act
    const first = await routeBatch(await readAsLambdaEvent('TRIM_HORIZON'), 30_000, deps);
    const failed = first.response.batchItemFailures.map((f) => f.itemIdentifier);
    firehose.setFault(undefined);
    // Lambda resumes from the lowest reported sequence number: everything from there is delivered again.
    const second = await routeBatch(await readAsLambdaEvent('AT_SEQUENCE_NUMBER', failed[0]), 30_000, deps);

    // Assess
    expect(failed).toHaveLength(20);
    expect(first.counts.RetriedRecords).toBeGreaterThan(0);
    expect(second.response.batchItemFailures).toEqual([]);
    const delivered = new Set(firehose.allRecords().map((r) => `${r.stream}\n${r.data.toString('utf8')}`));
    expect(delivered).toEqual(new Set(routable.map((r) => `${r.stream}\n${r.data}`)));
    expect(firehose.violations).toEqual([]);
    // Unroutable records are dead-lettered in both invocations (at-least-once), always with their reason.
    expect(new Set(deadLetters.letters.map((l) => `${l.reason}:${l.data.toString('utf8')}`))).toEqual(
      new Set(['not-json:not json', `unknown-event-type:${unroutable[1]}`, 'not-an-object:[1,2]']),
    );
  });
});
