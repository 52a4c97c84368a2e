/**
 * Reading what failed (pure): Firehose's error-output lines (the fixture is AWS's documented
 * format), the router's dead letters, Lambda's on-failure records; where a record goes back; the
 * command line.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as fc from 'fast-check';
import {
  compareSequenceNumbers,
  decodeBase64,
  objectLines,
  parseBatchFailure,
  parseDeadLetter,
  parseErrorKey,
  parseFirehoseErrorLine,
  routeEnvelope,
  streamNameFromArn,
} from '../../scripts/redrive-lib/records';
import { parseRedriveArgs, parseTime } from '../../scripts/redrive-lib/options';
import { copySource, remainderKey } from '../../scripts/redrive-lib/s3-source';
import { RedriveUsageError } from '../../scripts/redrive-lib/types';
import { FIXTURES, testConfig } from './harness';

const env = testConfig().environments[0]!;
const read = (f: string): string => readFileSync(path.join(FIXTURES, f), 'utf8');

describe('Firehose error output', () => {
  it('reads every line of the processing-failed fixture, with the original bytes and the attempt metadata', () => {
    const lines = objectLines(Buffer.from(read('processing-failed.jsonl')));
    expect(lines).toHaveLength(4);
    const parsed = lines.map(parseFirehoseErrorLine);
    for (const p of parsed) expect(p.ok).toBe(true);
    const first = parsed[0]!;
    if (!first.ok) throw new Error('unreachable');
    expect(first.value).toMatchObject({ errorCode: 'Lambda.ProcessingFailed', attemptsMade: 4, arrivalTimestamp: 1_795_602_930_123, attemptEndingTimestamp: 1_795_602_991_456 });
    expect(JSON.parse(first.value.rawData.toString())).toMatchObject({ app: 'web-shop', event_type: 'page_view', event_id: '8c2f6a5e-1' });
    // The packed record comes back as it was, both events in one record.
    const packed = parsed[3]!;
    if (!packed.ok) throw new Error('unreachable');
    expect(packed.value.rawData.toString().split('\n')).toHaveLength(2);
  });

  it('gunzips objects by their magic bytes and drops the final empty line', () => {
    expect(objectLines(gzipSync(Buffer.from('a\nb\n')))).toEqual(['a', 'b']);
    expect(objectLines(Buffer.from('a\r\nb'))).toEqual(['a', 'b']);
  });

  it('rejects lines it cannot trust, saying why', () => {
    expect(parseFirehoseErrorLine('{')).toEqual({ ok: false, why: 'malformed-line: not a JSON object' });
    expect(parseFirehoseErrorLine('[1]')).toEqual({ ok: false, why: 'malformed-line: not a JSON object' });
    expect(parseFirehoseErrorLine('{"errorCode":"x"}')).toEqual({ ok: false, why: 'malformed-line: no rawData' });
    expect(parseFirehoseErrorLine('{"rawData":"abc"}')).toEqual({ ok: false, why: 'malformed-line: rawData is not base64' });
  });

  it('decodes base64 strictly (never silently changes bytes)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => decodeBase64(Buffer.from(bytes).toString('base64'))!.equals(Buffer.from(bytes))));
    expect(decodeBase64('ab$=')).toBeUndefined();
    expect(decodeBase64('abc')).toBeUndefined();
  });

  it('parses error-output keys of config/naming', () => {
    expect(parseErrorKey('errors/application=web-shop/event_type=page_view/processing-failed/year=2026/month=11/day=20/hour=10/x')).toEqual({
      app: 'web-shop',
      eventType: 'page_view',
      errorType: 'processing-failed',
    });
    expect(parseErrorKey('errors/something-else/x')).toBeUndefined();
    expect(parseErrorKey('events/application=a/event_type=b/c/d')).toBeUndefined();
  });
});

describe('the router\'s dead letters and Lambda\'s on-failure records', () => {
  it('reads the dead-letter fixture and checks its SHA-256', () => {
    const p = parseDeadLetter(read('unroutable-record.json'));
    expect(p.ok).toBe(true);
    if (!p.ok) throw new Error('unreachable');
    expect(p.value.shardId).toBe('shardId-000000000000');
    expect(JSON.parse(p.value.data!.toString())).toMatchObject({ app: 'mobile-app', event_type: 'app_open' });
    const tampered = { ...(JSON.parse(read('unroutable-record.json')) as Record<string, unknown>), sha256: 'f'.repeat(64) };
    expect(parseDeadLetter(JSON.stringify(tampered))).toEqual({ ok: false, why: 'malformed-line: data does not match its sha256' });
  });

  it('accepts a dead letter without data when the router says it omitted it', () => {
    const doc = JSON.parse(read('unroutable-record.json')) as Record<string, unknown>;
    delete doc.data;
    expect(parseDeadLetter(JSON.stringify(doc))).toEqual({ ok: false, why: 'malformed-line: neither data nor dataOmitted' });
    const p = parseDeadLetter(JSON.stringify({ ...doc, dataOmitted: 'too-large-for-sqs' }));
    expect(p.ok && p.value.data === undefined).toBe(true);
  });

  it('reads the on-failure record fixture', () => {
    const p = parseBatchFailure(read('kinesis-on-failure.json'));
    expect(p).toEqual({
      ok: true,
      value: {
        condition: 'RetryAttemptsExhausted',
        shardId: 'shardId-000000000000',
        startSequenceNumber: '49656926395117035519426585812839483549283470811244068866',
        endSequenceNumber: '49656926395117035519426585812839483549283470811244068999',
        streamArn: 'arn:aws:kinesis:eu-central-1:123456789012:stream/acme-dev-root',
        batchSize: 3,
        approximateArrivalOfFirstRecord: Date.parse('2026-11-20T10:15:30.500Z'),
      },
    });
    expect(parseBatchFailure('{"KinesisBatchInfo":{"shardId":1}}').ok).toBe(false);
  });

  it('names streams from ARNs and compares sequence numbers numerically', () => {
    expect(streamNameFromArn('arn:aws:kinesis:eu-central-1:123456789012:stream/acme-dev-root')).toBe('acme-dev-root');
    expect(streamNameFromArn('arn:aws:sqs:eu-central-1:123456789012:q')).toBeUndefined();
    expect(compareSequenceNumbers('9', '10')).toBeLessThan(0);
    expect(compareSequenceNumbers('49656926395117035519426585812839483549283470811244068999', '49656926395117035519426585812839483549283470811244068866')).toBeGreaterThan(0);
  });
});

describe('where a record goes back', () => {
  const data = (o: unknown): Buffer => Buffer.from(JSON.stringify(o));

  it('to the delivery stream of its event type (config/naming), or the root stream with --to root', () => {
    const d = data({ app: 'mobile-app', event_type: 'app_open', event_id: 'e-1' });
    expect(routeEnvelope(d, env, 'delivery')).toEqual({ ok: true, eventType: 'mobile-app/app_open', destination: { service: 'firehose', name: 'acme-dev-mobile-app-app_open' } });
    expect(routeEnvelope(d, env, 'root', 'device-1')).toEqual({ ok: true, eventType: 'mobile-app/app_open', destination: { service: 'kinesis', name: 'acme-dev-root' }, partitionKey: 'device-1' });
    expect(routeEnvelope(d, env, 'root')).toMatchObject({ partitionKey: 'e-1' });
  });

  it('nowhere when the record is still unroutable', () => {
    expect(routeEnvelope(data({ app: 'web-shop', event_type: 'retired' }), env, 'delivery')).toMatchObject({ ok: false, reason: 'unknown-event-type', eventType: 'web-shop/retired' });
    expect(routeEnvelope(Buffer.from('nope'), env, 'delivery')).toMatchObject({ ok: false, reason: 'not-json', eventType: '(unknown)' });
    expect(routeEnvelope(data({ app: 'web-shop' }), env, 'delivery')).toMatchObject({ ok: false, reason: 'missing-event-type' });
    expect(routeEnvelope(Buffer.alloc(1_024_001, 0x20), env, 'delivery')).toMatchObject({ ok: false, reason: 'oversized' });
  });
});

describe('object keys', () => {
  it('writes remainders next to the object, deterministic, without growing the name', () => {
    const k = remainderKey('errors/application=a/event_type=b/processing-failed/x.gz', Buffer.from('line\n'));
    expect(k).toMatch(/^errors\/application=a\/event_type=b\/processing-failed\/x\.gz\.rest-[0-9a-f]{12}\.jsonl$/);
    expect(remainderKey('errors/x.gz', Buffer.from('line\n'))).toBe(remainderKey('errors/x.gz', Buffer.from('line\n')));
    expect(remainderKey(k, Buffer.from('other\n'))).toMatch(/^errors\/application=a\/event_type=b\/processing-failed\/x\.gz\.rest-[0-9a-f]{12}\.jsonl$/);
  });

  it('URL-encodes the copy source, keeping "=" and "/"', () => {
    expect(copySource('b', 'errors/application=web-shop/a b+c')).toBe('b/errors/application=web-shop/a%20b%2Bc');
  });
});

describe('the command line', () => {
  const NOW = Date.parse('2026-11-22T12:00:00Z');
  const parse = (args: string[]) => parseRedriveArgs(args, {}, NOW, '/work');

  it('parses times as ISO 8601 or durations ago', () => {
    expect(parseTime('6h', '--since', NOW)).toBe(NOW - 6 * 3_600_000);
    expect(parseTime('7d', '--since', NOW)).toBe(NOW - 7 * 86_400_000);
    expect(parseTime('2026-11-20T10:00:00Z', '--since', NOW)).toBe(Date.parse('2026-11-20T10:00:00Z'));
    expect(() => parseTime('yesterday', '--since', NOW)).toThrow(/--since "yesterday" is not a time: use ISO 8601/);
  });

  it('has defaults and refuses combinations that make no sense, naming the option', () => {
    expect(parse(['--env', 'dev', '--source', 'errors'])).toMatchObject({ to: 'delivery', mark: 'tag', deleteObjects: false, batchSize: 500, dryRun: false });
    expect(parse(['--env', 'dev', '--source', 'dlq', '--type', 'a/b,c/d', '--type', 'a/b'])).toMatchObject({ types: ['a/b', 'c/d'] });
    const bad: [string[], RegExp][] = [
      [['--source', 'errors'], /missing --env/],
      [['--env', 'dev'], /missing --source/],
      [['--env', 'dev', '--source', 'errors', '--to', 'root'], /--to root is for dlq and unroutable/],
      [['--env', 'dev', '--source', 'dlq', '--delete'], /--mark and --delete are for errors and unroutable/],
      [['--env', 'dev', '--source', 'errors', '--delete', '--mark', 'move'], /give --mark or --delete, not both/],
      [['--env', 'dev', '--source', 'errors', '--batch-size', '501'], /--batch-size must be an integer from 1 to 500, got "501"/],
      [['--env', 'dev', '--source', 'errors', '--type', 'Web Shop'], /--type "Web Shop" is not <application>\/<event type>/],
      [['--env', 'dev', '--source', 'errors', '--since', '1d', '--until', '2d'], /--since must be before --until/],
      [['--env', 'dev', '--source', 'errors', '--endpoint', 'ftp://x'], /--endpoint must be <s3\|firehose\|kinesis\|sqs>=<http\(s\) URL>/],
      [['--env', 'dev', '--source', 'errors', '--bogus'], /unknown option --bogus/],
    ];
    for (const [args, message] of bad) expect(() => parse(args)).toThrow(message);
    expect(() => parse(['--env'])).toThrow(RedriveUsageError);
    expect(parse(['--help'])).toBe('help');
  });
});
