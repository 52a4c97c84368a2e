/**
 * End to end, queried with SQL the way Athena would:
 *
 *   tracker client (createTracker, real AWS SDK) -> local Firehose stand-in (PutRecordBatch)
 *   -> the BUNDLED transform as synth ships it (index.js + contracts.json, loaded with require)
 *   -> gzipped objects under the real prefix layout (the delivery streams' own prefixes, with
 *      Firehose's timestamp expressions evaluated at the records' arrival time; failed records as
 *      Firehose's error documents under the error prefix)
 *   -> DuckDB (in process) reading them through views generated from the Glue tables that
 *      EventTables synthesizes (SerDe, columns, types, partition projection template).
 *
 * The counts and values that come back must be exactly what was sent.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { Testing } from 'cdktf';
import { createTracker } from '../../client/node/index';
import { buildManifest } from '../../config/manifest';
import * as naming from '../../config/naming';
import { bundleJsonlTransform } from '../../modules/contracts';
import { EventTables, LakeCatalog } from '../../modules/lake';
import { FirehoseStandIn, standInFirehoseClient, type StartedStandIn } from '../helpers/firehose-standin';
import { createViews, glueTablesOf } from './duckdb-glue';
import { loadWithContracts, type ContractedSpec } from './helpers';

const BUCKET = 'acme-dev-tracking-events';
const DATABASE = naming.glueDatabaseName({ project: 'acme', environment: 'dev' });
const ARRIVALS = [Date.UTC(2026, 10, 21, 9, 15, 0), Date.UTC(2026, 10, 21, 10, 5, 0)];
const LAMBDA_ARN = 'arn:aws:lambda:eu-central-1:123456789012:function:acme-dev-jsonl-transform:$LATEST';

type Handler = (event: FirehoseTransformationEvent) => Promise<FirehoseTransformationResult>;
type Row = Record<string, unknown>;

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Evaluates a delivery stream's S3 prefix at an arrival time, as Firehose does (UTC). */
function firehosePrefix(prefix: string, arrival: number, errorOutputType = ''): string {
  const d = new Date(arrival);
  return prefix
    .replace('!{timestamp:yyyy}', String(d.getUTCFullYear()))
    .replace('!{timestamp:MM}', pad(d.getUTCMonth() + 1))
    .replace('!{timestamp:dd}', pad(d.getUTCDate()))
    .replace('!{timestamp:HH}', pad(d.getUTCHours()))
    .replace('!{firehose:error-output-type}', errorOutputType);
}

/** Firehose's object name: `<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid>`, plus `.gz` with GZIP. */
function objectName(stream: string, arrival: number): string {
  const d = new Date(arrival);
  return `${stream}-1-${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}-${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}-${pad(d.getUTCSeconds())}-${randomUUID()}.gz`;
}

describe('end to end: tracker -> Firehose stand-in -> bundled transform -> gzipped S3 layout -> SQL', () => {
  let standIn: FirehoseStandIn;
  let started: StartedStandIn;
  let root: string;
  let connection: DuckDBConnection;
  let specs: ContractedSpec[];
  const sent = { checkout: [] as Row[], badCheckout: [] as Row[], search: [] as Row[], appOpen: [] as Row[], pageView: [] as Row[] };
  /** The record holding the violating checkout, as the stand-in received it. */
  let badRecord: Buffer | undefined;

  const query = async (sql: string): Promise<Row[]> => (await connection.runAndReadAll(sql)).getRowObjectsJson() as Row[];

  beforeAll(async () => {
    // Prepare: the config with contracts, the stand-in, the bundled transform.
    const loaded = loadWithContracts();
    specs = loaded.specs('dev');
    standIn = new FirehoseStandIn();
    started = await standIn.start();
    root = mkdtempSync(path.join(tmpdir(), 'tracking-lake-'));
    const bundle = bundleJsonlTransform({ assetName: 'test-e2e-jsonl-transform', environment: 'dev', eventTypes: specs });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const handler = (require(bundle.file) as { handler: Handler }).handler;

    // Act 1: the tracker sends (packing on, as in production).
    const tracker = createTracker({
      project: 'acme',
      environment: 'dev',
      manifest: buildManifest(loaded.config),
      firehoseClient: standInFirehoseClient(started.endpoint),
      maxBatchDelayMs: 5,
    });
    for (let k = 1; k <= 40; k++) {
      const e: Row = {
        event_id: `co-${pad(k, 3)}`,
        order_id: `o-${1000 + k}`,
        amount: k * 1.5,
        currency: ['EUR', 'USD', 'GBP'][k % 3],
        items: [{ sku: `SKU-${k}`, quantity: 1 + (k % 4), price: k * 1.5 }],
        coupon: k % 5 === 0 ? 'SUMMER' : null,
        ...(k % 2 === 0 ? { customer: { id: `1b4e28ba-2fa1-11d2-883f-0016d3cc${pad(k, 4)}`, new: k % 4 === 0 } } : {}),
      };
      sent.checkout.push(e);
      await tracker.track('web-shop', 'checkout_completed', e);
    }
    for (let k = 1; k <= 20; k++) {
      // Observe mode: every third search violates `results >= 0` and must still reach the table.
      const e: Row = { event_id: `se-${pad(k, 3)}`, query: `shoes ${k}`, results: k % 3 === 0 ? -1 : k * 10, filters: k % 2 === 0 ? ['price'] : ['brand', 'size'] };
      sent.search.push(e);
      await tracker.track('web-shop', 'search', e);
    }
    for (let k = 1; k <= 10; k++) {
      const e: Row = { event_id: `ao-${pad(k, 3)}`, os: k % 2 === 0 ? 'ios' : 'android', cold_start: k % 3 === 0, launch_ms: 100 + k };
      sent.appOpen.push(e);
      await tracker.track('mobile-app', 'app_open', e);
    }
    for (let k = 1; k <= 15; k++) {
      const e: Row = { event_id: `pv-${pad(k, 3)}`, path: `/products/${k}`, title: `Größe ${k} – 東京 😀` };
      sent.pageView.push(e);
      await tracker.track('web-shop', 'page_view', e);
    }
    await tracker.flush();
    // A violating checkout, flushed on its own so that its record holds only it.
    const bad: Row = { event_id: 'co-bad', order_id: 'o-9999', amount: '12', currency: 'EUR', items: [{ sku: 'SKU-1', quantity: 1 }] };
    sent.badCheckout.push(bad);
    await tracker.track('web-shop', 'checkout_completed', bad);
    await tracker.close();

    badRecord = standIn.records('acme-dev-web-shop-checkout_completed').find((r) => r.data.includes('"co-bad"'))?.data;

    // Act 2: Firehose invokes the transform per stream (two buffers, an hour apart) and writes the results.
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      for (const spec of specs) {
        const records = standIn.records(spec.deliveryStreamName);
        const half = Math.ceil(records.length / 2);
        for (const [b, batch] of [records.slice(0, half), records.slice(half)].entries()) {
          if (batch.length === 0) continue;
          const arrival = ARRIVALS[b]!;
          const event: FirehoseTransformationEvent = {
            invocationId: randomUUID(),
            deliveryStreamArn: `arn:aws:firehose:eu-central-1:123456789012:deliverystream/${spec.deliveryStreamName}`,
            region: 'eu-central-1',
            records: batch.map((r, k) => ({ recordId: `${b}-${k}`, approximateArrivalTimestamp: arrival + k, data: r.data.toString('base64') })),
          };
          const response = await handler(event);
          const ok = response.records.filter((r) => r.result === 'Ok').map((r) => Buffer.from(r.data ?? '', 'base64'));
          if (ok.length > 0) {
            const dir = path.join(root, firehosePrefix(spec.prefix, arrival));
            mkdirSync(dir, { recursive: true });
            writeFileSync(path.join(dir, objectName(spec.deliveryStreamName, arrival)), gzipSync(Buffer.concat(ok)));
          }
          // Firehose's documented error document per failed record, one per line.
          const failed = response.records.flatMap((r, k) =>
            r.result === 'ProcessingFailed'
              ? [JSON.stringify({ attemptsMade: 1, arrivalTimestamp: arrival + k, errorCode: 'Lambda.ProcessingFailed', errorMessage: 'The Lambda function returned ProcessingFailed.', attemptEndingTimestamp: arrival + 60_000, rawData: r.data, lambdaArn: LAMBDA_ARN })]
              : [],
          );
          if (failed.length > 0) {
            const dir = path.join(root, firehosePrefix(spec.errorOutputPrefix, arrival, 'processing-failed'));
            mkdirSync(dir, { recursive: true });
            writeFileSync(path.join(dir, objectName(spec.deliveryStreamName, arrival)), gzipSync(`${failed.join('\n')}\n`));
          }
        }
      }
    } finally {
      log.mockRestore();
    }

    // Act 3: the tables as synthesized, as DuckDB views.
    const stack = JSON.parse(
      Testing.synthScope((scope) => {
        new LakeCatalog(scope, 'lake', { databaseName: DATABASE, workgroupName: 'acme-dev-tracking', bucketName: BUCKET });
        new EventTables(scope, 'tables', { databaseName: DATABASE, bucketName: BUCKET, eventTypes: specs });
      }),
    ) as Record<string, unknown>;
    const instance = await DuckDBInstance.create(':memory:');
    connection = await instance.connect();
    await createViews(connection, DATABASE, glueTablesOf(stack), BUCKET, root);
  });

  afterAll(async () => {
    connection?.closeSync();
    await started?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('reads every valid checkout back with its values, from the table of its contract', async () => {
    // Act
    const rows = await query(`SELECT app, event_type, event_id, order_id, amount, currency, items, coupon, customer, sent_at
      FROM ${DATABASE}.web_shop__checkout_completed ORDER BY event_id`);

    // Assess
    expect(rows).toHaveLength(sent.checkout.length);
    rows.forEach((row, k) => {
      const e = sent.checkout[k]!;
      const items = e.items as { sku: string; quantity: number; price: number }[];
      expect(row).toEqual({
        app: 'web-shop',
        event_type: 'checkout_completed',
        event_id: e.event_id,
        order_id: e.order_id,
        amount: e.amount,
        currency: e.currency,
        items: items.map((i) => ({ sku: i.sku, quantity: String(i.quantity), price: i.price })),
        coupon: e.coupon,
        customer: e.customer ?? null,
        sent_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      });
    });
  });

  it('answers the README\'s first query with the sums of what was sent', async () => {
    // Act
    const rows = await query(`SELECT currency, count(*) AS orders, sum(amount) AS revenue
      FROM ${DATABASE}.web_shop__checkout_completed
      WHERE year = '2026' AND month = '11' AND day = '21'
      GROUP BY currency ORDER BY currency`);

    // Assess
    const expected = ['EUR', 'GBP', 'USD'].map((currency) => {
      const mine = sent.checkout.filter((e) => e.currency === currency);
      return { currency, orders: String(mine.length), revenue: mine.reduce((s, e) => s + (e.amount as number), 0) };
    });
    expect(rows).toEqual(expected);
  });

  it('projects the partitions from the arrival time: year, month, day, hour', async () => {
    const rows = await query(`SELECT year, month, day, hour, count(*) AS n FROM ${DATABASE}.web_shop__checkout_completed GROUP BY ALL ORDER BY ALL`);
    expect(rows.map((r) => [r.year, r.month, r.day, r.hour])).toEqual([
      ['2026', '11', '21', '09'],
      ['2026', '11', '21', '10'],
    ]);
    expect(rows.reduce((n, r) => n + Number(r.n), 0)).toBe(sent.checkout.length);
    const hourTen = await query(`SELECT count(*) AS n FROM ${DATABASE}.web_shop__checkout_completed WHERE hour = '10'`);
    expect(Number(hourTen[0]!.n)).toBe(Number(rows[1]!.n));
  });

  it('finds the violating checkout, byte for byte, in the error table and not in the data table', async () => {
    // Act
    const errors = await query(`SELECT error_type, errorcode, lambdaarn, decode(from_base64(rawdata)) AS record FROM ${DATABASE}.web_shop__checkout_completed__errors`);
    const inData = await query(`SELECT count(*) AS n FROM ${DATABASE}.web_shop__checkout_completed WHERE event_id = 'co-bad'`);

    // Assess
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ error_type: 'processing-failed', errorcode: 'Lambda.ProcessingFailed', lambdaarn: LAMBDA_ARN });
    expect(errors[0]!.record).toBe(badRecord?.toString('utf8'));
    expect(JSON.parse(errors[0]!.record as string) as Row).toMatchObject({ ...sent.badCheckout[0], app: 'web-shop', event_type: 'checkout_completed' });
    expect(Number(inData[0]!.n)).toBe(0);
  });

  it('keeps observed violations in the table (observe mode lets them through)', async () => {
    const rows = await query(`SELECT event_id, query, results, filters FROM ${DATABASE}.web_shop__search ORDER BY event_id`);
    expect(rows).toEqual(sent.search.map((e) => ({ event_id: e.event_id, query: e.query, results: String(e.results), filters: e.filters })));
    expect(rows.filter((r) => r.results === '-1')).toHaveLength(6);
    const errors = await query(`SELECT count(*) AS n FROM ${DATABASE}.web_shop__search__errors`);
    expect(Number(errors[0]!.n)).toBe(0);
  });

  it('reads a YAML-file contract\'s type in another application', async () => {
    const rows = await query(`SELECT event_id, os, cold_start, launch_ms FROM ${DATABASE}.mobile_app__app_open ORDER BY event_id`);
    expect(rows).toEqual(sent.appOpen.map((e) => ({ event_id: e.event_id, os: e.os, cold_start: e.cold_start, launch_ms: String(e.launch_ms) })));
  });

  it('gives a type without a contract its whole lines in "raw", queryable with JSON functions', async () => {
    const rows = await query(`SELECT json_extract_string(raw, '$.event_id') AS event_id, json_extract_string(raw, '$.path') AS path,
      json_extract_string(raw, '$.title') AS title FROM ${DATABASE}.web_shop__page_view ORDER BY event_id`);
    expect(rows).toEqual(sent.pageView.map((e) => ({ event_id: e.event_id, path: e.path, title: e.title })));
  });
});
