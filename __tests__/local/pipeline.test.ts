/**
 * The whole pipeline on one machine: `tracking dev` (the built command) runs the fixture config
 * (fixtures/local/pipeline.yaml) from what synth wrote and Terraform evaluated, and events sent
 * through every entry point are read back with `tracking query` (the built command):
 *
 *   Node tracker, direct mode        -> Firehose PutRecordBatch -> transform asset -> S3 -> table
 *   Node tracker, root-stream mode   -> Kinesis PutRecords -> mapping -> router asset -> Firehose -> ...
 *   plain HTTP to the collector      -> API Gateway 2.0 event -> collector asset -> root stream -> ...
 *
 * Every accepted event must be exactly one row of its type's table, field for field; contract
 * violations must be rows of the error table; each hot-path match is notified once. The tracker
 * and the SDK clients are pointed at the runtime only by AWS_ENDPOINT_URL, as a user would.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DynamoDBClient, ListTablesCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { readZip } from '../../cli/dev/zip';
import { catalogForConfig } from '../../cli/types/catalog';
import { createTracker } from '../../client/node/index';
import { FIXTURES, query, runQueryCli, sdkEnv, startDev, type DevProcess } from './helpers';

const CONFIG = path.join(FIXTURES, 'pipeline.yaml');

type Event = Record<string, unknown> & { event_id: string };

let dev: DevProcess;
const savedEnv: Record<string, string | undefined> = {};

/** What each entry point sent, by event id. */
const sent = {
  pageView: new Map<string, Event>(),
  checkout: new Map<string, Event>(),
  appOpen: new Map<string, Event>(),
  violations: new Map<string, Event>(),
  large: new Set<string>(),
};

const id = (prefix: string): string => `${prefix}-${randomUUID()}`;

function tracker(mode: 'direct' | 'root-stream', packing = true): ReturnType<typeof createTracker> {
  return createTracker({ project: 'acme', environment: 'local', catalog: catalogForConfig(CONFIG), mode, packing, maxBatchDelayMs: 50 });
}

/** Posts events as a client following the protocol does: a whole-request 503 (Retry-After) is sent again. */
async function postEvents(app: string, events: readonly object[]): Promise<{ status: number; body: Record<string, unknown> }> {
  for (let attempt = 0; ; attempt++) {
    const r = await fetch(`${dev.info.collector!}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-write-key': dev.info.writeKeys[app]! },
      body: JSON.stringify({ events }),
    });
    const body = (await r.json()) as Record<string, unknown>;
    const retry = body.retry as unknown[] | undefined;
    const whole = r.status === 503 && (body.accepted === 0 || body.accepted === undefined) && (retry === undefined || retry.length === events.length);
    if (!whole || attempt >= 5) return { status: r.status, body };
    await new Promise((resolve) => setTimeout(resolve, 1000 * Number(r.headers.get('retry-after') ?? 1)));
  }
}

beforeAll(async () => {
  // Prepare: the runtime as a process, the SDK pointed at it by the environment only.
  dev = await startDev({ config: CONFIG, flushSeconds: 1 });
  for (const [k, v] of Object.entries(sdkEnv(dev.info))) {
    savedEnv[k] = process.env[k];
    process.env[k] = v;
  }

  // Act: events through every entry point.
  for (const mode of ['direct', 'root-stream'] as const) {
    const t = tracker(mode);
    for (let i = 0; i < 40; i++) {
      const e: Event = { event_id: id(`pv-${mode}`), path: `/products/${i}`, referrer: i % 3 === 0 ? null : 'https://example.com/', n: i, note: 'Grüße, "quoted" \\ \u2603' };
      sent.pageView.set(e.event_id, e);
      await t.track('web-shop', 'page_view', e);
    }
    for (let i = 0; i < 10; i++) {
      const total = i < 2 ? 1500 + i : 10 + i;
      const e: Event = { event_id: id(`co-${mode}`), order: { total, currency: i % 2 === 0 ? 'EUR' : 'USD', items: i + 1 }, shop_id: `shop-${i}` };
      sent.checkout.set(e.event_id, e);
      if (total > 1000 && mode === 'root-stream') sent.large.add(e.event_id);
      await t.track('web-shop', 'checkout_completed', e);
    }
    await t.close();
    expect(t.metrics().eventsFailed).toBe(0);
  }
  // Violations, one per record (a packed record with one bad event fails as a whole, by design).
  const strict = tracker('direct', false);
  for (const bad of [{ order: { total: -5, currency: 'EUR' } }, { order: { total: 3, currency: 'GBP' } }, { shop_id: 'no-order' }]) {
    const e: Event = { event_id: id('bad'), ...bad };
    sent.violations.set(e.event_id, e);
    await strict.track('web-shop', 'checkout_completed', e);
  }
  await strict.close();
  // Plain HTTP, as curl would send it.
  const views: Event[] = Array.from({ length: 20 }, (_, i) => ({ event_type: 'page_view', event_id: id('pv-http'), path: `/http/${i}` }));
  const opens: Event[] = Array.from({ length: 5 }, (_, i) => ({ event_type: 'app_open', event_id: id('ao-http'), cold_start: i % 2 === 0 }));
  const large: Event = { event_type: 'checkout_completed', event_id: id('co-http'), order: { total: 2500, currency: 'EUR' } };
  expect(await postEvents('web-shop', [...views, large])).toMatchObject({ status: 200, body: { accepted: 21 } });
  expect(await postEvents('mobile-app', opens)).toMatchObject({ status: 200, body: { accepted: 5 } });
  for (const e of views) sent.pageView.set(e.event_id, e);
  for (const e of opens) sent.appOpen.set(e.event_id, e);
  sent.checkout.set(large.event_id, large);
  sent.large.add(large.event_id);
  await dev.flush();
}, 10 * 60_000);

afterAll(async () => {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await dev?.dispose();
});

/** Rows of a table keyed by event id; fails on a duplicate. */
function byEventId(rows: readonly Record<string, unknown>[], idOf: (r: Record<string, unknown>) => string): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const r of rows) {
    const key = idOf(r);
    expect(out.has(key) ? `duplicate row for ${key}` : 'unique').toBe('unique');
    out.set(key, r);
  }
  return out;
}

describe('tracking dev, end to end', () => {
  it('prints the ready line with the collector, the AWS endpoint, the data directory and a write key per application', () => {
    expect(dev.info).toEqual({
      ready: true,
      collector: dev.info.awsEndpoint,
      awsEndpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      dataDir: expect.any(String),
      writeKeys: { 'mobile-app': expect.stringMatching(/^tpk_/), 'web-shop': expect.stringMatching(/^tpk_/) },
    });
    expect(dev.stderr()).toContain('tracking dev: acme/local is running');
    expect(dev.stderr()).toContain('curl -s');
    expect(dev.stderr()).toContain('tracking query');
  });

  it('delivers every page view from the three entry points exactly once, field for field', () => {
    // Assess: the raw table holds each whole JSON line.
    const rows = byEventId(query(dev.info.dataDir, 'SELECT raw, year, month, day, hour FROM web_shop__page_view'), (r) => String((JSON.parse(String(r.raw)) as Event).event_id));
    expect([...rows.keys()].sort()).toEqual([...sent.pageView.keys()].sort());
    for (const [eventId, e] of sent.pageView) {
      const line = JSON.parse(String(rows.get(eventId)!.raw)) as Record<string, unknown>;
      // Events sent over HTTP name their type; the tracker's name it through track().
      expect(line).toMatchObject({ ...e, app: 'web-shop', event_type: 'page_view' });
      expect(typeof line.sent_at).toBe('string');
    }
    // The partition columns are the arrival hour, as the prefix wrote it.
    const now = new Date();
    for (const r of rows.values()) expect(r.year).toBe(String(now.getUTCFullYear()));
  });

  it('delivers every checkout into its contract table, typed column for column', () => {
    const rows = byEventId(query(dev.info.dataDir, 'SELECT * FROM web_shop__checkout_completed'), (r) => String(r.event_id));
    expect([...rows.keys()].sort()).toEqual([...sent.checkout.keys()].sort());
    for (const [eventId, e] of sent.checkout) {
      const r = rows.get(eventId)!;
      const order = e.order as { total: number; currency: string; items?: number };
      expect(r).toMatchObject({ app: 'web-shop', event_type: 'checkout_completed', event_id: eventId, order: { total: order.total, currency: order.currency, items: order.items ?? null }, shop_id: (e.shop_id as string | undefined) ?? null });
    }
  });

  it('delivers the mobile application through the collector', () => {
    const rows = byEventId(query(dev.info.dataDir, 'SELECT raw FROM mobile_app__app_open'), (r) => String((JSON.parse(String(r.raw)) as Event).event_id));
    expect([...rows.keys()].sort()).toEqual([...sent.appOpen.keys()].sort());
    for (const [eventId, e] of sent.appOpen) expect(JSON.parse(String(rows.get(eventId)!.raw))).toMatchObject({ ...e, app: 'mobile-app', received_at: expect.any(String) });
  });

  it('writes contract violations to the error table with the reason, and never to the event table', () => {
    const rows = query(dev.info.dataDir, 'SELECT errorcode, errormessage, attemptsmade, rawdata, lambdaarn, error_type FROM web_shop__checkout_completed__errors');
    const byId = byEventId(rows, (r) => String((JSON.parse(Buffer.from(String(r.rawdata), 'base64').toString('utf8')) as Event).event_id));
    expect([...byId.keys()].sort()).toEqual([...sent.violations.keys()].sort());
    for (const [eventId, e] of sent.violations) {
      const r = byId.get(eventId)!;
      expect(r).toMatchObject({ errorcode: 'Lambda.ProcessingFailed', error_type: 'processing-failed', attemptsmade: '1', lambdaarn: expect.stringMatching(/^arn:aws:lambda:eu-central-1:\d{12}:function:acme-local-jsonl-transform:\$LATEST$/) });
      expect(JSON.parse(Buffer.from(String(r.rawdata), 'base64').toString('utf8'))).toMatchObject(e);
    }
    const main = query(dev.info.dataDir, 'SELECT event_id FROM web_shop__checkout_completed').map((r) => r.event_id);
    for (const eventId of sent.violations.keys()) expect(main).not.toContain(eventId);
  });

  it('answers a violation sent to the collector with its reason (the collector enforces the contract too)', async () => {
    const r = await postEvents('web-shop', [{ event_type: 'checkout_completed', event_id: id('bad-http'), order: { total: 'many' } }]);
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ accepted: 0, rejected: [{ index: 0, code: 'schema-violation' }] });
  });

  it('notifies each hot-path match once and stores it once', async () => {
    const topicFile = path.join(dev.info.dataDir, 'local', 'sns', 'acme-local-hot-path.jsonl');
    expect(existsSync(topicFile)).toBe(true);
    const messages = readFileSync(topicFile, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(JSON.parse(l).message as string) as { rule: string; eventId: string });
    expect(messages.map((m) => m.eventId).sort()).toEqual([...sent.large].sort());
    expect(new Set(messages.map((m) => m.rule))).toEqual(new Set(['large-checkout']));
    // The matches table, through the same endpoint with the real SDK.
    const client = new DynamoDBClient({ requestHandler: new NodeHttpHandler(), maxAttempts: 1 });
    try {
      const tables = (await client.send(new ListTablesCommand({}))).TableNames ?? [];
      expect(tables.length).toBe(1);
      const items = (await client.send(new ScanCommand({ TableName: tables[0]!, ConsistentRead: true }))).Items ?? [];
      expect(items.map((i) => i.event_id?.S).sort()).toEqual([...sent.large].sort());
    } finally {
      client.destroy();
    }
  });

  it('dead-letters records the router cannot route into the SQS queue, from a Kinesis client on HTTP/2', async () => {
    // Prepare: the SDK's Kinesis client with its defaults (HTTP/2), pointed by AWS_ENDPOINT_URL only.
    const kinesis = new KinesisClient({});
    const pk = id('unroutable');
    try {
      // Act
      const put = await kinesis.send(
        new PutRecordsCommand({
          StreamName: 'acme-local-root',
          Records: [
            { PartitionKey: pk, Data: Buffer.from(JSON.stringify({ app: 'web-shop', event_type: 'not_declared', event_id: pk })) },
            { PartitionKey: `${pk}-2`, Data: Buffer.from('not json') },
          ],
        }),
      );
      expect(put.FailedRecordCount).toBe(0);
      const status = (await dev.flush()) as { mappings: Record<string, { sentToOnFailure: number }> };
      // Assess: the router stored both in its queue itself (nothing given up by the mapping).
      const letters = readFileSync(path.join(dev.info.dataDir, 'local', 'sqs', 'acme-local-fanout-router-dlq.jsonl'), 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(JSON.parse(l).body as string) as { type: string; eventType?: string; kinesis: { partitionKey: string } });
      expect(letters.filter((l) => l.kinesis.partitionKey.startsWith(pk)).map((l) => [l.type, l.kinesis.partitionKey]).sort()).toEqual([
        ['tracking.unroutable-record', pk],
        ['tracking.unroutable-record', `${pk}-2`],
      ]);
      for (const m of Object.values(status.mappings)) expect(m.sentToOnFailure).toBe(0);
    } finally {
      kinesis.destroy();
    }
  });

  it('query refuses usage errors with exit 2 and a missing lake with exit 3', () => {
    expect(runQueryCli(['--data-dir', dev.info.dataDir]).code).toBe(2);
    expect(runQueryCli(['--data-dir', path.join(dev.info.dataDir, 'nowhere'), 'SELECT 1']).code).toBe(3);
    const text = runQueryCli(['--data-dir', dev.info.dataDir, 'SELECT count(*) AS n FROM mobile_app__app_open']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^n\n-+\n5\n\(1 row\)\n$/);
  });

  it('stops on SIGTERM after delivering what it holds: exit 130, buffered events written', async () => {
    // Events left in the buffers (60 s intervals would hold them; --flush-seconds 1 too short to matter).
    const t = tracker('direct');
    const last: string[] = [];
    for (let i = 0; i < 5; i++) {
      const e: Event = { event_id: id('pv-last'), path: '/last' };
      last.push(e.event_id);
      await t.track('web-shop', 'page_view', e);
    }
    await t.close();
    const exit = await dev.stop('SIGTERM');
    expect(exit.code).toBe(130);
    expect(dev.stderr()).toMatch(/tracking dev: stopped; \d+ record\(s\) accepted/);
    const ids = query(dev.info.dataDir, 'SELECT raw FROM web_shop__page_view').map((r) => (JSON.parse(String(r.raw)) as Event).event_id);
    for (const eventId of last) expect(ids.filter((x) => x === eventId)).toHaveLength(1);
  });
});

describe('the code that ran', () => {
  it('is the assets synth zipped, byte for byte: each function’s task root holds exactly its zip’s files', () => {
    // Prepare: the synthesized stack the runtime evaluated (its private synth output).
    const stackDir = path.join(dev.info.dataDir, 'local', 'synth', 'stacks', 'tracking-local');
    const stack = JSON.parse(readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8')) as { resource: { aws_lambda_function: Record<string, { function_name: string; filename: string }> } };
    const functions = Object.values(stack.resource.aws_lambda_function);
    expect(functions.map((f) => f.function_name).sort()).toEqual(['acme-local-collector', 'acme-local-fanout-router', 'acme-local-hot-path', 'acme-local-jsonl-transform']);
    for (const f of functions) {
      const entries = readZip(readFileSync(path.join(stackDir, f.filename)));
      const root = path.join(dev.info.dataDir, 'local', 'functions', f.function_name);
      const [version, ...others] = readdirSync(root);
      expect(others).toEqual([]);
      const files = readdirSync(path.join(root, version!), { recursive: true, withFileTypes: true }).filter((d) => d.isFile());
      expect(files.map((d) => path.relative(path.join(root, version!), path.join(d.parentPath, d.name))).sort()).toEqual(entries.map((e) => e.name).sort());
      for (const e of entries) expect(Buffer.compare(readFileSync(path.join(root, version!, e.name)), e.data)).toBe(0);
    }
  });
});
