/**
 * Producer-side validation: what `validate: 'report' | 'throw'` costs per event in the Node
 * tracker's `track()`, next to `validate: 'off'`, on the contract fixture's events (web-shop
 * checkout_completed: nested items, enums, a pattern, formats; mobile-app app_open: three fields),
 * and the validator alone
 * (`validateSerialized` on the event's JSON, what the tracker adds).
 *
 *   npm run build && npx node dist/bench/producer-validation.js [--events 100000] [--runs 5]
 *
 * The tracker runs against a client that acknowledges at once (the hot path alone, no network):
 * the figure is the CPU the producer spends per event. Each mode runs `--runs` times in turn
 * (interleaved, after a warm-up), and the median is reported.
 */
import type { FirehoseClient } from '@aws-sdk/client-firehose';
import * as path from 'node:path';
import { catalogData } from '../cli/types/catalog';
import { catalogModel } from '../cli/types/types';
import { createTracker, type TrackingCatalog, type ValidateMode } from '../client/node/index';
import { compileProgram, type ContractSchemaNode } from '../lib/contract-program';
import { linkProgram, validateSerialized } from '../lib/contract-validator';
import { buildEnvelope } from '../lib/envelope';

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURE = path.join(ROOT, '__tests__', 'fixtures', 'contracts', 'tracking.yaml');

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`);
  return v;
};
const EVENTS = arg('events', 100_000);
const RUNS = arg('runs', 5);

const catalog = catalogData(catalogModel(FIXTURE)) as unknown as TrackingCatalog;

/** The events measured: valid for their contract (or, with `bad`, each breaking it once). */
function checkout(i: number, bad: boolean): Record<string, unknown> {
  return {
    event_id: `b-${i}`,
    order_id: `o-${100_000 + i}`,
    amount: 10 + (i % 90) + 0.5,
    currency: bad ? 'CHF' : ['EUR', 'USD', 'GBP'][i % 3],
    items: [
      { sku: `SKU-${i % 1000}`, quantity: 1 + (i % 3), price: 4.5 },
      { sku: 'GIFT-WRAP', quantity: 1 },
    ],
    coupon: i % 4 === 0 ? 'SUMMER' : null,
    customer: { id: '1b4e28ba-2fa1-11d2-883f-0016d3cca427', new: i % 2 === 0 },
    paid_at: '2026-11-21T09:15:10.123Z',
  };
}
function appOpen(i: number, bad: boolean): Record<string, unknown> {
  return { event_id: `a-${i}`, os: bad ? 'windows' : i % 2 ? 'ios' : 'android', cold_start: i % 3 === 0, launch_ms: 200 + (i % 500) };
}

type TypeName = 'checkout_completed' | 'app_open';
const APPS: Record<TypeName, string> = { checkout_completed: 'web-shop', app_open: 'mobile-app' };
const MAKE: Record<TypeName, (i: number, bad: boolean) => Record<string, unknown>> = { checkout_completed: checkout, app_open: appOpen };

const fake = {
  send: async (cmd: { input: { Records: unknown[] } }) => ({ FailedPutCount: 0, RequestResponses: cmd.input.Records.map(() => ({ RecordId: 'r' })) }),
  destroy: () => undefined,
} as unknown as FirehoseClient;

type Case = { readonly name: string; readonly validate: ValidateMode; readonly bad: boolean; readonly type: TypeName };

/** Microseconds per track() call (buffering and the fake sends included), and the checks done. */
async function trackCost(c: Case): Promise<{ usPerEvent: number; violations: number }> {
  let reported = 0;
  const tracker = createTracker({
    catalog,
    environment: 'dev',
    firehoseClient: fake,
    validate: c.validate,
    maxBatchDelayMs: 50,
    onDeliveryFailure: (f) => (reported += f.length),
  });
  const events = Array.from({ length: 1000 }, (_, i) => MAKE[c.type](i, c.bad));
  const app = APPS[c.type];
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < EVENTS; i++) await tracker.track(app, c.type, events[i % events.length]!);
  const us = Number(process.hrtime.bigint() - t0) / 1e3 / EVENTS;
  await tracker.close();
  if (c.validate === 'report' && c.bad && reported !== EVENTS) throw new Error(`reported ${reported} of ${EVENTS}`);
  return { usPerEvent: us, violations: tracker.metrics().contractViolations };
}

/** Microseconds per `validateSerialized` call alone, on the envelope JSON the tracker builds. */
function validatorCost(type: TypeName): number {
  const contract = catalog.eventTypes[`${APPS[type]}/${type}`]!.contract!;
  const root = linkProgram(compileProgram(contract.schema as unknown as ContractSchemaNode));
  const jsons = Array.from({ length: 1000 }, (_, i) => {
    const env = buildEnvelope(APPS[type], type, MAKE[type](i, false));
    if (!env.ok) throw new Error(env.message);
    return env.json;
  });
  let sink = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < EVENTS; i++) sink += validateSerialized(Buffer.from(jsons[i % jsons.length]!, 'utf8'), root).violations;
  const us = Number(process.hrtime.bigint() - t0) / 1e3 / EVENTS;
  if (sink !== 0) throw new Error('a valid event failed');
  return us;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const bytesOf = (type: TypeName): number => {
  const env = buildEnvelope(APPS[type], type, MAKE[type](1, false));
  return env.ok ? Buffer.byteLength(env.json) : 0;
};

async function main(): Promise<void> {
  const cases: Case[] = [];
  for (const type of ['checkout_completed', 'app_open'] as const) {
    cases.push({ name: `${type}: off`, validate: 'off', bad: false, type });
    cases.push({ name: `${type}: report, valid`, validate: 'report', bad: false, type });
    cases.push({ name: `${type}: throw, valid`, validate: 'throw', bad: false, type });
    cases.push({ name: `${type}: report, violating (reported, not sent)`, validate: 'report', bad: true, type });
  }
  // Warm-up: every case once.
  for (const c of cases) await trackCost(c);
  const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let r = 0; r < RUNS; r++) for (const c of cases) samples.get(c.name)!.push((await trackCost(c)).usPerEvent);
  const alone: Record<TypeName, number> = { checkout_completed: median(Array.from({ length: RUNS }, () => validatorCost('checkout_completed'))), app_open: median(Array.from({ length: RUNS }, () => validatorCost('app_open'))) };

  console.log(`Node ${process.version}, ${EVENTS} events per run, median of ${RUNS} runs`);
  console.log('');
  console.log('| event (bytes as sent) | mode | track() per event | over off |');
  console.log('| --- | --- | ---: | ---: |');
  for (const type of ['checkout_completed', 'app_open'] as const) {
    const off = median(samples.get(`${type}: off`)!);
    for (const c of cases.filter((x) => x.type === type)) {
      const us = median(samples.get(c.name)!);
      console.log(`| ${type} (${bytesOf(type)}) | ${c.name.slice(type.length + 2)} | ${us.toFixed(2)} µs | ${c.validate === 'off' ? '' : `${(us - off >= 0 ? '+' : '')}${(us - off).toFixed(2)} µs`} |`);
    }
    console.log(`| ${type} (${bytesOf(type)}) | validateSerialized alone | ${alone[type].toFixed(2)} µs | |`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
