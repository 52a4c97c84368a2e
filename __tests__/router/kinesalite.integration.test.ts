/**
 * End to end on local stand-ins: records written to kinesalite with the real Kinesis client, read
 * back with GetShardIterator/GetRecords, handed to the router in the Lambda event shape, delivered
 * to the Firehose stand-in through the SDK's `endpoint`. Lambda's redelivery after reported
 * failures is replayed by reading again from the lowest reported sequence number.
 */
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { DeadLetter, DeadLetterResult, DeadLetterSink } from '../../functions/fanout-router/deadletter';
import { routeBatch } from '../../functions/fanout-router/router';
import { systemClock } from '../../functions/fanout-router/retry';
import { FirehoseStandIn, standInFirehoseClient, type StartedStandIn } from '../helpers/firehose-standin';
import { devCatalog, DEV_STREAMS, envelope, readAsLambdaEvent, streamOf } from './factories';
import { startKinesalite, type StartedKinesalite } from './kinesalite';

const STREAM = 'acme-dev-root';

class MemoryDeadLetters implements DeadLetterSink {
  public readonly letters: DeadLetter[] = [];
  public async store(letters: readonly DeadLetter[]): Promise<DeadLetterResult> {
    this.letters.push(...letters);
    return { stored: letters.map((l) => l.id), failed: [], dataOmitted: [] };
  }
}

let kinesalite: StartedKinesalite;
// Firehose knows the dev environment's streams: another name is ResourceNotFoundException.
const firehose = new FirehoseStandIn({ streams: [...DEV_STREAMS] });
let started: StartedStandIn;

beforeAll(async () => {
  kinesalite = await startKinesalite([STREAM]);
  started = await firehose.start();
});

afterAll(async () => {
  await started?.close();
  await kinesalite?.close();
});

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
    const put = await kinesalite.client.send(
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
    const first = await routeBatch(await readAsLambdaEvent(kinesalite.client, STREAM, 'TRIM_HORIZON'), 30_000, deps);
    const failed = first.response.batchItemFailures.map((f) => f.itemIdentifier);
    firehose.setFault(undefined);
    // Lambda resumes from the lowest reported sequence number: everything from there is delivered again.
    const second = await routeBatch(await readAsLambdaEvent(kinesalite.client, STREAM, 'AT_SEQUENCE_NUMBER', failed[0]), 30_000, deps);

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
