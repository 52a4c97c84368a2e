/**
 * Contract checks at the producer (`validate: 'off' | 'report' | 'throw'`), on a catalog module
 * generated from a config with contracts (__tests__/packages/fixtures/tracking.yaml):
 *
 * - 'throw' refuses a violating event at track() with a typed error that names the keyword and the
 *   schema path, never the value; nothing is sent;
 * - 'report' never sends it and never counts it as delivered: it reaches onDeliveryFailure (or the
 *   DeliveryError of flush()/close()) with errorCode ContractViolation;
 * - 'off' sends it (the pipeline decides), observe-mode contracts are not enforced;
 * - the verdict is the transform's: for random events, the tracker refuses exactly what the JSONL
 *   transform, with the contract table synth builds, refuses (the same compiler and validator).
 */
import { FirehoseClient, PutRecordBatchCommand, type PutRecordBatchCommandInput } from '@aws-sdk/client-firehose';
import { mockClient } from 'aws-sdk-client-mock';
import * as fc from 'fast-check';
import * as path from 'node:path';
import { catalogData } from '../../cli/types/catalog';
import { catalogModel } from '../../cli/types/types';
import {
  CatalogError,
  ContractViolationError,
  createTracker,
  DeliveryError,
  InvalidEventError,
  TrackerOptionsError,
  type CatalogTrackerOptions,
  type FailedEvent,
  type Tracker,
  type TrackingCatalog,
} from '../../client/node/index';
import { loadConfig } from '../../config/loader';
import { ContractRegistry } from '../../functions/jsonl-transform/table';
import { transformRecordData } from '../../functions/jsonl-transform/transform';
import { buildContractTable } from '../../modules/contracts';
import { compileProgram } from '../../lib/contract-program';

const FIXTURE = path.join(__dirname, '..', 'packages', 'fixtures', 'tracking.yaml');
const CATALOG = catalogData(catalogModel(FIXTURE)) as unknown as TrackingCatalog;

/** A tracker over a mocked Firehose client (prod: delivery streams); `sent()` lists every event line sent. */
function setup(overrides: Partial<CatalogTrackerOptions> = {}) {
  const client = new FirehoseClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const inputs: PutRecordBatchCommandInput[] = [];
  mockClient(client)
    .on(PutRecordBatchCommand)
    .callsFake(async (input: PutRecordBatchCommandInput) => {
      inputs.push(input);
      return { FailedPutCount: 0, Encrypted: false, RequestResponses: (input.Records ?? []).map((_, i) => ({ RecordId: `r${i}` })), $metadata: {} };
    });
  const failures: FailedEvent[] = [];
  const tracker = createTracker({
    catalog: CATALOG,
    environment: 'prod',
    firehoseClient: client,
    maxBatchDelayMs: 5,
    onDeliveryFailure: (f) => failures.push(...f),
    ...overrides,
  } as CatalogTrackerOptions);
  const sent = (): { stream: string; line: string }[] =>
    inputs.flatMap((i) => (i.Records ?? []).flatMap((r) => Buffer.from(r.Data!).toString('utf8').split('\n').map((line) => ({ stream: i.DeliveryStreamName!, line }))));
  return { tracker, failures, sent };
}

describe('validate at the producer', () => {
  const open: Tracker[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close().catch(() => undefined)));
  });
  const make = (overrides: Partial<CatalogTrackerOptions> = {}): ReturnType<typeof setup> => {
    const s = setup(overrides);
    open.push(s.tracker);
    return s;
  };

  it("'throw': track() refuses an event that breaks its contract, naming keyword and schema path but not the value", async () => {
    // Prepare
    const { tracker, sent } = make({ validate: 'throw' });

    // Act
    const act = (): unknown => tracker.track('web-shop', 'signup', { plan: 'gold-secret-value' });

    // Assess
    expect(act).toThrow(ContractViolationError);
    expect(act).toThrow(InvalidEventError);
    let error: ContractViolationError | undefined;
    try {
      act();
    } catch (err) {
      error = err as ContractViolationError;
    }
    expect(error).toMatchObject({ name: 'ContractViolationError', app: 'web-shop', eventType: 'signup', keyword: 'enum', schemaPath: '/properties/plan/enum' });
    expect(error!.message).not.toContain('gold-secret-value');
    await tracker.track('web-shop', 'signup', { plan: 'pro' });
    await tracker.flush();
    expect(sent().map((s) => JSON.parse(s.line).plan)).toEqual(['pro']);
    expect(tracker.metrics()).toMatchObject({ eventsTracked: 1, eventsDelivered: 1, eventsFailed: 0, contractViolations: 3 });
  });

  it("'report': the event goes to onDeliveryFailure as ContractViolation, is never sent and never counted delivered", async () => {
    // Prepare
    const { tracker, failures, sent } = make({ validate: 'report' });

    // Act
    await tracker.track('billing', 'invoice_paid', { event_id: 'bad-1', invoice_id: 'INV 1', amount: 3 });
    await tracker.track('billing', 'invoice_paid', { event_id: 'good-1', invoice_id: 'inv-1', amount: 3 });
    await tracker.track('billing', 'invoice_paid', { event_id: 'bad-2', invoice_id: 'inv-2', amount: -1 });
    await tracker.flush();

    // Assess
    expect(failures.map((f) => [f.eventId, f.errorCode, f.errorMessage, f.attempts, f.destination])).toEqual([
      ['bad-1', 'ContractViolation', 'violates the contract of billing/invoice_paid: pattern at /properties/invoice_id/pattern', 0, 'shop-prod-billing-invoice_paid'],
      ['bad-2', 'ContractViolation', 'violates the contract of billing/invoice_paid: minimum at /properties/amount/minimum', 0, 'shop-prod-billing-invoice_paid'],
    ]);
    expect(JSON.parse(failures[0]!.data)).toMatchObject({ app: 'billing', event_type: 'invoice_paid', event_id: 'bad-1', invoice_id: 'INV 1' });
    expect(sent().map((s) => JSON.parse(s.line).event_id)).toEqual(['good-1']);
    expect(tracker.metrics()).toMatchObject({ eventsTracked: 3, eventsDelivered: 1, eventsFailed: 2, eventsPending: 0, contractViolations: 2 });
  });

  it("'report' without onDeliveryFailure: flush() rejects with the DeliveryError that carries it", async () => {
    // Prepare
    const { tracker } = make({ validate: 'report', onDeliveryFailure: undefined });

    // Act
    await tracker.track('web-shop', 'signup', { plan: 'pro', coupon: 'X' });
    const flushed = tracker.flush();

    // Assess
    await expect(flushed).rejects.toThrow(DeliveryError);
    const err = (await flushed.catch((e: unknown) => e)) as DeliveryError;
    expect(err.summary).toEqual({ events: 1, byCode: { ContractViolation: 1 }, byDestination: { 'shop-prod-web-shop-signup': 1 } });
    expect(err.failures[0]!.errorMessage).toBe('violates the contract of web-shop/signup: additionalProperties at /additionalProperties');
  });

  it("'off' (the default) sends what the pipeline will judge; observe-mode contracts are never enforced at the producer", async () => {
    // Prepare
    const off = make();
    const report = make({ validate: 'report' });

    // Act
    await off.tracker.track('web-shop', 'signup', { plan: 'gold' });
    await report.tracker.track('web-shop', 'search', { query: '' });
    await Promise.all([off.tracker.flush(), report.tracker.flush()]);

    // Assess
    expect(off.tracker.options.validate).toBe('off');
    expect(off.sent().map((s) => JSON.parse(s.line).plan)).toEqual(['gold']);
    expect(report.sent().map((s) => s.stream)).toEqual(['shop-prod-web-shop-search']);
    expect(report.failures).toEqual([]);
  });

  it('needs the contracts of a catalog module: with a manifest, validate is an option error', () => {
    // Act
    const act = (): unknown => createTracker({ project: 'shop', environment: 'prod', manifest: { version: 1, project: 'shop', environments: {} }, validate: 'report' });

    // Assess
    expect(act).toThrow(TrackerOptionsError);
    expect(act).toThrow(/validate: 'report' needs the contracts of a catalog module/);
  });

  it('refuses a catalog of another format or version, and a contract that does not compile, at createTracker', () => {
    // Prepare
    const future = { ...CATALOG, version: 2 } as unknown as TrackingCatalog;
    const notACatalog = { project: 'shop' } as unknown as TrackingCatalog;
    const key = 'web-shop/signup';
    const badContract = {
      ...CATALOG,
      eventTypes: { ...CATALOG.eventTypes, [key]: { ...CATALOG.eventTypes[key]!, contract: { mode: 'enforce', hash: 'x', schema: { type: 'string', format: 'no-such-format' } } } },
    } as unknown as TrackingCatalog;

    // Act / Assess
    expect(() => createTracker({ catalog: future, environment: 'prod' })).toThrow(/has version 2; this tracker reads version 1/);
    expect(() => createTracker({ catalog: notACatalog, environment: 'prod' })).toThrow(CatalogError);
    expect(() => createTracker({ catalog: badContract, environment: 'prod', validate: 'throw' })).toThrow(/the contract of web-shop\/signup in the catalog module cannot be compiled/);
  });

  it('compiles the same program from the catalog as synth puts in the transform\'s contract table', () => {
    // Prepare
    const env = loadConfig(FIXTURE).environments.find((e) => e.name === 'prod')!;
    const table = buildContractTable('prod', env.eventTypes);

    // Act / Assess
    for (const t of env.eventTypes.filter((x) => x.contract !== undefined)) {
      const entry = table.streams[t.deliveryStreamName]!;
      expect(compileProgram(CATALOG.eventTypes[t.key]!.contract!.schema as never)).toEqual(table.programs[entry.program!]);
    }
  });

  it('refuses exactly what the JSONL transform refuses, on random events (the same validator, the same bytes)', async () => {
    // Prepare: the transform's contracts, as synth builds and the Lambda links them.
    const env = loadConfig(FIXTURE).environments.find((e) => e.name === 'prod')!;
    const registry = new ContractRegistry(JSON.parse(JSON.stringify(buildContractTable('prod', env.eventTypes))) as ReturnType<typeof buildContractTable>);
    const { tracker, failures, sent } = make({ validate: 'report', packing: false });
    const value = fc.oneof(fc.constantFrom('free', 'pro', 'gold', '', 'inv-12', 'INV 1', 'ada@example.com', 'not an email', 'EUR', 'CHF'), fc.integer({ min: -5, max: 5 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(null), fc.boolean());
    // Mostly valid values, so that both verdicts are frequent; any field may be missing, wrong or undeclared.
    const mostly = <T,>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ arbitrary: valid, weight: 4 }, { arbitrary: value, weight: 1 });
    const signup = fc
      .record(
        { plan: mostly(fc.constantFrom('free', 'pro')), email: mostly(fc.constant('ada@example.com')), referrer: mostly(fc.oneof(fc.string(), fc.constant(null))), coupon: value },
        { requiredKeys: [] },
      )
      .map((e) => ['web-shop', 'signup', e] as const);
    const invoice = fc
      .record(
        { invoice_id: mostly(fc.integer({ min: 0, max: 10_000 }).map((n) => `inv-${n}`)), amount: mostly(fc.double({ min: 0, max: 1e6, noNaN: true })), currency: mostly(fc.constantFrom('EUR', 'USD')), note: value },
        { requiredKeys: [] },
      )
      .map((e) => ['billing', 'invoice_paid', e] as const);
    let accepted = 0;
    let refused = 0;

    // Act / Assess
    await fc.assert(
      fc.asyncProperty(fc.oneof(signup, invoice), async ([app, type, event]) => {
        const failedBefore = failures.length;
        const sentBefore = sent().length;
        await tracker.track(app, type as never, event as never);
        await tracker.flush();
        const line = failures.length > failedBefore ? failures[failures.length - 1]!.data : sent()[sentBefore]!.line;
        const trackerAccepted = failures.length === failedBefore;
        const stream = CATALOG.environments.prod!.deliveryStreams[`${app}/${type}`]!;
        const transform = transformRecordData(Buffer.from(line, 'utf8').toString('base64'), registry.lookup(stream).contract);
        if (trackerAccepted) accepted++;
        else refused++;
        expect(transform.result === 'Ok').toBe(trackerAccepted);
      }),
      { numRuns: 300, seed: 20261208 },
    );
    // Both verdicts occurred often enough for the comparison to mean something.
    expect(accepted).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(20);
  });
});
