/**
 * The transform with event contracts, on real Firehose transformation events
 * (__tests__/fixtures/contracts/firehose-*.json) and the contracts of
 * __tests__/fixtures/contracts/tracking.yaml, through the handler as deployed (createHandler with
 * the function's contract table).
 */
import fc from 'fast-check';
import type { FirehoseTransformationEvent } from 'aws-lambda';
import { createHandler } from '../../functions/jsonl-transform/handler';
import {
  ContractRegistry,
  ContractTableError,
  decodeContractTable,
  encodeContractTable,
  readContractTable,
  UnknownDeliveryStreamError,
} from '../../functions/jsonl-transform/table';
import { buildContractTable, bundleJsonlTransform } from '../../modules/contracts';
import { transformEvent } from '../../functions/jsonl-transform/transform';
import { eventLike, eventSchema } from '../contracts/arbitraries';
import { activeContract, ajvValidator, contractOf, loadWithContracts, registryFor } from '../contracts/helpers';
import checkoutFixture from '../fixtures/contracts/firehose-checkout.json';
import searchFixture from '../fixtures/contracts/firehose-search.json';
import { decode, decodeText, directPutFixture, FIXTURE_EXPECTATIONS, isValidJsonl, linesOf } from './factories';

const checkoutEvent = (): FirehoseTransformationEvent => structuredClone(checkoutFixture) as FirehoseTransformationEvent;
const searchEvent = (): FirehoseTransformationEvent => structuredClone(searchFixture) as FirehoseTransformationEvent;

/** The handler of a function serving every event type of the fixture config, with its log lines. */
function deployed(): { handler: ReturnType<typeof createHandler>; logs: string[]; contracts: ReturnType<typeof loadWithContracts>['specs'] } {
  const { specs } = loadWithContracts();
  const logs: string[] = [];
  const registry = registryFor(specs('dev'));
  const handler = createHandler(() => registry, { log: (line) => logs.push(line), now: () => 1795251310000 });
  return { handler, logs, contracts: specs };
}

function contractOfType(key: string): NonNullable<ReturnType<ReturnType<typeof loadWithContracts>['specs']>[number]['contract']> {
  const found = loadWithContracts().specs('dev').find((t) => t.key === key)?.contract;
  if (found === undefined) throw new Error(`no contract for ${key}`);
  return found;
}

describe('transform with an enforced contract (web-shop/checkout_completed)', () => {
  const EXPECTED: readonly { result: 'Ok' | 'ProcessingFailed'; lines?: number; reason?: string; schemaPath?: string; line?: number }[] = [
    { result: 'Ok', lines: 1 },
    { result: 'Ok', lines: 1 },
    { result: 'Ok', lines: 3 },
    { result: 'ProcessingFailed', reason: 'schema-violation', schemaPath: '/properties/amount/type', line: 1 },
    { result: 'ProcessingFailed', reason: 'schema-violation', schemaPath: '/required', line: 0 },
    { result: 'ProcessingFailed', reason: 'schema-violation', schemaPath: '/additionalProperties', line: 0 },
    { result: 'ProcessingFailed', reason: 'schema-violation', schemaPath: '/properties/items/items/properties/quantity/minimum', line: 0 },
    { result: 'ProcessingFailed', reason: 'schema-violation', schemaPath: '/properties/items/items/properties/quantity/type', line: 0 },
    { result: 'ProcessingFailed', reason: 'schema-violation', schemaPath: '/properties/event_type/const', line: 0 },
    { result: 'ProcessingFailed', reason: 'invalid-json' },
    { result: 'ProcessingFailed', reason: 'schema-violation', schemaPath: '/properties/customer/properties/id/format', line: 0 },
    { result: 'Ok', lines: 1 },
  ];

  it('passes valid events as JSON lines and sends each violating record, whole and unchanged, to the error prefix', async () => {
    // Prepare
    const { handler } = deployed();
    const input = checkoutEvent();
    const ajv = ajvValidator(contractOfType('web-shop/checkout_completed'));

    // Act
    const response = await handler(input);

    // Assess
    expect(response.records.map((r) => r.recordId)).toEqual(input.records.map((r) => r.recordId));
    expect(response.records.map((r) => r.result)).toEqual(EXPECTED.map((e) => e.result));
    response.records.forEach((entry, k) => {
      const source = input.records[k]!;
      if (entry.result === 'Ok') {
        expect(isValidJsonl(decodeText(entry.data))).toBe(true);
        expect(linesOf(entry.data)).toHaveLength(EXPECTED[k]!.lines!);
        for (const line of linesOf(entry.data)) expect(ajv(JSON.parse(line))).toBe(true);
      } else {
        expect(entry.data).toBe(source.data);
      }
    });
  });

  it('reports the schema path of each record\'s first violation, per record', () => {
    // Prepare
    const contract = activeContract(contractOfType('web-shop/checkout_completed'), 'acme-dev-web-shop-checkout_completed');

    // Act
    const { summary } = transformEvent(checkoutEvent(), contract);

    // Assess
    expect(summary.failureReasons).toEqual({ 'schema-violation': 7, 'invalid-json': 1 });
    expect(summary.violations).toEqual({ type: 2, required: 1, additionalProperties: 1, minimum: 1, const: 1, format: 1 });
    expect(summary.schemaViolations).toBe(7);
    expect(summary.firstViolation).toEqual({
      recordId: checkoutFixture.records[3]!.recordId,
      line: 1,
      keyword: 'type',
      schemaPath: '/properties/amount/type',
    });
  });

  it('logs one line with the counts per reason and one SchemaViolations metric, never a value', async () => {
    // Prepare
    const { handler, logs } = deployed();
    const input = checkoutEvent();

    // Act
    await handler(input);

    // Assess
    expect(logs).toHaveLength(2);
    const line = JSON.parse(logs[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({
      level: 'warn',
      eventType: 'web-shop/checkout_completed',
      contract: 'enforce',
      records: 12,
      ok: 4,
      processingFailed: 8,
      schemaViolations: 7,
      violations: { type: 2, required: 1, additionalProperties: 1, minimum: 1, const: 1, format: 1 },
      firstViolation: { line: 1, keyword: 'type', schemaPath: '/properties/amount/type' },
    });
    expect(JSON.parse(logs[1]!)).toEqual({
      _aws: {
        Timestamp: 1795251310000,
        CloudWatchMetrics: [
          {
            Namespace: 'TrackingPipeline',
            Dimensions: [
              ['Environment', 'Mode'],
              ['Environment', 'DeliveryStream'],
            ],
            Metrics: [{ Name: 'SchemaViolations', Unit: 'Count' }],
          },
        ],
      },
      Environment: 'dev',
      Mode: 'enforce',
      DeliveryStream: 'acme-dev-web-shop-checkout_completed',
      SchemaViolations: 7,
    });
    // No payload value reaches the log: the bad amount "12", the ids, the coupon, the bad uuid.
    for (const value of ['"12"', 'o-1007', 'SUMMER', 'not-a-uuid', '6c1f2a9e', 'SHOE-42']) expect(logs.join('\n')).not.toContain(value);
  });
});

describe('transform with an observed contract (web-shop/search)', () => {
  it('lets violating events through, counts them per reason and in the metric', async () => {
    // Prepare
    const { handler, logs } = deployed();
    const input = searchEvent();

    // Act
    const response = await handler(input);

    // Assess
    expect(response.records.map((r) => r.result)).toEqual(['Ok', 'Ok', 'Ok', 'ProcessingFailed']);
    expect(linesOf(response.records[2]!.data)).toHaveLength(3);
    expect(response.records[3]!.data).toBe(input.records[3]!.data);
    expect(JSON.parse(logs[0]!)).toMatchObject({
      level: 'warn',
      contract: 'observe',
      ok: 3,
      processingFailed: 1,
      failureReasons: { 'not-an-object': 1 },
      schemaViolations: 3,
      violations: { minLength: 1, minimum: 1, uniqueItems: 1 },
      firstViolation: { line: 0, keyword: 'minLength', schemaPath: '/properties/query/minLength' },
    });
    expect(JSON.parse(logs[1]!)).toMatchObject({ Mode: 'observe', DeliveryStream: 'acme-dev-web-shop-search', SchemaViolations: 3 });
  });
});

describe('transform of a type without a contract (web-shop/page_view)', () => {
  it('behaves as before contracts: JSON lines, no metric', async () => {
    // Prepare
    const { handler, logs } = deployed();
    const input = directPutFixture();

    // Act
    const response = await handler(input);

    // Assess
    expect(response.records.map((r) => r.result)).toEqual(FIXTURE_EXPECTATIONS[0].results);
    expect(logs).toHaveLength(1);
    expect(JSON.parse(logs[0]!)).toMatchObject({ contract: 'none', schemaViolations: 0, violations: {} });
  });
});

describe('streams the function does not serve', () => {
  it('fails the invocation for a stream missing from the table, so no record passes unvalidated', async () => {
    // Prepare
    const { handler, logs } = deployed();
    const input = checkoutEvent();
    input.deliveryStreamArn = 'arn:aws:firehose:eu-central-1:123456789012:deliverystream/acme-dev-web-shop-refund_issued';

    // Act / Assess
    await expect(handler(input)).rejects.toThrow(UnknownDeliveryStreamError);
    expect(JSON.parse(logs[0]!)).toMatchObject({ level: 'error', message: 'jsonl-transform: unknown delivery stream', deliveryStreamArn: input.deliveryStreamArn, records: 12 });
  });

  it('fails on an event without a Firehose delivery stream ARN', async () => {
    const { handler } = deployed();
    const input = checkoutEvent();
    input.deliveryStreamArn = 'not-an-arn';
    await expect(handler(input)).rejects.toThrow(/deliveryStreamArn is not a Firehose delivery stream ARN/);
  });

  it('fails when the function was packaged without its table, or with a damaged one', () => {
    expect(() => readContractTable('/nonexistent/contracts.json.gz')).toThrow(ContractTableError);
    expect(() => decodeContractTable('{"version":1,"environment":"dev","streams":{"s":{"key":"a/b","mode":"enforce","program":3}},"programCount":1}\n{}\n')).toThrow(
      /the entry of stream "s" is malformed/,
    );
    expect(() => decodeContractTable('{"version":1,"environment":"dev","streams":{},"programCount":2}\n{}\n')).toThrow(/holds 1 of its 2 programs/);
  });
});

describe('the shipped table file', () => {
  it('round-trips through the gzip file the asset ships, and parses a program only when its stream is used', () => {
    // Prepare
    const { specs } = loadWithContracts();
    const bundle = bundleJsonlTransform({ assetName: 'test-jsonl-transform-table', environment: 'dev', eventTypes: specs('dev') });

    // Act
    const source = readContractTable(`${bundle.dir}/contracts.json.gz`);
    const parse = jest.spyOn(JSON, 'parse');
    const registry = new ContractRegistry(source);
    registry.lookup('acme-dev-web-shop-page_view');
    const before = parse.mock.calls.length;
    registry.lookup('acme-dev-web-shop-checkout_completed');
    registry.lookup('acme-dev-web-shop-checkout_completed');
    const after = parse.mock.calls.length;
    parse.mockRestore();

    // Assess
    expect(source.environment).toBe('dev');
    expect(source.streams).toEqual(bundle.table.streams);
    expect(Array.from({ length: source.programCount }, (_, k) => source.program(k))).toEqual(bundle.table.programs);
    expect(before).toBe(0);
    expect(after).toBe(1);
  });

  it('gives the same bytes for the same contracts, whatever the order of the event types', () => {
    const types = loadWithContracts().specs('dev');
    const a = encodeContractTable(buildContractTable('dev', types));
    const b = encodeContractTable(buildContractTable('dev', [...types].reverse()));
    expect(a).toBe(b);
  });
});

describe('properties', () => {
  const record = (text: string, k: number): FirehoseTransformationEvent['records'][number] => ({
    recordId: `r-${k}`,
    approximateArrivalTimestamp: 1795251310512,
    data: Buffer.from(text, 'utf8').toString('base64'),
  });

  it('Ok lines always satisfy the schema; failed records are byte-identical to their input; nothing valid fails', () => {
    fc.assert(
      fc.property(
        eventSchema.chain((schema) =>
          fc.tuple(
            fc.constant(schema),
            fc.array(fc.array(eventLike(schema, 1), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 6 }),
            fc.constantFrom('\n', '\r\n', '\n\n'),
            fc.boolean(),
          ),
        ),
        ([schema, packs, separator, pretty]) => {
          // Prepare: each record packs 1-3 events (pretty-printed or compact).
          const contract = contractOf(schema);
          const ajv = ajvValidator(contract);
          const texts = packs.map((events) => events.map((e) => (pretty ? JSON.stringify(e, null, 2) : JSON.stringify(e))).join(separator));
          const event: FirehoseTransformationEvent = {
            invocationId: 'p',
            deliveryStreamArn: 'arn:aws:firehose:eu-central-1:123456789012:deliverystream/acme-dev-web-shop-checkout',
            region: 'eu-central-1',
            records: texts.map(record),
          };

          // Act
          const { response } = transformEvent(event, activeContract(contract));

          // Assess
          response.records.forEach((entry, k) => {
            const allValid = packs[k]!.every((e) => ajv(e));
            if (entry.result === 'Ok') {
              for (const line of linesOf(entry.data)) expect(ajv(JSON.parse(line))).toBe(true);
              expect(linesOf(entry.data).map((l) => JSON.parse(l) as unknown)).toEqual(packs[k]);
            } else {
              expect(entry.data).toBe(event.records[k]!.data);
              expect(decode(entry.data).toString('utf8')).toBe(texts[k]);
            }
            expect(entry.result === 'Ok').toBe(allValid);
          });
        },
      ),
      { numRuns: 150 },
    );
  });
});
