/**
 * The hotPath config block: schema (zod), the checks zod cannot express, and the resolution into
 * the HotPathSpec the construct and the Lambda use. Called directly (the loader wires them in).
 */
import { z } from 'zod';
import {
  HOT_PATH_DEFAULTS,
  hotPathIssues,
  hotPathMappingCount,
  hotPathNames,
  hotPathSchema,
  MAX_ALTERNATIVES,
  needsSchedule,
  rateWindows,
  resolveHotPath,
  type HotPathIssue,
  type RawHotPath,
} from '../../config/hot-path';
import { checkName } from '../../config/naming';
import { EVENT_TYPES, everyOptionRaw, PREFIX, specOf } from './factories';

const BASE = ['environments', 'dev', 'rootStream', 'hotPath'];
const rule = (extra: Record<string, unknown>): Record<string, unknown> => ({
  name: 'r1',
  eventType: 'web-shop/checkout_completed',
  match: { field: 'amount', op: '>', value: 1 },
  ...extra,
});
const withRules = (...rules: unknown[]): unknown => ({ rules });
const issuesOf = (raw: unknown, opts = {}): HotPathIssue[] => hotPathIssues('dev', raw, EVENT_TYPES, opts);
const schemaErrors = (raw: unknown): { path: PropertyKey[]; code: string; message: string }[] => {
  const r = hotPathSchema.safeParse(raw);
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path, code: i.code, message: i.message }));
};

describe('every option (fixture hot-path-config.yaml)', () => {
  it('passes the schema and the checks, and resolves with the given values, not the defaults', () => {
    // Prepare
    const raw = everyOptionRaw();
    // Act
    const spec = specOf(raw, 48);
    // Assess
    expect(schemaErrors(raw)).toEqual([]);
    expect(issuesOf(raw)).toEqual([]);
    expect(spec.rules.map((r) => r.name)).toEqual(['checkouts-stalled', 'debug-events', 'large-checkout', 'payment-failure-spike', 'refund-without-order']);
    expect(spec).toMatchObject({
      functionName: 'acme-dev-hot-path',
      tableName: 'acme-dev-hot-path-matches',
      topicName: 'acme-dev-hot-path',
      topicKeyAlias: 'alias/acme-dev-hot-path',
      deadLetterQueueName: 'acme-dev-hot-path-dlq',
      scheduleRuleName: 'acme-dev-hot-path-schedule',
      subscriptions: [
        { protocol: 'email', endpoint: 'oncall@example.com' },
        { protocol: 'https', endpoint: 'https://hooks.example.com/hot-path' },
      ],
      retentionDays: 30,
      filterPatternQuota: 5,
      rateEvaluationDelaySeconds: 90,
      deletionProtection: false,
      memoryMiB: 512,
      timeoutSeconds: 30,
      mapping: { startingPosition: 'TRIM_HORIZON', batchSize: 200, batchingWindowSeconds: 1, maximumRetryAttempts: 3, maximumRecordAgeSeconds: 3600 },
    });
    // Markers outlive the longest redelivery (48 h retention > 1 h record age) by a day.
    expect(spec.dedupeTtlSeconds).toBe(48 * 3600 + 86_400);
  });

  it('resolves each rule shape into plain data: conditions, the fields they name, actions', () => {
    const spec = specOf(everyOptionRaw());
    const byName = Object.fromEntries(spec.rules.map((r) => [r.name, r]));
    expect(byName['large-checkout']).toEqual({
      name: 'large-checkout',
      kind: 'match',
      description: 'Checkouts above 1,000 in EUR or USD, from outside the test shop',
      eventType: { app: 'web-shop', type: 'checkout_completed', key: 'web-shop/checkout_completed' },
      actions: { notify: true, store: true },
      includePayload: true,
      condition: {
        kind: 'all',
        of: [
          { kind: 'cmp', field: ['order', 'total'], op: '>', value: 1000 },
          { kind: 'cmp', field: ['order', 'currency'], op: 'in', value: ['EUR', 'USD'] },
          { kind: 'cmp', field: ['shop_id'], op: '!=', value: 'test-shop' },
          {
            kind: 'any',
            of: [
              { kind: 'cmp', field: ['customer', 'segment'], op: 'prefix', value: 'vip-' },
              { kind: 'cmp', field: ['customer', 'flagged'], op: '=', value: true },
            ],
          },
        ],
      },
      fields: ['order.total', 'order.currency', 'shop_id', 'customer.segment', 'customer.flagged'],
    });
    expect(byName['refund-without-order']).toMatchObject({ actions: { notify: false, store: true }, includePayload: false });
    expect(byName['debug-events']).toMatchObject({ actions: { notify: true, store: false }, fields: ['path'] });
    expect(byName['payment-failure-spike']).toEqual({
      name: 'payment-failure-spike',
      kind: 'rate',
      eventType: { app: 'payments', type: 'payment_failed', key: 'payments/payment_failed' },
      actions: { notify: true, store: true },
      includePayload: false,
      comparison: 'moreThan',
      threshold: 50,
      windowSeconds: 60,
      groupBy: ['merchant_id'],
      condition: { kind: 'cmp', field: ['error_code'], op: '!=', value: 'card_declined' },
      fields: ['error_code', 'merchant_id'],
    });
    expect(byName['checkouts-stalled']).toMatchObject({ kind: 'rate', comparison: 'fewerThan', threshold: 1, windowSeconds: 300, fields: [] });
    expect(byName['checkouts-stalled']).not.toHaveProperty('condition');
    expect(rateWindows(spec)).toEqual([60, 300]);
    expect(hotPathMappingCount(spec)).toBe(3);
    expect(needsSchedule(spec)).toBe(true);
  });
});

describe('defaults', () => {
  it('are merged under a minimal rule, and exists defaults to true', () => {
    // Act
    const spec = specOf(withRules(rule({ match: { field: 'coupon', op: 'exists' } })));
    // Assess
    expect(spec).toMatchObject({
      retentionDays: HOT_PATH_DEFAULTS.retentionDays,
      filterPatternQuota: 5,
      rateEvaluationDelaySeconds: 60,
      deletionProtection: true,
      memoryMiB: 256,
      timeoutSeconds: 60,
      subscriptions: [],
      mapping: { startingPosition: 'LATEST', batchSize: 100, batchingWindowSeconds: 0, maximumRetryAttempts: 5, maximumRecordAgeSeconds: 86_400 },
    });
    expect(spec.rules[0]).toMatchObject({ actions: { notify: true, store: true }, includePayload: false, condition: { op: 'exists', value: true } });
    // 168 h of stream retention outlasts a day of record age.
    expect(spec.dedupeTtlSeconds).toBe(168 * 3600 + 86_400);
    expect(needsSchedule(spec)).toBe(false);
  });

  it('partial function/mapping overrides keep the other defaults', () => {
    const spec = specOf({ ...(withRules(rule({})) as object), function: { memoryMiB: 1024 }, mapping: { batchSize: 10 } });
    expect(spec.memoryMiB).toBe(1024);
    expect(spec.timeoutSeconds).toBe(60);
    expect(spec.mapping).toEqual({ ...HOT_PATH_DEFAULTS.mapping, batchSize: 10 });
  });

  it('gives nothing to build without rules', () => {
    expect(resolveHotPath(PREFIX, undefined, { streamRetentionHours: 24 })).toBeUndefined();
    expect(resolveHotPath(PREFIX, { rules: [] } as RawHotPath, { streamRetentionHours: 24 })).toBeUndefined();
    expect(resolveHotPath(PREFIX, { subscriptions: [{ protocol: 'email', endpoint: 'a@b.co' }] } as RawHotPath, { streamRetentionHours: 24 })).toBeUndefined();
  });

  it('documents every optional field with @default in the JSON Schema the editor reads', () => {
    const schema = JSON.stringify(z.toJSONSchema(hotPathSchema, { io: 'input', unrepresentable: 'any' }));
    for (const d of ['@default 90', '@default 5', '@default 60', '@default LATEST', '@default 100', '@default 86400', '@default [notify, store]', '@default false', '@default true', '@default 256']) {
      expect(schema).toContain(d);
    }
  });
});

describe('every rule shape passes', () => {
  const shapes: [string, unknown][] = [
    ['one comparison', { field: 'amount', op: '>=', value: 10 }],
    ['nested field', { field: 'order.customer.tier', op: '=', value: 'gold' }],
    ['all', { all: [{ field: 'a', op: '<', value: 1 }, { field: 'b', op: '<=', value: 2 }] }],
    ['any', { any: [{ field: 'a', op: '=', value: 'x' }, { field: 'b', op: '!=', value: 3 }] }],
    ['all with a nested any', { all: [{ field: 'a', op: 'prefix', value: 'p' }, { any: [{ field: 'b', op: 'exists' }, { field: 'c', op: 'in', value: [1, 'x', true] }] }] }],
    ['any with a nested all', { any: [{ field: 'a', op: '=', value: false }, { all: [{ field: 'b', op: 'exists', value: false }, { field: 'c', op: '>', value: -1.5 }] }] }],
  ];
  it.each(shapes)('match: %s', (_name, match) => {
    expect(() => specOf(withRules(rule({ match })))).not.toThrow();
  });
  it.each([
    ['moreThan', { moreThan: 0, windowSeconds: 1 }],
    ['fewerThan', { fewerThan: 3, windowSeconds: 900 }],
    ['groupBy and where', { moreThan: 10, windowSeconds: 60, groupBy: 'merchant.id', where: { all: [{ field: 'x', op: '=', value: 1 }] } }],
  ])('rate: %s', (_name, rate) => {
    expect(() => specOf(withRules(rule({ match: undefined, rate })))).not.toThrow();
  });
});

describe('schema errors (zod): path and reason', () => {
  it.each<[string, unknown, PropertyKey[], RegExp]>([
    ['unknown rule key', withRules(rule({ threshold: 3 })), ['rules', 0], /threshold/],
    ['unknown operator', withRules(rule({ match: { field: 'a', op: '~=', value: 1 } })), ['rules', 0, 'match'], /./],
    ['field with a space', withRules(rule({ match: { field: 'order total', op: 'exists' } })), ['rules', 0, 'match'], /./],
    ['window of 0 s', withRules(rule({ match: undefined, rate: { moreThan: 1, windowSeconds: 0 } })), ['rules', 0, 'rate', 'windowSeconds'], /./],
    ['window of 901 s', withRules(rule({ match: undefined, rate: { moreThan: 1, windowSeconds: 901 } })), ['rules', 0, 'rate', 'windowSeconds'], /./],
    ['negative moreThan', withRules(rule({ match: undefined, rate: { moreThan: -1, windowSeconds: 60 } })), ['rules', 0, 'rate', 'moreThan'], /./],
    ['fewerThan 0', withRules(rule({ match: undefined, rate: { fewerThan: 0, windowSeconds: 60 } })), ['rules', 0, 'rate', 'fewerThan'], /./],
    ['unknown action', withRules(rule({ actions: ['page'] })), ['rules', 0, 'actions', 0], /./],
    ['no actions', withRules(rule({ actions: [] })), ['rules', 0, 'actions'], /./],
    ['quota above 10', { ...(withRules(rule({})) as object), filterPatternQuota: 11 }, ['filterPatternQuota'], /./],
    ['quota below 5', { ...(withRules(rule({})) as object), filterPatternQuota: 4 }, ['filterPatternQuota'], /./],
    ['retention of 0 days', { ...(withRules(rule({})) as object), retentionDays: 0 }, ['retentionDays'], /./],
    ['batch size 0', { ...(withRules(rule({})) as object), mapping: { batchSize: 0 } }, ['mapping', 'batchSize'], /./],
    ['record age below 60 s', { ...(withRules(rule({})) as object), mapping: { maximumRecordAgeSeconds: 59 } }, ['mapping', 'maximumRecordAgeSeconds'], /./],
    ['unknown protocol', { ...(withRules(rule({})) as object), subscriptions: [{ protocol: 'sms', endpoint: '+100' }] }, ['subscriptions', 0, 'protocol'], /./],
  ])('%s', (_name, raw, path, message) => {
    const errors = schemaErrors(raw);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.some((e) => JSON.stringify(e.path.slice(0, path.length)) === JSON.stringify(path) && message.test(e.message))).toBe(true);
  });

  it('rejects conditions nested deeper than all/any/comparison', () => {
    const deep = { all: [{ any: [{ all: [{ field: 'a', op: 'exists' }] }] }] };
    expect(schemaErrors(withRules(rule({ match: deep })))).not.toEqual([]);
  });

  it(`rejects more than 100 rules`, () => {
    const rules = Array.from({ length: 101 }, (_, i) => rule({ name: `r${i}` }));
    expect(schemaErrors({ rules }).map((e) => e.path)).toContainEqual(['rules']);
  });
});

describe('checks zod cannot express: path from the config root, the value, and how to fix it', () => {
  const cases: [string, unknown, (string | number)[], RegExp][] = [
    ['rule name characters', withRules(rule({ name: 'Big Checkout' })), ['rules', 0, 'name'], /"Big Checkout" has characters that are not allowed: use lowercase/],
    ['duplicate rule', withRules(rule({}), rule({})), ['rules', 1, 'name'], /duplicate rule "r1" \(first declared at hotPath.rules\[0\]\).*rename one/],
    ['eventType format', withRules(rule({ eventType: 'checkout' })), ['rules', 0, 'eventType'], /"checkout" is not "<application>\/<eventType>"; write it like/],
    ['undeclared eventType', withRules(rule({ eventType: 'web-shop/checkout' })), ['rules', 0, 'eventType'], /"web-shop\/checkout" is not a declared event type.*this application declares web-shop\/checkout_completed/],
    ['match and rate', withRules(rule({ rate: { moreThan: 1, windowSeconds: 60 } })), ['rules', 0], /keep "match" or "rate", not both.*rate.where/],
    ['neither match nor rate', withRules(rule({ match: undefined })), ['rules', 0], /add "match" .* or "rate"/],
    ['no threshold', withRules(rule({ match: undefined, rate: { windowSeconds: 60 } })), ['rules', 0, 'rate'], /set moreThan: N .* or fewerThan: N/],
    ['two thresholds', withRules(rule({ match: undefined, rate: { moreThan: 1, fewerThan: 5, windowSeconds: 60 } })), ['rules', 0, 'rate'], /either moreThan or fewerThan, not both/],
    ['> with a string', withRules(rule({ match: { field: 'amount', op: '>', value: '100' } })), ['rules', 0, 'match', 'value'], /">" compares numbers, but the value is "100"; write a number/],
    ['= with a list', withRules(rule({ match: { field: 'c', op: '=', value: ['a', 'b'] } })), ['rules', 0, 'match', 'value'], /"=" needs one string, number or boolean, but the value is \["a","b"\]; to compare with several values use op: in/],
    ['!= without a value', withRules(rule({ match: { field: 'c', op: '!=' } })), ['rules', 0, 'match', 'value'], /"!=" needs one string, number or boolean, but the value is undefined/],
    ['exists with a string', withRules(rule({ match: { field: 'c', op: 'exists', value: 'yes' } })), ['rules', 0, 'match', 'value'], /"exists" takes true .* or false, but the value is "yes"/],
    ['empty prefix', withRules(rule({ match: { field: 'c', op: 'prefix', value: '' } })), ['rules', 0, 'match', 'value'], /"prefix" needs a non-empty string, but the value is ""/],
    ['empty in', withRules(rule({ match: { field: 'c', op: 'in', value: [] } })), ['rules', 0, 'match', 'value'], /"in" needs a list of 1-100 values, but the value is \[\]/],
    ['in with 101 values', withRules(rule({ match: { field: 'c', op: 'in', value: Array.from({ length: 101 }, (_, i) => i) } })), ['rules', 0, 'match', 'value'], /"in" lists 101 values; at most 100/],
    ['in with an object', withRules(rule({ match: { field: 'c', op: 'in', value: [1, { a: 1 }] } })), ['rules', 0, 'match', 'value', 1], /\{"a":1\} is not a string, number or boolean/],
    ['nested comparison error', withRules(rule({ match: { all: [{ field: 'a', op: 'exists' }, { any: [{ field: 'b', op: '<', value: 'x' }] }] } })), ['rules', 0, 'match', 'all', 1, 'any', 0, 'value'], /"<" compares numbers/],
    ['rate.where error', withRules(rule({ match: undefined, rate: { moreThan: 1, windowSeconds: 60, where: { field: 'a', op: 'prefix', value: 3 } } })), ['rules', 0, 'rate', 'where', 'value'], /"prefix" needs a non-empty string/],
    ['action listed twice', withRules(rule({ actions: ['notify', 'notify'] })), ['rules', 0, 'actions'], /action "notify" is listed twice/],
    ['https endpoint', { ...(withRules(rule({})) as object), subscriptions: [{ protocol: 'https', endpoint: 'http://x.example.com' }] }, ['subscriptions', 0, 'endpoint'], /"http:\/\/x.example.com" is not an https:\/\/ URL/],
    ['email endpoint', { ...(withRules(rule({})) as object), subscriptions: [{ protocol: 'email', endpoint: 'oncall' }] }, ['subscriptions', 0, 'endpoint'], /"oncall" is not an email address; write it like/],
  ];
  it.each(cases)('%s', (_name, raw, path, message) => {
    // Act
    const issues = issuesOf(raw);
    // Assess
    expect(issues).toContainEqual({ path: [...BASE, ...path], message: expect.stringMatching(message) });
  });

  it('a condition that expands to too many alternatives', () => {
    const any = (f: string): unknown => ({ any: [0, 1, 2, 3].map((v) => ({ field: f, op: '=', value: v })) });
    const raw = withRules(rule({ match: { all: [any('a'), any('b'), any('c')] } }));
    expect(issuesOf(raw)).toContainEqual({
      path: [...BASE, 'rules', 0, 'match'],
      message: expect.stringMatching(new RegExp(`expands to 64 alternatives .* \\(at most ${MAX_ALTERNATIVES}\\); simplify it, for example replace an "any" of "=" comparisons on one field by one "in"`)),
    });
  });

  it('hot-path rules without the root stream', () => {
    expect(issuesOf(withRules(rule({})), { rootStreamEnabled: false })).toContainEqual({
      path: BASE,
      message: expect.stringMatching(/root stream, which is off in environment "dev"; set environments.dev.rootStream.enabled: true/),
    });
    expect(issuesOf(withRules(rule({})), { rootStreamEnabled: true })).toEqual([]);
  });

  it('more standard readers than Kinesis serves per shard', () => {
    const rate = (name: string, windowSeconds: number): unknown => rule({ name, match: undefined, rate: { moreThan: 1, windowSeconds } });
    const raw = withRules(rule({}), rate('a', 60), rate('b', 120), rate('c', 60));
    // match + 2 windows + router + 1 consumer = 5: the limit; one more reader: too many.
    expect(issuesOf(raw, { otherStandardReaders: 2 })).toEqual([]);
    expect(issuesOf(raw, { otherStandardReaders: 3 })).toContainEqual({
      path: [...BASE, 'rules'],
      message: expect.stringMatching(/needs 3 event source mappings .*60, 120 s.*would have 6.*give rate rules the same windowSeconds, or move lambda consumers to enhancedFanOut: true/),
    });
  });

  it('reports nothing for values it cannot read (the schema reports those)', () => {
    expect(issuesOf(undefined)).toEqual([]);
    expect(issuesOf('rules')).toEqual([]);
    expect(issuesOf({ rules: [null, 3, { match: 'x' }] })).toEqual([]);
    expect(issuesOf({ rules: [{}] })).toEqual([{ path: [...BASE, 'rules', 0], message: expect.stringMatching(/needs a condition/) }]);
  });
});

describe('names', () => {
  it('derive from the prefix and are checked against their AWS rules (never truncated)', () => {
    expect(hotPathNames(PREFIX)).toEqual([
      ['lambdaFunction', 'acme-dev-hot-path'],
      ['iamRole', 'acme-dev-hot-path'],
      ['logGroup', '/aws/lambda/acme-dev-hot-path'],
      ['dynamodbTable', 'acme-dev-hot-path-matches'],
      ['snsTopic', 'acme-dev-hot-path'],
      ['kmsAlias', 'alias/acme-dev-hot-path'],
      ['sqsQueue', 'acme-dev-hot-path-dlq'],
      ['lambdaFunction', 'acme-dev-hot-path-schedule'],
    ]);
    for (const [kind, name] of hotPathNames(PREFIX)) expect(checkName(kind, name)).toBeUndefined();
    const long = { project: 'p'.repeat(30), environment: 'e'.repeat(20) };
    const problems = hotPathNames(long).map(([k, n]) => checkName(k, n)).filter((p) => p !== undefined);
    expect(problems).toContainEqual(expect.stringMatching(/Lambda function name "p{30}-e{20}-hot-path-schedule" is 69 characters; AWS allows at most 64/));
  });
});
