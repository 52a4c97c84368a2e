/**
 * What ships, on the pattern that hangs a backtracking engine: a config whose contract has
 * `^([a-z0-9]+)+$` with maxLength 64 is synthesized (`node dist/main.js`, as `npm run synth`
 * does), the JSONL transform and collector assets are unzipped from cdktf.out, and events carrying
 * adversarial values of every length from 1 to 64 go through each. The collector runs with its
 * production SDK clients, pointed at the local stand-ins (s3rver for the catalog object that synth
 * wrote, the SSM stand-in for the write-key parameter, the Firehose stand-in).
 *
 * No timing is asserted. What is asserted is deterministic: V8's regular expression engine never
 * runs the contract's pattern (the linear-time engine of lib/linear-regexp.ts does), checked
 * first on a short value, so that a regression fails here instead of hanging on a long one;
 * then every answer, at every length, is the one ECMA-262 gives.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { hashWriteKey } from '../../lib/write-keys';
import { PROJECT_ROOT } from '../../modules/bundle';
import { readZip } from '../../scripts/cdktn-compare';
import { apiEvent } from '../collector/factories';
import { FirehoseStandIn, type StartedStandIn } from '../helpers/firehose-standin';
import { SsmStandIn } from '../helpers/ssm-standin';

const PATTERN = '^([a-z0-9]+)+$';
const MAX_LENGTH = 64;
const WRITE_KEY = `tpk_${'r'.repeat(43)}`;
const STREAM = 'acme-dev-web-shop-signup';
/** The origin secret the collector's edge (CloudFront, on by default) adds to every request. */
const EDGE_SECRET = 'edge-secret-for-tests';

const CONFIG = `project: acme
environments:
  dev:
    region: eu-central-1
    collector:
      enabled: true
      applications:
        web-shop:
          writeKeys: [${hashWriteKey(WRITE_KEY)}]
applications:
  - name: web-shop
    eventTypes:
      - name: signup
        schema:
          type: object
          properties:
            handle: { type: string, maxLength: ${MAX_LENGTH}, pattern: ${JSON.stringify(PATTERN)} }
          required: [handle]
`;

/** The adversarial values of length n: all but the last character match, and the matching ones. */
function valuesOf(n: number): { value: string; matches: boolean }[] {
  return [
    { value: `${'a'.repeat(n - 1)}!`, matches: false },
    { value: `${'a1'.repeat(n).slice(0, n - 1)}-`, matches: false },
    { value: 'a'.repeat(n), matches: true },
  ];
}

/** Calls of V8's regular expression engine on the contract's pattern while `act` runs. */
async function patternRunsOnV8(act: () => Promise<void>): Promise<number> {
  const exec = RegExp.prototype.exec;
  const test = RegExp.prototype.test;
  let calls = 0;
  RegExp.prototype.exec = function (this: RegExp, s: string): RegExpExecArray | null {
    if (this.source === PATTERN) calls++;
    return exec.call(this, s);
  };
  RegExp.prototype.test = function (this: RegExp, s: string): boolean {
    if (this.source === PATTERN) calls++;
    return test.call(this, s);
  };
  try {
    await act();
  } finally {
    RegExp.prototype.exec = exec;
    RegExp.prototype.test = test;
  }
  return calls;
}

type TransformHandler = (event: FirehoseTransformationEvent) => Promise<FirehoseTransformationResult>;
type CollectorHandler = (event: APIGatewayProxyEventV2, context: { getRemainingTimeInMillis(): number }) => Promise<APIGatewayProxyStructuredResultV2>;

let dir: string;
const assets = new Map<string, string>();

/** Unzips the synthesized asset whose folder name starts with `name` and returns its folder. */
function unzipAsset(stackDir: string, name: string): string {
  const assetsDir = path.join(stackDir, 'assets');
  const folder = readdirSync(assetsDir).find((f) => f.startsWith(name));
  if (folder === undefined) throw new Error(`no ${name} asset in ${assetsDir}`);
  const [hash] = readdirSync(path.join(assetsDir, folder));
  const files = readZip(readFileSync(path.join(assetsDir, folder, hash!, 'archive.zip')));
  const out = path.join(dir, 'unzipped', name);
  mkdirSync(out, { recursive: true });
  for (const [file, bytes] of files) writeFileSync(path.join(out, file), bytes);
  return out;
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'pattern-assets-'));
  writeFileSync(path.join(dir, 'tracking.yaml'), CONFIG);
  const synth = spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'dist', 'main.js')], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    env: { ...process.env, TRACKING_CONFIG: path.join(dir, 'tracking.yaml'), CDKTF_OUTDIR: path.join(dir, 'cdktf.out') },
  });
  if (synth.status !== 0) throw new Error(`synth failed: ${synth.stderr}`);
  const stackDir = path.join(dir, 'cdktf.out', 'stacks', 'tracking-dev');
  assets.set('stack', stackDir);
  assets.set('transform', unzipAsset(stackDir, 'jsonl-transform'));
  assets.set('collector', unzipAsset(stackDir, 'collector'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the synthesized JSONL transform on adversarial pattern values', () => {
  let handler: TransformHandler;
  const event = (values: readonly string[]): FirehoseTransformationEvent => ({
    invocationId: 'pattern-assets',
    deliveryStreamArn: `arn:aws:firehose:eu-central-1:123456789012:deliverystream/${STREAM}`,
    region: 'eu-central-1',
    records: values.map((handle, k) => ({
      recordId: `r${k}`,
      approximateArrivalTimestamp: 1795342530000,
      data: Buffer.from(`${JSON.stringify({ app: 'web-shop', event_type: 'signup', event_id: `e${k}`, handle })}\n`).toString('base64'),
    })),
  });

  beforeAll(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = (require(path.join(assets.get('transform')!, 'index.js')) as { handler: TransformHandler }).handler;
  });

  it('never runs the pattern on V8 (checked on a short value first)', async () => {
    // Prepare
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);

    // Act
    let results: string[] = [];
    const calls = await patternRunsOnV8(async () => {
      results = (await handler(event(['aaaaaaaaa!', 'aaaaaaaaaa']))).records.map((r) => r.result);
    });
    log.mockRestore();

    // Assess
    expect(calls).toBe(0);
    expect(results).toEqual(['ProcessingFailed', 'Ok']);
  });

  it('answers every value of every length up to maxLength as ECMA-262 does', async () => {
    // Prepare: a regression must fail here, on a short value, not hang on a long one.
    const cases = Array.from({ length: MAX_LENGTH }, (_, k) => valuesOf(k + 1)).flat();
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    expect(await patternRunsOnV8(async () => void (await handler(event(['aaaaaaaaa!']))))).toBe(0);

    // Act
    let response: FirehoseTransformationResult | undefined;
    const calls = await patternRunsOnV8(async () => {
      response = await handler(event(cases.map((c) => c.value)));
    });
    log.mockRestore();

    // Assess
    expect(calls).toBe(0);
    expect(response?.records.map((r) => r.result)).toEqual(cases.map((c) => (c.matches ? 'Ok' : 'ProcessingFailed')));
  });
});

describe('the synthesized collector on adversarial pattern values', () => {
  let handler: CollectorHandler;
  let s3dir: string;
  let s3rver: { run(): Promise<AddressInfo>; close(): Promise<void>; readonly httpServer?: Server };
  let ssmEndpoint: { endpoint: string; close: () => Promise<void> };
  let firehose: FirehoseStandIn;
  let firehoseStarted: StartedStandIn;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    // Prepare the stand-ins with what synth wrote: the catalog object and the write-key parameter.
    const stack = JSON.parse(readFileSync(path.join(assets.get('stack')!, 'cdk.tf.json'), 'utf8')) as {
      resource: Record<string, Record<string, Record<string, unknown>>>;
    };
    const catalog = Object.values(stack.resource.aws_s3_object ?? {}).find((o) => String(o.key).startsWith('catalog/'));
    const parameters = Object.values(stack.resource.aws_ssm_parameter ?? {});
    const settings = JSON.parse(readFileSync(path.join(assets.get('collector')!, 'settings.json'), 'utf8')) as { bucketName: string };
    if (catalog === undefined || parameters.length === 0) throw new Error('synth wrote no catalog object or write-key parameter');

    s3dir = mkdtempSync(path.join(tmpdir(), 'pattern-assets-s3-'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const S3rver = require('s3rver') as new (o: object) => typeof s3rver;
    s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3dir, configureBuckets: [{ name: settings.bucketName }] });
    const { port } = await s3rver.run();
    const s3 = new S3Client({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'eu-central-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      requestHandler: new NodeHttpHandler(),
    });
    await s3.send(new PutObjectCommand({ Bucket: settings.bucketName, Key: String(catalog.key), Body: Buffer.from(String(catalog.content_base64), 'base64'), ContentType: 'application/gzip' }));
    s3.destroy();
    const ssm = new SsmStandIn();
    for (const p of parameters) ssm.put(String(p.name), String(p.insecure_value ?? p.value));
    ssmEndpoint = await ssm.start();
    firehose = new FirehoseStandIn({ streams: [STREAM] });
    firehoseStarted = await firehose.start();

    // The bundle's own SDK clients, pointed at the stand-ins the way any SDK v3 client can be.
    Object.assign(process.env, {
      AWS_REGION: 'eu-central-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`,
      AWS_ENDPOINT_URL_SSM: ssmEndpoint.endpoint,
      AWS_ENDPOINT_URL_FIREHOSE: firehoseStarted.endpoint,
      COLLECTOR_EDGE_SECRET: EDGE_SECRET,
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = (require(path.join(assets.get('collector')!, 'index.js')) as { handler: CollectorHandler }).handler;
  });

  afterAll(async () => {
    process.env = savedEnv;
    await ssmEndpoint?.close();
    await firehoseStarted?.close();
    s3rver?.httpServer?.closeAllConnections();
    await s3rver?.close();
    if (s3dir) rmSync(s3dir, { recursive: true, force: true });
  });

  async function post(values: readonly string[]): Promise<{ status: number; rejected: number[]; codes: string[] }> {
    const body = { writeKey: WRITE_KEY, events: values.map((handle, k) => ({ event_type: 'signup', event_id: `e-${k}-${handle.length}`, handle })) };
    const log = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const r = await handler(apiEvent(body, { headers: { origin: undefined, referer: undefined, 'x-collector-edge-secret': EDGE_SECRET, 'x-write-key': WRITE_KEY } }), { getRemainingTimeInMillis: () => 10_000 });
      const answer = JSON.parse(r.body ?? '{}') as { rejected?: { index: number; code: string }[] };
      return { status: r.statusCode ?? 0, rejected: (answer.rejected ?? []).map((e) => e.index), codes: [...new Set((answer.rejected ?? []).map((e) => e.code))] };
    } finally {
      log.mockRestore();
    }
  }

  it('never runs the pattern on V8 (checked on a short value first)', async () => {
    // Act
    let answer: Awaited<ReturnType<typeof post>> | undefined;
    const calls = await patternRunsOnV8(async () => {
      answer = await post(['aaaaaaaaa!', 'aaaaaaaaaa']);
    });

    // Assess
    expect(calls).toBe(0);
    // 422: some events were rejected and none must be sent again (the valid one was written).
    expect(answer).toEqual({ status: 422, rejected: [0], codes: ['schema-violation'] });
  });

  it('answers every value of every length up to maxLength as ECMA-262 does', async () => {
    // Prepare: a regression must fail here, on a short value, not hang on a long one.
    const cases = Array.from({ length: MAX_LENGTH }, (_, k) => valuesOf(k + 1)).flat();
    expect(await patternRunsOnV8(async () => void (await post(['aaaaaaaaa!'])))).toBe(0);

    // Act
    let answer: Awaited<ReturnType<typeof post>> | undefined;
    const calls = await patternRunsOnV8(async () => {
      answer = await post(cases.map((c) => c.value));
    });

    // Assess
    expect(calls).toBe(0);
    expect(answer?.rejected).toEqual(cases.flatMap((c, k) => (c.matches ? [] : [k])));
    expect(answer?.codes).toEqual(['schema-violation']);
    expect(answer?.status).toBe(422);
  });
});
