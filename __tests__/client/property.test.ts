/**
 * Property: whatever the failure pattern (partial failures, retryable and non-retryable call
 * errors, malformed answers), every tracked event is either acknowledged by the service or
 * reported failed, never both and never neither; and every call stays within AWS's limits.
 */
import { FirehoseClient, PutRecordBatchCommand, type PutRecordBatchCommandInput } from '@aws-sdk/client-firehose';
import { KinesisClient, PutRecordsCommand, type PutRecordsCommandInput } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { createTracker, FIREHOSE_LIMITS, KINESIS_LIMITS, type FailedEvent, type TrackerMode } from '../../client/node/index';
import { EVENT_TYPES, eventOfSize, trackerOptions, unpack } from './factories';

type Decision =
  | { readonly kind: 'ok' }
  | { readonly kind: 'partial'; readonly mask: readonly boolean[]; readonly code: string }
  | { readonly kind: 'error'; readonly name: string; readonly status: number }
  | { readonly kind: 'malformed' };

const decision: fc.Arbitrary<Decision> = fc.oneof(
  fc.constant<Decision>({ kind: 'ok' }),
  fc.record({
    kind: fc.constant('partial' as const),
    mask: fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
    code: fc.constantFrom('ServiceUnavailableException', 'InternalFailure', 'ProvisionedThroughputExceededException', 'KMSAccessDeniedException'),
  }),
  fc.constantFrom<Decision>(
    { kind: 'error', name: 'ThrottlingException', status: 400 },
    { kind: 'error', name: 'ServiceUnavailableException', status: 500 },
    { kind: 'error', name: 'ResourceNotFoundException', status: 400 },
    { kind: 'error', name: 'TimeoutError', status: 0 },
  ),
  fc.constant<Decision>({ kind: 'malformed' }),
);

const scenario = fc.record({
  events: fc.array(
    fc.record({ type: fc.nat({ max: EVENT_TYPES.length - 1 }), size: fc.constantFrom(10, 300, 2_000, 4_900, 7_000, 300_000) }),
    { minLength: 1, maxLength: 120 },
  ),
  decisions: fc.array(decision, { minLength: 1, maxLength: 6 }),
  packing: fc.boolean(),
});

interface Entry {
  readonly data: Uint8Array;
  readonly key?: string;
}

/** Answers call n with decisions[n % length], and records which events were acknowledged. */
function answer(decisions: readonly Decision[], n: number, entries: readonly Entry[], acked: number[]): { errorCodes: (string | undefined)[] } {
  const d = decisions[n % decisions.length]!;
  if (d.kind === 'error') {
    throw Object.assign(new Error(d.name), { name: d.name, ...(d.status > 0 ? { $metadata: { httpStatusCode: d.status } } : {}) });
  }
  if (d.kind === 'malformed') return { errorCodes: [] };
  const codes = entries.map((_, i) => (d.kind === 'partial' && d.mask[i % d.mask.length] ? d.code : undefined));
  entries.forEach((e, i) => {
    if (codes[i] === undefined) for (const ev of unpack(e.data)) acked.push(ev.seq as number);
  });
  return { errorCodes: codes };
}

function mocked(mode: TrackerMode, decisions: readonly Decision[], acked: number[], violations: string[]) {
  let n = 0;
  const check = (entries: readonly Entry[], limits: typeof FIREHOSE_LIMITS | typeof KINESIS_LIMITS): void => {
    const cost = (e: Entry): number => e.data.length + (mode === 'root-stream' ? Buffer.byteLength(e.key ?? '') : 0);
    if (entries.length === 0 || entries.length > limits.maxRecordsPerCall) violations.push(`records ${entries.length}`);
    if (entries.reduce((s, e) => s + cost(e), 0) > limits.maxBytesPerCall) violations.push('call bytes');
    if (entries.some((e) => cost(e) > limits.maxRecordBytes)) violations.push('record bytes');
    if (mode === 'root-stream' && entries.some((e) => unpack(e.data).length !== 1)) violations.push('packed kinesis record');
  };
  const creds = { region: 'eu-central-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } };
  if (mode === 'direct') {
    const client = new FirehoseClient(creds);
    mockClient(client)
      .on(PutRecordBatchCommand)
      .callsFake(async (input: PutRecordBatchCommandInput) => {
        const entries = (input.Records ?? []).map((r) => ({ data: r.Data! }));
        check(entries, FIREHOSE_LIMITS);
        const { errorCodes } = answer(decisions, n++, entries, acked);
        return {
          FailedPutCount: errorCodes.filter((c) => c !== undefined).length,
          RequestResponses: errorCodes.map((c) => (c === undefined ? { RecordId: 'r' } : { ErrorCode: c, ErrorMessage: 'x' })),
        };
      });
    return { firehoseClient: client };
  }
  const client = new KinesisClient(creds);
  mockClient(client)
    .on(PutRecordsCommand)
    .callsFake(async (input: PutRecordsCommandInput) => {
      const entries = (input.Records ?? []).map((r) => ({ data: r.Data!, key: r.PartitionKey! }));
      check(entries, KINESIS_LIMITS);
      const { errorCodes } = answer(decisions, n++, entries, acked);
      return {
        FailedRecordCount: errorCodes.filter((c) => c !== undefined).length,
        Records: errorCodes.map((c) => (c === undefined ? { SequenceNumber: '1', ShardId: 's' } : { ErrorCode: c, ErrorMessage: 'x' })),
      };
    });
  return { kinesisClient: client };
}

describe.each<TrackerMode>(['direct', 'root-stream'])('property (%s mode): delivered + reported failed = tracked', (mode) => {
  it('holds for any failure pattern', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ events, decisions, packing }) => {
        // Prepare
        const acked: number[] = [];
        const violations: string[] = [];
        const failures: FailedEvent[] = [];
        const tracker = createTracker(
          trackerOptions({
            environment: 'dev',
            mode,
            packing,
            retryDeadlineMs: 15,
            maxBufferedBytes: 400_000,
            onDeliveryFailure: (f) => failures.push(...f),
            ...mocked(mode, decisions, acked, violations),
          }),
        );

        // Act
        for (let seq = 0; seq < events.length; seq++) {
          const [app, type] = EVENT_TYPES[events[seq]!.type]!;
          await tracker.track(app, type, eventOfSize(events[seq]!.size, seq));
        }
        await tracker.close();

        // Assess
        const failed = failures.map((f) => JSON.parse(f.data).seq as number);
        const ackedSet = new Set(acked);
        expect(violations).toEqual([]);
        expect(acked.length).toBe(ackedSet.size); // nothing acknowledged twice
        expect(failed.filter((s) => ackedSet.has(s))).toEqual([]); // never both
        expect([...acked, ...failed].sort((a, b) => a - b)).toEqual(events.map((_, i) => i)); // never neither
        const m = tracker.metrics();
        expect(m).toMatchObject({ eventsAccepted: events.length, eventsDelivered: acked.length, eventsFailed: failed.length, eventsPending: 0, bufferedBytes: 0 });
      }),
      { numRuns: 60, seed: 20261122 },
    );
  });
});
