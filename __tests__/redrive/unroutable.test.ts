/**
 * `--source unroutable` against s3rver and the Firehose stand-in: the router's `unroutable/`
 * objects (one dead letter per line), once the missing event type has been added to the config.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { runRedrive } from '../../scripts/redrive-lib/run';
import {
  APP_OPEN_STREAM,
  deadLetter,
  emptyBucket,
  envelope,
  FAST_CALLS,
  FIXTURES,
  listKeys,
  objectText,
  options,
  putObject,
  startWorld,
  tagsOf,
  testConfig,
  type World,
} from './harness';

let world: World;
const config = testConfig();
const KEY = 'unroutable/year=2026/month=11/day=20/hour=10/shardId-000000000000-49656926395117035519426585812839483549283470811244068866.jsonl';

beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.close();
});
beforeEach(async () => {
  world.firehose.reset();
  await emptyBucket(world);
});

let runs = 0;
const run = (o: Partial<Parameters<typeof options>[1]> = {}) =>
  runRedrive(options(world, { source: 'unroutable', ...o }, `unroutable-${++runs}`), { config, clients: world.clients(), callPolicy: FAST_CALLS, requestTimeoutMs: 2_000, cwd: world.dir });

it('dry run: counts per event type and the router\'s reason', async () => {
  // The fixture is a dead letter as the router writes it; the other two stay unroutable.
  const fixture = JSON.stringify(JSON.parse(readFileSync(path.join(FIXTURES, 'unroutable-record.json'), 'utf8')));
  await putObject(world, KEY, [fixture, deadLetter(envelope('web-shop', 'retired'), { app: 'web-shop', eventType: 'retired' }), deadLetter('[1,2]', { reason: 'not-an-object' })]);
  const r = await run({ dryRun: true });
  expect(r.exitCode).toBe(0);
  expect(world.firehose.calls).toHaveLength(0);
  expect(r.text).toContain('| mobile-app/app_open | unknown-event-type | 1 | 1 | 0 | 0 |');
  expect(r.text).toContain('| web-shop/retired | unknown-event-type | 1 | 0 | 1 | 0 |');
  expect(r.text).toContain('| (unknown) | not-an-object | 1 | 0 | 1 | 0 |');
});

it('sends the records of the added event type, keeps the others in a remainder, and tags the object', async () => {
  // Prepare
  const ok = [envelope('mobile-app', 'app_open'), envelope('mobile-app', 'app_open')];
  const still = deadLetter(envelope('web-shop', 'retired'), { app: 'web-shop', eventType: 'retired' });
  await putObject(world, KEY, [deadLetter(ok[0]!), still, deadLetter(ok[1]!)]);
  // Act
  const r = await run();
  // Assess
  expect(r.exitCode).toBe(0);
  expect(world.firehose.records(APP_OPEN_STREAM).map((x) => x.data.toString())).toEqual(ok);
  expect((await tagsOf(world, KEY))['tracking-redrive']).toBe('done');
  const rest = (await listKeys(world, 'unroutable/')).filter((k) => k !== KEY);
  expect(rest).toHaveLength(1);
  expect(await objectText(world, rest[0]!)).toBe(`${still}\n`);
  expect(r.summary.byType.get('mobile-app/app_open')).toEqual({ read: 2, sent: 2, skipped: 0, failed: 0 });
  expect(r.summary.byType.get('web-shop/retired')).toEqual({ read: 1, sent: 0, skipped: 1, failed: 0 });
  // Run again: the tagged object is skipped, the remainder holds nothing sendable: nothing is sent.
  const calls = world.firehose.calls.length;
  const again = await run();
  expect(again.exitCode).toBe(0);
  expect(world.firehose.calls).toHaveLength(calls);
  expect(again.summary.units.skipped.get('already redriven (tagged)')).toBe(1);
  expect(again.summary.units.untouched).toBe(1);
});

it('reports and skips malformed lines', async () => {
  const ok = envelope('mobile-app', 'app_open');
  const good = deadLetter(ok);
  const tampered = JSON.stringify({ ...(JSON.parse(deadLetter(envelope('mobile-app', 'app_open'))) as Record<string, unknown>), sha256: '0'.repeat(64) });
  // Another key: s3rver keeps a deleted object's tags for a new object under the same key.
  await putObject(world, `${KEY}.2`, ['garbage', good, tampered, '{"type":"something-else","version":1}']);
  const r = await run();
  expect(r.exitCode).toBe(0);
  expect(world.firehose.records(APP_OPEN_STREAM).map((x) => x.data.toString())).toEqual([ok]);
  expect(r.summary.skippedWhy).toEqual(
    new Map([
      ['malformed-line: not a JSON object', 1],
      ['malformed-line: data does not match its sha256', 1],
      ['malformed-line: not a tracking.unroutable-record document', 1],
    ]),
  );
});
