/**
 * Throughput of the JSONL transform Lambda against the naive approach and the base64 floor,
 * plus the size and cold `require` time of the shipped bundle.
 *
 *   node scripts/build.mjs && node dist/bench/transform.js
 *
 * MB/s are of decoded input bytes (the bytes the pipeline carries), MB = 10^6 bytes.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { builtinModules } from 'node:module';
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { handler } from '../functions/jsonl-transform/handler';
import { bundleFunction } from '../modules/bundle';

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
    received_at: 1767225600123 + k * 1000,
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

async function runHandler(event: FirehoseTransformationEvent): Promise<FirehoseTransformationResult> {
  const log = console.log;
  console.log = () => undefined; // one summary line per invocation: not part of the measurement
  try {
    return await handler(event);
  } finally {
    console.log = log;
  }
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

function coldRequireMs(file: string): number {
  const script =
    'const t=process.hrtime.bigint();require(process.argv[1]);' +
    'process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))';
  const samples: number[] = [];
  for (let k = 0; k < COLD_REQUIRE_RUNS; k++) {
    samples.push(Number(execFileSync(process.execPath, ['-e', script, file], { encoding: 'utf8' })));
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] ?? Number.NaN;
}

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

  // Sanity: the handler accepts every record of every layout.
  for (const [name, input] of [['compact', compact], ['pretty', pretty], ['packed', packed]] as const) {
    const out = await runHandler(input.event);
    const notOk = out.records.filter((r) => r.result !== 'Ok').length;
    if (notOk !== 0) throw new Error(`${name}: ${notOk} records not Ok`);
  }

  const buffers = compact.event.records.map((r) => Buffer.from(r.data, 'base64'));
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const mbs = await measure({
    handler: { fn: () => runHandler(compact.event), inputBytes: compact.inputBytes },
    naive: { fn: () => naive(compact.event), inputBytes: compact.inputBytes },
    floor: { fn: () => floor(compact.event), inputBytes: compact.inputBytes },
    pretty: { fn: () => runHandler(pretty.event), inputBytes: pretty.inputBytes },
    prettyNaive: { fn: () => naive(pretty.event), inputBytes: pretty.inputBytes },
    packed: { fn: () => runHandler(packed.event), inputBytes: packed.inputBytes },
    isUtf8: { fn: () => buffers.every((b) => isUtf8(b)), inputBytes: compact.inputBytes },
    textDecoder: { fn: () => buffers.every((b) => typeof decoder.decode(b) === 'string'), inputBytes: compact.inputBytes },
  });
  const { handler: handlerMbs, naive: naiveMbs, floor: floorMbs, pretty: prettyMbs, prettyNaive: prettyNaiveMbs } = mbs;
  const { packed: packedMbs, isUtf8: isUtf8Mbs, textDecoder: textDecoderMbs } = mbs;
  const packedAvg = packed.inputBytes / RECORDS;

  console.log(`(a) handler, compact records:          ${fmt(handlerMbs)} MB/s`);
  console.log(`(b) naive parse + stringify:           ${fmt(naiveMbs)} MB/s`);
  console.log(`(c) floor, base64 decode + encode:     ${fmt(floorMbs)} MB/s`);
  console.log(`    handler, pretty-printed records:   ${fmt(prettyMbs)} MB/s (naive on the same: ${fmt(prettyNaiveMbs)} MB/s)`);
  console.log(`    handler, packed records (5 lines, ~${fmt(packedAvg)} B): ${fmt(packedMbs)} MB/s (naive cannot unpack these: JSON.parse throws)`);
  console.log(`    UTF-8 check: buffer.isUtf8 ${fmt(isUtf8Mbs)} MB/s, TextDecoder fatal ${fmt(textDecoderMbs)} MB/s`);
  console.log(`    handler / naive: ${fmt(handlerMbs / naiveMbs, 2)}x (goal >= 2x)`);
  console.log(`    floor / handler: ${fmt(floorMbs / handlerMbs, 2)}x (goal <= 3x)`);

  const bundle = bundleFunction({ name: 'jsonl-transform' });
  const deps = runtimeDependencies(readFileSync(bundle.file, 'utf8'));
  const coldMs = coldRequireMs(bundle.file);
  console.log(`Bundle: ${bundle.file} ${fmt(bundle.bytes)} bytes (${fmt(bundle.bytes / 1024, 1)} KiB, goal < 20 KB)`);
  console.log(`Bundle runtime dependencies (non-built-in requires): ${deps.length === 0 ? 'none' : deps.join(', ')}`);
  console.log(`Cold require of the bundle (node -e, median of ${COLD_REQUIRE_RUNS}): ${fmt(coldMs, 2)} ms`);

  console.log('');
  console.log(`| JSONL transform, ${RECORDS} records of ~${fmt(avg)} B | Result |`);
  console.log('| --- | --- |');
  console.log(`| (a) handler, compact records | ${fmt(handlerMbs)} MB/s |`);
  console.log(`| (b) naive: decode, JSON.parse, JSON.stringify + \`\\n\`, encode | ${fmt(naiveMbs)} MB/s |`);
  console.log(`| (c) floor: base64 decode + encode | ${fmt(floorMbs)} MB/s |`);
  console.log(`| handler vs naive (goal >= 2x) | ${fmt(handlerMbs / naiveMbs, 2)}x |`);
  console.log(`| floor vs handler (goal <= 3x) | ${fmt(floorMbs / handlerMbs, 2)}x |`);
  console.log(`| handler, pretty-printed records (naive) | ${fmt(prettyMbs)} MB/s (${fmt(prettyNaiveMbs)} MB/s) |`);
  console.log(`| handler, packed records (5 lines, ~${fmt(packedAvg)} B each) | ${fmt(packedMbs)} MB/s |`);
  console.log(`| bundle size (goal < 20 KB) | ${fmt(bundle.bytes)} B, runtime deps: ${deps.length === 0 ? 'none' : deps.join(', ')} |`);
  console.log(`| cold \`require\` of the bundle | ${fmt(coldMs, 2)} ms |`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
