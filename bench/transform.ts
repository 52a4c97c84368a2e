/**
 * Throughput of the JSONL transform Lambda against the naive approach and the base64 floor, with
 * and without an event contract; the size and cold start of the shipped asset (index.js plus its
 * contract table) at 1, 100 and 5,000 schemas; and, for the record, the ajv standalone design the
 * byte-level validator replaced (JSON.parse + generated code: throughput and generated size).
 *
 *   node scripts/build.mjs && node dist/bench/transform.js [--quick]
 *
 * MB/s are of decoded input bytes (the bytes the pipeline carries), MB = 10^6 bytes.
 * `--quick` skips the 5,000-schema asset and the ajv compile at 100 schemas.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import Ajv from 'ajv';
import standaloneCode from 'ajv/dist/standalone';
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { buildSync } from 'esbuild';
import { checkEventSchema, contentHash, normalizeEventSchema, type EventContract } from '../config/contracts';
import { createHandler } from '../functions/jsonl-transform/handler';
import { ContractRegistry, CONTRACT_TABLE_FILE } from '../functions/jsonl-transform/table';
import { bundleJsonlTransform, buildContractTable, type ServedEventType } from '../modules/contracts';

const RECORDS = 5000;
const TARGET_RECORD_BYTES = 1024;
const WARMUP_RUNS = 5;
const RUNS = 21;
const COLD_REQUIRE_RUNS = 7;

// ---------------------------------------------------------------------------------------------
// Input

/** Deterministic pseudo-random numbers, so every run measures the same bytes. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const random = lcg(42);
const WORDS = ['shop', 'cart', 'checkout', 'Müller', 'café', 'naïve', 'Größe', '東京', '😀', 'promo', 'sale', 'home'];

function word(): string {
  return WORDS[Math.floor(random() * WORDS.length)] ?? 'x';
}

/** A tracking event of about `TARGET_RECORD_BYTES` bytes of compact JSON, shaped like the tracker's. */
function trackingEvent(k: number): Record<string, unknown> {
  const event: Record<string, unknown> = {
    event_type: 'page_view',
    event_id: `0b9c${k.toString(16).padStart(8, '0')}-7f2e-4c1a-9d3b-5e8f6a7b8c9d`,
    occurred_at: new Date(1767225600000 + k * 1000).toISOString(),
    received_at: new Date(1767225600123 + k * 1000).toISOString(),
    session: { id: `s-${Math.floor(random() * 1e9)}`, sequence: k % 50, new: k % 7 === 0 },
    user: { anonymous_id: `a-${Math.floor(random() * 1e12)}`, locale: 'de-DE', consent: ['analytics', 'ads'] },
    page: {
      url: `https://shop.example.com/${word()}/${word()}?utm_source=newsletter&utm_campaign=${word()}`,
      title: `${word()} – ${word()} | Example Shop`,
      referrer: 'https://www.google.com/',
      scroll_depth: Math.round(random() * 1000) / 10,
    },
    device: { type: 'mobile', os: 'iOS 18.1', browser: 'Safari 18', screen: [1179, 2556], dpr: 3 },
    properties: { price: 19.99, currency: 'EUR', quantity: 1 + (k % 3), tags: [word(), word(), word()] },
  };
  let json = JSON.stringify(event);
  let pad = '';
  while (Buffer.byteLength(json) < TARGET_RECORD_BYTES) {
    pad += word() + ' ';
    event.note = pad;
    json = JSON.stringify(event);
  }
  return event;
}

type Layout = 'compact' | 'pretty' | 'packed';

function makeEvent(layout: Layout): { event: FirehoseTransformationEvent; inputBytes: number } {
  let inputBytes = 0;
  const records = Array.from({ length: RECORDS }, (_, k) => {
    let text: string;
    if (layout === 'compact') text = JSON.stringify(trackingEvent(k));
    else if (layout === 'pretty') text = `${JSON.stringify(trackingEvent(k), null, 2)}\n`;
    // Packed: the tracker client joins small events with '\n' (5 per record here, ~1 KB each).
    else text = Array.from({ length: 5 }, () => JSON.stringify({ event_type: 'click', k, target: word() })).join('\n');
    const bytes = Buffer.from(text, 'utf8');
    inputBytes += bytes.length;
    return {
      recordId: `4954698668313554428650745793632162567570019247115${String(678 + k).padStart(7, '0')}`,
      approximateArrivalTimestamp: 1767225600000 + k,
      data: bytes.toString('base64'),
    };
  });
  return {
    event: {
      invocationId: '4b2f8e1c-3a6d-4f9e-8b7a-1c2d3e4f5a6b',
      deliveryStreamArn: 'arn:aws:firehose:eu-central-1:123456789012:deliverystream/acme-dev-web-shop-page_view',
      region: 'eu-central-1',
      records,
    },
    inputBytes,
  };
}

// ---------------------------------------------------------------------------------------------
// Contenders

/** The design this project learns from: decode, JSON.parse, JSON.stringify + '\n', encode. */
function naive(event: FirehoseTransformationEvent): FirehoseTransformationResult {
  return {
    records: event.records.map((r) => ({
      recordId: r.recordId,
      result: 'Ok' as const,
      data: Buffer.from(`${JSON.stringify(JSON.parse(Buffer.from(r.data, 'base64').toString('utf8')))}\n`).toString('base64'),
    })),
  };
}

/** The floor: base64 decode plus encode, nothing else. */
function floor(event: FirehoseTransformationEvent): FirehoseTransformationResult {
  return {
    records: event.records.map((r) => ({
      recordId: r.recordId,
      result: 'Ok' as const,
      data: Buffer.from(r.data, 'base64').toString('base64'),
    })),
  };
}

const STREAM = 'acme-dev-web-shop-page_view';
const quiet = { log: (): void => undefined }; // one summary line per invocation: not part of the measurement

/** A contract for the benchmark's events: types, required fields, bounds, enums, formats, nested objects and lists. */
const BENCH_SCHEMA = {
  type: 'object',
  properties: {
    occurred_at: { type: 'string', format: 'date-time' },
    session: {
      type: 'object',
      properties: { id: { type: 'string', maxLength: 64 }, sequence: { type: 'integer', minimum: 0 }, new: { type: 'boolean' } },
      required: ['id', 'sequence'],
    },
    user: {
      type: 'object',
      properties: {
        anonymous_id: { type: 'string', maxLength: 64 },
        locale: { type: 'string', pattern: '^[a-z]{2}-[A-Z]{2}$', maxLength: 5 },
        consent: { type: 'array', items: { type: 'string', enum: ['analytics', 'ads', 'personalization'] }, uniqueItems: true },
      },
      required: ['anonymous_id'],
    },
    page: {
      type: 'object',
      properties: {
        url: { type: 'string', maxLength: 2048 },
        title: { type: 'string', maxLength: 512 },
        referrer: { type: ['string', 'null'], maxLength: 2048 },
        scroll_depth: { type: 'number', minimum: 0, maximum: 100 },
      },
      required: ['url'],
    },
    device: {
      type: 'object',
      properties: {
        type: { type: 'string', enum: ['mobile', 'tablet', 'desktop'] },
        os: { type: 'string', maxLength: 64 },
        browser: { type: 'string', maxLength: 64 },
        screen: { type: 'array', items: { type: 'integer', minimum: 0 }, maxItems: 2 },
        dpr: { type: 'number', exclusiveMinimum: 0 },
      },
    },
    properties: {
      type: 'object',
      properties: {
        price: { type: 'number', minimum: 0 },
        currency: { type: 'string', enum: ['EUR', 'USD', 'GBP'] },
        quantity: { type: 'integer', minimum: 1 },
        tags: { type: 'array', items: { type: 'string', maxLength: 32 }, maxItems: 10 },
      },
    },
    note: { type: 'string', maxLength: 4096 },
  },
  required: ['occurred_at', 'session', 'page'],
} as const;

function contractOf(schema: object, application: string, eventType: string, mode: 'enforce' | 'observe' = 'enforce'): EventContract {
  const problems = checkEventSchema(schema);
  if (problems.length > 0) throw new Error(`bench schema is invalid: ${JSON.stringify(problems)}`);
  const normalized = normalizeEventSchema(schema as Record<string, unknown>, application, eventType);
  return { mode, schema: normalized, source: 'inline', hash: contentHash(normalized) };
}

function handlerFor(contract: EventContract | undefined): (event: FirehoseTransformationEvent) => Promise<FirehoseTransformationResult> {
  const table = buildContractTable('dev', [{ key: 'web-shop/page_view', deliveryStreamName: STREAM, ...(contract ? { contract } : {}) }]);
  return createHandler(() => new ContractRegistry(table), quiet);
}

const handler = handlerFor(undefined);
const enforceHandler = handlerFor(contractOf(BENCH_SCHEMA, 'web-shop', 'page_view', 'enforce'));
const observeHandler = handlerFor(contractOf(BENCH_SCHEMA, 'web-shop', 'page_view', 'observe'));

async function runHandler(event: FirehoseTransformationEvent): Promise<FirehoseTransformationResult> {
  return handler(event);
}

/** The ajv standalone design: JSON.parse each record, then the validator ajv generated at build time. */
function ajvContender(): (event: FirehoseTransformationEvent) => FirehoseTransformationResult {
  const ajv = new Ajv({ code: { source: true, lines: false }, strict: true, allErrors: false, messages: false });
  const schema = contractOf(BENCH_SCHEMA, 'web-shop', 'page_view').schema;
  const { $schema: _dialect, ...draft07 } = schema; // the subset means the same in draft-07, which ajv's default class compiles
  void _dialect;
  ajv.addFormat('date-time', { type: 'string', validate: (x: string) => !Number.isNaN(Date.parse(x)) });
  const validate = ajv.compile(draft07);
  return (event) => ({
    records: event.records.map((r) => {
      const text = Buffer.from(r.data, 'base64').toString('utf8');
      const ok = validate(JSON.parse(text));
      return { recordId: r.recordId, result: ok ? ('Ok' as const) : ('ProcessingFailed' as const), data: ok ? Buffer.from(`${text}\n`).toString('base64') : r.data };
    }),
  });
}

interface Contender {
  readonly fn: () => unknown;
  readonly inputBytes: number;
}

/**
 * Median MB/s of each contender over RUNS rounds after WARMUP_RUNS. Rounds interleave the
 * contenders, so load from other processes on the machine hits all of them alike.
 */
async function measure<K extends string>(contenders: Record<K, Contender>): Promise<Record<K, number>> {
  const names = Object.keys(contenders) as K[];
  const times = new Map<K, number[]>(names.map((name) => [name, []]));
  for (let round = 0; round < WARMUP_RUNS + RUNS; round++) {
    for (const name of names) {
      const start = process.hrtime.bigint();
      await contenders[name].fn();
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (round >= WARMUP_RUNS) times.get(name)?.push(seconds);
    }
  }
  const result = {} as Record<K, number>;
  for (const name of names) {
    const sorted = (times.get(name) ?? []).sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
    result[name] = contenders[name].inputBytes / 1e6 / median;
  }
  return result;
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

// ---------------------------------------------------------------------------------------------
// Bundle


/** Modules the bundle still `require`s at run time, other than Node built-ins. */
function runtimeDependencies(source: string): string[] {
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  const found = new Set<string>();
  for (const match of source.matchAll(/require\(\s*["'`]([^"'`]+)["'`]\s*\)/g)) {
    const name = match[1];
    if (name !== undefined && !builtins.has(name)) found.add(name);
  }
  return [...found];
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const compact = makeEvent('compact');
  const pretty = makeEvent('pretty');
  const packed = makeEvent('packed');
  const avg = compact.inputBytes / RECORDS;
  console.log(
    `Event: ${RECORDS} records, ${fmt(compact.inputBytes / 1e6, 2)} MB decoded (${fmt(avg)} B/record avg), ` +
      `median of ${RUNS} runs after ${WARMUP_RUNS} warm-up runs, Node ${process.version}`,
  );

  // Sanity: the handlers accept every record of every layout (the packed events have their own shape).
  for (const [name, input] of [['compact', compact], ['pretty', pretty], ['packed', packed]] as const) {
    const out = await runHandler(input.event);
    const notOk = out.records.filter((r) => r.result !== 'Ok').length;
    if (notOk !== 0) throw new Error(`${name}: ${notOk} records not Ok`);
  }
  for (const [name, input] of [['compact', compact], ['pretty', pretty]] as const) {
    const out = await enforceHandler(input.event);
    const notOk = out.records.filter((r) => r.result !== 'Ok').length;
    if (notOk !== 0) throw new Error(`${name} with contract: ${notOk} records not Ok`);
  }
  const ajvHandler = ajvContender();
  if (ajvHandler(compact.event).records.some((r) => r.result !== 'Ok')) throw new Error('ajv contender rejects the benchmark events');

  const buffers = compact.event.records.map((r) => Buffer.from(r.data, 'base64'));
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const mbs = await measure({
    handler: { fn: () => runHandler(compact.event), inputBytes: compact.inputBytes },
    naive: { fn: () => naive(compact.event), inputBytes: compact.inputBytes },
    floor: { fn: () => floor(compact.event), inputBytes: compact.inputBytes },
    pretty: { fn: () => runHandler(pretty.event), inputBytes: pretty.inputBytes },
    prettyNaive: { fn: () => naive(pretty.event), inputBytes: pretty.inputBytes },
    packed: { fn: () => runHandler(packed.event), inputBytes: packed.inputBytes },
    contract: { fn: () => enforceHandler(compact.event), inputBytes: compact.inputBytes },
    contractObserve: { fn: () => observeHandler(compact.event), inputBytes: compact.inputBytes },
    contractPretty: { fn: () => enforceHandler(pretty.event), inputBytes: pretty.inputBytes },
    ajv: { fn: () => ajvHandler(compact.event), inputBytes: compact.inputBytes },
    isUtf8: { fn: () => buffers.every((b) => isUtf8(b)), inputBytes: compact.inputBytes },
    textDecoder: { fn: () => buffers.every((b) => typeof decoder.decode(b) === 'string'), inputBytes: compact.inputBytes },
  });
  const { handler: handlerMbs, naive: naiveMbs, floor: floorMbs, pretty: prettyMbs, prettyNaive: prettyNaiveMbs } = mbs;
  const { packed: packedMbs, isUtf8: isUtf8Mbs, textDecoder: textDecoderMbs } = mbs;
  const { contract: contractMbs, contractObserve: observeMbs, contractPretty: contractPrettyMbs, ajv: ajvMbs } = mbs;
  const packedAvg = packed.inputBytes / RECORDS;

  console.log(`(a) handler, compact records:          ${fmt(handlerMbs)} MB/s`);
  console.log(`(b) naive parse + stringify:           ${fmt(naiveMbs)} MB/s`);
  console.log(`(c) floor, base64 decode + encode:     ${fmt(floorMbs)} MB/s`);
  console.log(`    handler, pretty-printed records:   ${fmt(prettyMbs)} MB/s (naive on the same: ${fmt(prettyNaiveMbs)} MB/s)`);
  console.log(`    handler, packed records (5 lines, ~${fmt(packedAvg)} B): ${fmt(packedMbs)} MB/s (naive cannot unpack these: JSON.parse throws)`);
  console.log(`    UTF-8 check: buffer.isUtf8 ${fmt(isUtf8Mbs)} MB/s, TextDecoder fatal ${fmt(textDecoderMbs)} MB/s`);
  console.log(`(d) handler with a contract, enforce:  ${fmt(contractMbs)} MB/s (${fmt(contractMbs / naiveMbs, 2)}x naive, goal >= 3x); observe: ${fmt(observeMbs)} MB/s; pretty-printed: ${fmt(contractPrettyMbs)} MB/s`);
  console.log(`(e) ajv standalone + JSON.parse:       ${fmt(ajvMbs)} MB/s (${fmt(ajvMbs / naiveMbs, 2)}x naive)`);
  console.log(`    handler / naive: ${fmt(handlerMbs / naiveMbs, 2)}x (goal >= 2x)`);
  console.log(`    floor / handler: ${fmt(floorMbs / handlerMbs, 2)}x (goal <= 3x)`);

  const assets = [];
  for (const n of QUICK ? [1, 100] : [1, 100, 5000]) assets.push(measureAsset(n));
  const first = assets[0]!;
  const deps = runtimeDependencies(readFileSync(first.file, 'utf8'));
  console.log(`Bundle runtime dependencies (non-built-in requires): ${deps.length === 0 ? 'none' : deps.join(', ')}`);
  for (const a of assets) {
    console.log(
      `Asset with ${fmt(a.schemas)} schemas: index.js ${fmt(a.indexBytes)} B + ${CONTRACT_TABLE_FILE} ${fmt(a.tableBytes)} B (JSON ${fmt(a.tableJsonBytes)} B) = ` +
        `${fmt((a.indexBytes + a.tableBytes) / 1e6, 2)} MB (zip ~${fmt(a.gzipBytes / 1e6, 2)} MB; goal <= 5 MB at 5,000); ` +
        `cold start (require + first invocation, median of ${COLD_REQUIRE_RUNS}): ${fmt(a.coldMs, 1)} ms (goal <= 300 ms)`,
    );
  }
  const ajvSize = QUICK ? undefined : ajvGeneratedBytes(100);
  if (ajvSize !== undefined) {
    console.log(`ajv standalone code for 100 generated schemas: ${fmt(ajvSize.bytes)} B minified (${fmt(ajvSize.bytes / 100)} B per schema; x 5,000 = ${fmt((ajvSize.bytes / 100) * 5000 / 1e6, 1)} MB), compile ${fmt(ajvSize.ms)} ms`);
  }

  console.log('');
  console.log(`| JSONL transform, ${RECORDS} records of ~${fmt(avg)} B | Result |`);
  console.log('| --- | --- |');
  console.log(`| (a) handler, compact records | ${fmt(handlerMbs)} MB/s |`);
  console.log(`| (b) naive: decode, JSON.parse, JSON.stringify + \`\\n\`, encode | ${fmt(naiveMbs)} MB/s |`);
  console.log(`| (c) floor: base64 decode + encode | ${fmt(floorMbs)} MB/s |`);
  console.log(`| (d) handler with a contract (enforce; observe; pretty-printed) | ${fmt(contractMbs)} MB/s; ${fmt(observeMbs)} MB/s; ${fmt(contractPrettyMbs)} MB/s |`);
  console.log(`| (e) ajv standalone: JSON.parse + generated validator | ${fmt(ajvMbs)} MB/s |`);
  console.log(`| handler vs naive (goal >= 2x) | ${fmt(handlerMbs / naiveMbs, 2)}x |`);
  console.log(`| handler with a contract vs naive (goal >= 3x) | ${fmt(contractMbs / naiveMbs, 2)}x |`);
  console.log(`| floor vs handler (goal <= 3x) | ${fmt(floorMbs / handlerMbs, 2)}x |`);
  console.log(`| handler, pretty-printed records (naive) | ${fmt(prettyMbs)} MB/s (${fmt(prettyNaiveMbs)} MB/s) |`);
  console.log(`| handler, packed records (5 lines, ~${fmt(packedAvg)} B each) | ${fmt(packedMbs)} MB/s |`);
  console.log('');
  console.log(`| Schemas in one function | index.js | ${CONTRACT_TABLE_FILE} (JSON inside) | asset total (goal <= 5 MB) | cold start: require + first invocation (goal <= 300 ms) |`);
  console.log('| ---: | ---: | ---: | ---: | ---: |');
  for (const a of assets) {
    console.log(`| ${fmt(a.schemas)} | ${fmt(a.indexBytes)} B | ${fmt(a.tableBytes)} B (${fmt(a.tableJsonBytes)} B) | ${fmt((a.indexBytes + a.tableBytes) / 1e6, 2)} MB | ${fmt(a.coldMs, 1)} ms |`);
  }
  if (ajvSize !== undefined) {
    console.log('');
    console.log(`ajv standalone, for comparison: ${fmt(ajvSize.bytes / 100)} B of minified code per schema (${fmt((ajvSize.bytes / 100) * 5000 / 1e6, 1)} MB at 5,000 schemas).`);
  }
}


// ---------------------------------------------------------------------------------------------
// Assets at 1, 100 and 5,000 schemas

const QUICK = process.argv.includes('--quick');

const NAMES = ['order', 'item', 'price', 'amount', 'currency', 'country', 'city', 'channel', 'campaign', 'source', 'medium', 'device', 'screen', 'locale', 'plan', 'tier', 'status', 'reason', 'step', 'count', 'total', 'tax', 'discount', 'coupon', 'sku', 'brand', 'category', 'rating', 'duration', 'position'];

/** A realistic event schema, different for every index: 8-20 properties, nested objects, lists, enums, bounds, formats. */
function generatedSchema(index: number): Record<string, unknown> {
  const rnd = lcg(1000 + index);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const leaf = (): Record<string, unknown> => {
    const r = rnd();
    if (r < 0.35) return rnd() < 0.3 ? { type: 'string', enum: ['a', 'b', 'c', `v${index % 17}`] } : { type: 'string', maxLength: 16 + Math.floor(rnd() * 240) };
    if (r < 0.5) return { type: 'string', format: pick(['date-time', 'uuid', 'uri', 'email']) };
    if (r < 0.7) return { type: 'integer', minimum: 0 };
    if (r < 0.85) return { type: ['number', 'null'], minimum: 0, maximum: 1e6 };
    return { type: 'boolean' };
  };
  const object = (depth: number, count: number): Record<string, unknown> => {
    const properties: Record<string, unknown> = {};
    for (let k = 0; k < count; k++) {
      const name = `${pick(NAMES)}_${k}`;
      const r = rnd();
      properties[name] = depth > 0 && r < 0.12 ? object(depth - 1, 3 + Math.floor(rnd() * 4)) : depth > 0 && r < 0.2 ? { type: 'array', items: rnd() < 0.5 ? leaf() : object(0, 3), maxItems: 50 } : leaf();
    }
    const names = Object.keys(properties);
    return { type: 'object', properties, required: names.filter(() => rnd() < 0.3) };
  };
  return { ...object(2, 8 + Math.floor(rnd() * 13)), description: `Generated event ${index}` };
}

interface AssetFigures {
  readonly schemas: number;
  readonly file: string;
  readonly indexBytes: number;
  /** contracts.json.gz as shipped. */
  readonly tableBytes: number;
  /** The table's JSON before compression. */
  readonly tableJsonBytes: number;
  /** The zip Lambda receives, estimated: index.js gzipped plus the (already compressed) table. */
  readonly gzipBytes: number;
  readonly coldMs: number;
}

function measureAsset(schemas: number): AssetFigures {
  const types: ServedEventType[] = Array.from({ length: schemas }, (_, k) => {
    const name = `event_${String(k).padStart(4, '0')}`;
    return { key: `bench/${name}`, deliveryStreamName: `acme-dev-bench-${name}`, contract: contractOf(generatedSchema(k), 'bench', name) };
  });
  const bundle = bundleJsonlTransform({ assetName: `bench-jsonl-transform-${schemas}`, environment: 'dev', eventTypes: types });
  const table = path.join(bundle.dir, CONTRACT_TABLE_FILE);
  const tableBytes = statSync(table).size;
  const gzipBytes = gzipSync(readFileSync(bundle.file)).length + tableBytes;
  return {
    schemas,
    file: bundle.file,
    indexBytes: bundle.bytes,
    tableBytes,
    tableJsonBytes: bundle.tableJsonBytes,
    gzipBytes,
    coldMs: coldStartMs(bundle.file, types[types.length - 1]!.deliveryStreamName),
  };
}

/**
 * A fresh Node process: require the bundle, then invoke it once with one record for the last
 * stream of its table (reads and parses contracts.json, links that stream's program, validates).
 */
function coldStartMs(file: string, stream: string): number {
  const event = JSON.stringify({
    invocationId: 'cold',
    deliveryStreamArn: `arn:aws:firehose:eu-central-1:123456789012:deliverystream/${stream}`,
    region: 'eu-central-1',
    records: [{ recordId: '1', approximateArrivalTimestamp: 0, data: Buffer.from('{"event_id":"e-1"}').toString('base64') }],
  });
  const script =
    'const t=process.hrtime.bigint();const h=require(process.argv[1]).handler;console.log=()=>{};' +
    'h(JSON.parse(process.argv[2])).then(()=>process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6)))';
  const samples: number[] = [];
  for (let k = 0; k < COLD_REQUIRE_RUNS; k++) {
    samples.push(Number(execFileSync(process.execPath, ['-e', script, file, event], { encoding: 'utf8' })));
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] ?? Number.NaN;
}

/** Minified size of ajv's standalone code for `count` generated schemas (the design not taken). */
function ajvGeneratedBytes(count: number): { bytes: number; ms: number } {
  const start = process.hrtime.bigint();
  const ajv = new Ajv({ code: { source: true, lines: false }, strict: true, allErrors: false, messages: false });
  for (const f of ['date-time', 'uuid', 'uri', 'email']) ajv.addFormat(f, true);
  const refs: Record<string, string> = {};
  for (let k = 0; k < count; k++) {
    const { $schema: _d, ...schema } = contractOf(generatedSchema(k), 'bench', `event_${k}`).schema;
    void _d;
    ajv.addSchema({ ...schema, $id: `s${k}` });
    refs[`v${k}`] = `s${k}`;
  }
  const code = standaloneCode(ajv, refs);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const minified = buildSync({ stdin: { contents: code, loader: 'js' }, minify: true, write: false, logLevel: 'silent' }).outputFiles[0]!.text;
  return { bytes: Buffer.byteLength(minified), ms };
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
