import { FirehoseClient } from '@aws-sdk/client-firehose';
import { SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { SqsDeadLetterSink } from '../../functions/fanout-router/deadletter';
import { createLimiter } from '../../functions/fanout-router/limiter';
import { routeBatch } from '../../functions/fanout-router/router';
import {
  assertEveryRecordAccountedFor,
  envelope,
  FakeFirehose,
  FakeSqs,
  fakeClock,
  kinesisEvent,
  devCatalog,
  streamOf,
  type CallFault,
  type Expected,
} from './factories';

const firehoseMock = mockClient(FirehoseClient);
const sqsMock = mockClient(SQSClient);

const ROUTABLE = [
  ['web-shop', 'page_view'],
  ['web-shop', 'add_to_cart'],
  ['mobile-app', 'app_open'],
  ['mobile-app', 'screen_view'],
] as const;

type Kind = { t: 'route'; k: number } | { t: 'not-json' } | { t: 'unknown' } | { t: 'array' } | { t: 'missing-app' };

const kindArb: fc.Arbitrary<Kind> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: ROUTABLE.length - 1 }).map((k): Kind => ({ t: 'route', k })) },
  { weight: 1, arbitrary: fc.constantFrom<Kind>({ t: 'not-json' }, { t: 'unknown' }, { t: 'array' }, { t: 'missing-app' }) },
);

const faultArb: fc.Arbitrary<CallFault> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<CallFault>({ kind: 'ok' }) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 5 }), fc.constantFrom('ServiceUnavailableException', 'ThrottlingException', 'InvalidArgumentException'))
      .map(([m, code]): CallFault => ({ kind: 'partial', failed: (i) => (i % m === 0 ? code : undefined) })),
  },
  {
    weight: 2,
    arbitrary: fc
      // (ResourceNotFoundException means "no such event type": dead-lettered, covered in router.test.ts.)
      .constantFrom(['ServiceUnavailableException', 503], ['ThrottlingException', 400], ['AccessDeniedException', 400])
      .map(([name, status]): CallFault => ({ kind: 'throw', name: name as string, status: status as number })),
  },
);

function payload(kind: Kind, n: number): { data: string; expected: Expected } {
  switch (kind.t) {
    case 'route': {
      const [app, type] = ROUTABLE[kind.k]!;
      return { data: envelope(app, type, n), expected: { stream: streamOf(app, type) } };
    }
    case 'not-json':
      return { data: `garbage ${n}`, expected: { reason: 'not-json' } };
    case 'unknown':
      return { data: envelope('web-shop', 'nope', n), expected: { reason: 'unknown-event-type' } };
    case 'array':
      return { data: `[${n}]`, expected: { reason: 'not-an-object' } };
    case 'missing-app':
      return { data: JSON.stringify({ event_type: 'page_view', event_id: n }), expected: { reason: 'missing-app' } };
  }
}

describe('router invariant under random failure patterns', () => {
  it('every record is delivered once to its stream, dead-lettered with its reason, or reported failed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(kindArb, { minLength: 1, maxLength: 120 }),
        fc.array(faultArb, { minLength: 1, maxLength: 12 }),
        fc.array(faultArb, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 200, max: 60_000 }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        async (kinds, firehoseFaults, sqsFaults, remainingMs, seed) => {
          // Prepare
          firehoseMock.reset();
          sqsMock.reset();
          const items = kinds.map((k, n) => payload(k, n));
          const event = kinesisEvent(items.map((i) => i.data));
          const firehose = new FakeFirehose(firehoseMock, (call) => firehoseFaults[call % firehoseFaults.length]!);
          const sqs = new FakeSqs(sqsMock, (call) => sqsFaults[call % sqsFaults.length]!);
          const clock = fakeClock(seed);
          const policy = { baseDelayMs: 50, maxDelayMs: 1_000, maxAttempts: 6 };
          // Act
          const result = await routeBatch(event, remainingMs, {
            catalog: devCatalog(),
            firehose: new FirehoseClient({ region: 'eu-central-1' }),
            deadLetters: new SqsDeadLetterSink({
              sqs: new SQSClient({ region: 'eu-central-1' }),
              queueUrl: 'https://sqs.eu-central-1.amazonaws.com/123456789012/acme-dev-fanout-router-dlq',
              environment: 'dev',
              limit: createLimiter(3),
              clock,
              policy,
            }),
            clock,
            policy,
            concurrency: 3,
          });
          // Assess
          assertEveryRecordAccountedFor(event, items.map((i) => i.expected), result, firehose, sqs.accepted);
        },
      ),
      { numRuns: 150, seed: 20261122 },
    );
  });
});
