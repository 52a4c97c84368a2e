/**
 * The hot path of an environment (issue #13): rules, written in the config under
 * `environments.<env>.rootStream.hotPath`, that watch the root stream and alert within seconds.
 *
 * This module holds
 * - the zod schema of `hotPath` (`hotPathSchema`), for the loader and the editor JSON Schema;
 * - the checks zod cannot express (`hotPathIssues`), returning problems with a path from the
 *   config root, like the loader's own checks: what is wrong, the value, and how to fix it;
 * - the resolution into plain data (`resolveHotPath`): defaults as pure data, merged in one fixed
 *   order (defaults, then the user's values), physical names from `config/naming`.
 *
 * It imports only zod and `config/naming`, so the schema module can include it without a cycle,
 * and the Lambda can import its types (type-only) without bundling zod.
 * Design, semantics and sources: docs/hot-path.md.
 */
import { z } from 'zod';
import { batchingWindowSecondsField, batchSizeField, maximumRecordAgeSecondsField, maximumRetryAttemptsField, memoryMiBField, timeoutSecondsField } from './lambda-fields';
import * as naming from './naming';

// ---------------------------------------------------------------------------------------------
// Defaults (pure data)
// ---------------------------------------------------------------------------------------------

/** Default values of `hotPath`, as pure data. Merged in one fixed order: defaults, then the user's values. */
export const HOT_PATH_DEFAULTS = {
  actions: ['notify', 'store'],
  includePayload: false,
  /** Days a stored match is kept (DynamoDB TTL). */
  retentionDays: 90,
  /** Lambda's default number of filter patterns per event source mapping (raisable to 10). */
  filterPatternQuota: 5,
  /** How long after a window ends `fewerThan` rules are evaluated (late records and shard lag). */
  rateEvaluationDelaySeconds: 60,
  deletionProtection: true,
  function: { memoryMiB: 256, timeoutSeconds: 60 },
  mapping: {
    startingPosition: 'LATEST',
    batchSize: 100,
    batchingWindowSeconds: 0,
    maximumRetryAttempts: 5,
    maximumRecordAgeSeconds: 86_400,
  },
} as const;

/** Lambda filter patterns per event source mapping: 5 by default, up to 10 after a quota increase. */
export const FILTER_PATTERN_QUOTA_RANGE = { min: 5, max: 10 } as const;
/** Rules per environment (bounds the filter compiler's work and the rules file). */
export const MAX_RULES = 100;
/** Values of one `in` comparison. */
export const MAX_IN_VALUES = 100;
/** Largest tumbling window Lambda supports, in seconds. */
export const MAX_WINDOW_SECONDS = 900;
/** Alternatives a condition may expand to once `any` is distributed over `all` (see docs/hot-path.md). */
export const MAX_ALTERNATIVES = 32;
/**
 * Kinesis allows 5 GetRecords calls per second per shard, shared by every standard (not enhanced
 * fan-out) reader, and Lambda polls each shard of a mapping once per second: more standard
 * readers than this throttle one another.
 */
export const MAX_STANDARD_READERS = 5;

// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------

export const RULE_NAME = /^[a-z0-9][a-z0-9_-]*$/;
export const EVENT_TYPE_KEY = /^[a-z0-9][a-z0-9_-]*\/[a-z0-9][a-z0-9_-]*$/;
/** A field of the event: top-level (`amount`) or nested (`order.total`), at most 10 levels. */
export const FIELD_PATH = /^[^.\s]+(\.[^.\s]+){0,9}$/;

export const COMPARISON_OPS = ['=', '!=', '<', '<=', '>', '>=', 'exists', 'prefix', 'in'] as const;
export type ComparisonOp = (typeof COMPARISON_OPS)[number];

const scalarSchema = z.union([z.string(), z.number(), z.boolean()]);
export type Scalar = z.output<typeof scalarSchema>;

const fieldSchema = z
  .string()
  .max(256)
  .regex(FIELD_PATH, 'must be a field of the event, nested fields joined with "." (for example "order.total"), without spaces')
  .describe('Field of the event, nested fields joined with "." (for example "order.total").');

/** One comparison. Which values go with which operator is checked by `hotPathIssues`. */
export const comparisonSchema = z
  .strictObject({
    field: fieldSchema,
    op: z
      .enum(COMPARISON_OPS)
      .describe(
        'Comparison: "=", "!=" (same type, different value), "<", "<=", ">", ">=" (numbers), "exists" (a non-null ' +
          'string, number or boolean is present), "prefix" (string starts with), "in" (equals one of a list).',
      ),
    value: z
      .union([scalarSchema, z.array(scalarSchema)])
      .optional()
      .describe('What to compare with: a number for < <= > >=, a string for prefix, a list for in, true/false for exists. @default true (exists only)'),
  })
  .describe('A comparison on one field of the event.');
export type ComparisonConfig = z.output<typeof comparisonSchema>;

// Conditions nest at most three levels (all/any of comparisons or of any/all of comparisons): the
// schema stays non-recursive, so the editor JSON Schema can describe it completely.
const innerAll = z.strictObject({ all: z.array(comparisonSchema).min(1).describe('Every comparison must hold.') });
const innerAny = z.strictObject({ any: z.array(comparisonSchema).min(1).describe('At least one comparison must hold.') });
const outerAll = z.strictObject({
  all: z.array(z.union([comparisonSchema, innerAny])).min(1).describe('Every item must hold.'),
});
const outerAny = z.strictObject({
  any: z.array(z.union([comparisonSchema, innerAll])).min(1).describe('At least one item must hold.'),
});
export const conditionSchema = z
  .union([comparisonSchema, outerAll, outerAny])
  .describe('A comparison, or { all: [...] } / { any: [...] } of comparisons (nested one more level at most).');
export type ConditionConfig = z.output<typeof conditionSchema>;

export const rateSchema = z
  .strictObject({
    moreThan: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Fire when more than this many matching events arrive within one window (checked as they arrive). Set moreThan or fewerThan. @default none'),
    fewerThan: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('Fire when fewer than this many matching events arrived within a window (checked after the window ends). Set moreThan or fewerThan. @default none'),
    windowSeconds: z
      .number()
      .int()
      .min(1)
      .max(MAX_WINDOW_SECONDS)
      .describe('Tumbling window length in seconds (1-900), aligned to multiples of the length since the Unix epoch.'),
    groupBy: fieldSchema.optional().describe('Count separately per value of this field. @default one count for all events'),
    where: conditionSchema.optional().describe('Only count events that satisfy this condition. @default every event of the type'),
  })
  .describe('A rate rule: more than / fewer than N matching events within a tumbling window.');
export type RateConfig = z.output<typeof rateSchema>;

export const ruleSchema = z
  .strictObject({
    name: z.string().min(1).max(64).describe('Rule name: lowercase letters, digits, "_" and "-". Sent as the "rule" message attribute.'),
    eventType: z.string().describe('The event type the rule watches, as "<application>/<eventType>".'),
    description: z.string().max(512).optional().describe('Free text, for people; included in notifications. @default none'),
    match: conditionSchema.optional().describe('A match rule: fires for every event that satisfies the condition. Set match or rate. @default none'),
    rate: rateSchema.optional().describe('A rate rule: more than / fewer than N matching events within a tumbling window. Set match or rate. @default none'),
    actions: z
      .array(z.enum(['notify', 'store']))
      .min(1)
      .optional()
      .describe(`notify: publish to the hot-path SNS topic; store: write the match to the hot-path table. @default [${HOT_PATH_DEFAULTS.actions.join(', ')}]`),
    includePayload: z
      .boolean()
      .optional()
      .describe(
        'Include the whole event in the notification and the stored match. Otherwise only the identifiers and the fields the rule names. ' +
          `@default ${HOT_PATH_DEFAULTS.includePayload}`,
      ),
  })
  .describe('One hot-path rule.');
export type RuleConfig = z.output<typeof ruleSchema>;

const subscriptionSchema = z.strictObject({
  protocol: z.enum(['email', 'https']).describe('email, or https (SNS posts to the URL, which must confirm the subscription).'),
  endpoint: z.string().min(1).describe('An email address, or an https:// URL.'),
});

export const hotPathSchema = z
  .strictObject({
    rules: z.array(ruleSchema).max(MAX_RULES).optional().describe('Hot-path rules. Without rules, no hot-path resource exists. @default []'),
    subscriptions: z.array(subscriptionSchema).optional().describe('Subscriptions to the hot-path topic (email/https). @default []'),
    retentionDays: z
      .number()
      .int()
      .min(1)
      .max(3_650)
      .optional()
      .describe(`Days a stored match is kept before DynamoDB's TTL deletes it. @default ${HOT_PATH_DEFAULTS.retentionDays}`),
    filterPatternQuota: z
      .number()
      .int()
      .min(FILTER_PATTERN_QUOTA_RANGE.min)
      .max(FILTER_PATTERN_QUOTA_RANGE.max)
      .optional()
      .describe(
        'Filter patterns allowed per event source mapping in this account and region (5; up to 10 after a Service Quotas increase). ' +
          `Above it, patterns are merged into broader ones. @default ${HOT_PATH_DEFAULTS.filterPatternQuota}`,
      ),
    rateEvaluationDelaySeconds: z
      .number()
      .int()
      .min(0)
      .max(3_600)
      .optional()
      .describe(`Wait after a window ends before fewerThan rules count it. @default ${HOT_PATH_DEFAULTS.rateEvaluationDelaySeconds}`),
    deletionProtection: z
      .boolean()
      .optional()
      .describe(`Deletion protection of the matches table. @default ${HOT_PATH_DEFAULTS.deletionProtection}`),
    function: z
      .strictObject({
        memoryMiB: memoryMiBField(HOT_PATH_DEFAULTS.function.memoryMiB),
        timeoutSeconds: timeoutSecondsField(HOT_PATH_DEFAULTS.function.timeoutSeconds),
      })
      .optional()
      .describe('The hot-path Lambda.'),
    mapping: z
      .strictObject({
        startingPosition: z
          .enum(['LATEST', 'TRIM_HORIZON'])
          .optional()
          .describe(
            'Where new event source mappings start: LATEST does not alert on events written before the mapping existed. ' +
              `@default ${HOT_PATH_DEFAULTS.mapping.startingPosition}`,
          ),
        batchSize: batchSizeField(HOT_PATH_DEFAULTS.mapping.batchSize),
        batchingWindowSeconds: batchingWindowSecondsField(HOT_PATH_DEFAULTS.mapping.batchingWindowSeconds),
        maximumRetryAttempts: maximumRetryAttemptsField(HOT_PATH_DEFAULTS.mapping.maximumRetryAttempts),
        maximumRecordAgeSeconds: maximumRecordAgeSecondsField(HOT_PATH_DEFAULTS.mapping.maximumRecordAgeSeconds),
      })
      .optional()
      .describe('Event source mappings of the hot-path Lambda on the root stream.'),
  })
  .describe('Rules evaluated on the root stream within seconds of an event (needs rootStream.enabled: true).');

export type RawHotPath = z.output<typeof hotPathSchema>;

// ---------------------------------------------------------------------------------------------
// Resolved model (plain data; the Lambda reads it from its rules file)
// ---------------------------------------------------------------------------------------------

/** One comparison, resolved: the field as its path segments. */
export interface Comparison {
  readonly kind: 'cmp';
  readonly field: readonly string[];
  readonly op: ComparisonOp;
  /** A scalar, a list (`in`), or a boolean (`exists`). */
  readonly value: Scalar | readonly Scalar[];
}
export interface AllOf {
  readonly kind: 'all';
  readonly of: readonly Condition[];
}
export interface AnyOf {
  readonly kind: 'any';
  readonly of: readonly Condition[];
}
export type Condition = Comparison | AllOf | AnyOf;

export interface EventTypeRef {
  readonly app: string;
  readonly type: string;
  /** `<app>/<type>`. */
  readonly key: string;
}

interface RuleCommon {
  readonly name: string;
  readonly eventType: EventTypeRef;
  readonly description?: string;
  readonly actions: { readonly notify: boolean; readonly store: boolean };
  readonly includePayload: boolean;
  /** Fields the rule names (dot paths), in first-use order: what a notification carries. */
  readonly fields: readonly string[];
}
export interface MatchRuleSpec extends RuleCommon {
  readonly kind: 'match';
  readonly condition: Condition;
}
export interface RateRuleSpec extends RuleCommon {
  readonly kind: 'rate';
  readonly comparison: 'moreThan' | 'fewerThan';
  readonly threshold: number;
  readonly windowSeconds: number;
  readonly groupBy?: readonly string[];
  /** Events counted; undefined: every event of the type. */
  readonly condition?: Condition;
}
export type HotPathRuleSpec = MatchRuleSpec | RateRuleSpec;

export interface HotPathMappingSpec {
  readonly startingPosition: 'LATEST' | 'TRIM_HORIZON';
  readonly batchSize: number;
  readonly batchingWindowSeconds: number;
  readonly maximumRetryAttempts: number;
  readonly maximumRecordAgeSeconds: number;
}

export interface HotPathSpec {
  readonly functionName: string;
  readonly tableName: string;
  readonly topicName: string;
  readonly topicKeyAlias: string;
  readonly deadLetterQueueName: string;
  /** Schedule that evaluates `fewerThan` rules (only created when such rules exist). */
  readonly scheduleRuleName: string;
  /** Sorted by name. */
  readonly rules: readonly HotPathRuleSpec[];
  readonly subscriptions: readonly { readonly protocol: 'email' | 'https'; readonly endpoint: string }[];
  readonly retentionDays: number;
  /**
   * TTL of deduplication markers and window counters: long enough that no redelivery (retries up
   * to maximumRecordAgeSeconds, or a mapping re-reading the whole stream retention) can outlive it.
   */
  readonly dedupeTtlSeconds: number;
  readonly filterPatternQuota: number;
  readonly rateEvaluationDelaySeconds: number;
  readonly deletionProtection: boolean;
  readonly memoryMiB: number;
  readonly timeoutSeconds: number;
  readonly mapping: HotPathMappingSpec;
}

export interface ResolveHotPathOptions {
  /** `rootStream.retentionHours` of the environment: markers outlive any replay of the stream. */
  readonly streamRetentionHours: number;
}

const DAY_SECONDS = 86_400;

/**
 * The resolved hot path of one environment, or undefined when it has no rules (then no hot-path
 * resource exists). Call only on a config that passed the schema and `hotPathIssues`.
 */
export function resolveHotPath(prefix: naming.NamePrefix, raw: RawHotPath | undefined, opts: ResolveHotPathOptions): HotPathSpec | undefined {
  const rules = raw?.rules ?? [];
  if (rules.length === 0) return undefined;
  const mapping: HotPathMappingSpec = { ...HOT_PATH_DEFAULTS.mapping, ...definedOnly(raw?.mapping) };
  const fn = { ...HOT_PATH_DEFAULTS.function, ...definedOnly(raw?.function) };
  const replaySeconds = Math.max(opts.streamRetentionHours * 3_600, mapping.maximumRecordAgeSeconds);
  return {
    functionName: naming.hotPathFunctionName(prefix),
    tableName: naming.hotPathTableName(prefix),
    topicName: naming.hotPathTopicName(prefix),
    topicKeyAlias: naming.hotPathTopicKeyAlias(prefix),
    deadLetterQueueName: naming.hotPathDeadLetterQueueName(prefix),
    scheduleRuleName: naming.hotPathScheduleName(prefix),
    rules: rules.map(resolveRule).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    subscriptions: (raw?.subscriptions ?? []).map((s) => ({ protocol: s.protocol, endpoint: s.endpoint })),
    retentionDays: raw?.retentionDays ?? HOT_PATH_DEFAULTS.retentionDays,
    // One day beyond the longest redelivery, so a marker never expires while its record can come back.
    dedupeTtlSeconds: replaySeconds + DAY_SECONDS,
    filterPatternQuota: raw?.filterPatternQuota ?? HOT_PATH_DEFAULTS.filterPatternQuota,
    rateEvaluationDelaySeconds: raw?.rateEvaluationDelaySeconds ?? HOT_PATH_DEFAULTS.rateEvaluationDelaySeconds,
    deletionProtection: raw?.deletionProtection ?? HOT_PATH_DEFAULTS.deletionProtection,
    memoryMiB: fn.memoryMiB,
    timeoutSeconds: fn.timeoutSeconds,
    mapping,
  };
}

function resolveRule(r: RuleConfig): HotPathRuleSpec {
  const [app, type] = r.eventType.split('/') as [string, string];
  const actions = r.actions ?? HOT_PATH_DEFAULTS.actions;
  const common = {
    name: r.name,
    eventType: { app, type, key: r.eventType },
    ...(r.description !== undefined ? { description: r.description } : {}),
    actions: { notify: actions.includes('notify'), store: actions.includes('store') },
    includePayload: r.includePayload ?? HOT_PATH_DEFAULTS.includePayload,
  };
  if (r.rate !== undefined) {
    const condition = r.rate.where !== undefined ? resolveCondition(r.rate.where) : undefined;
    const fields = condition !== undefined ? referencedFields(condition) : [];
    if (r.rate.groupBy !== undefined && !fields.includes(r.rate.groupBy)) fields.push(r.rate.groupBy);
    const moreThan = r.rate.moreThan !== undefined;
    return {
      ...common,
      kind: 'rate',
      comparison: moreThan ? 'moreThan' : 'fewerThan',
      threshold: (moreThan ? r.rate.moreThan : r.rate.fewerThan) as number,
      windowSeconds: r.rate.windowSeconds,
      ...(r.rate.groupBy !== undefined ? { groupBy: r.rate.groupBy.split('.') } : {}),
      ...(condition !== undefined ? { condition } : {}),
      fields,
    };
  }
  const condition = resolveCondition(r.match as ConditionConfig);
  return { ...common, kind: 'match', condition, fields: referencedFields(condition) };
}

/** The resolved form of a condition from the config. */
export function resolveCondition(c: ConditionConfig | z.output<typeof innerAll> | z.output<typeof innerAny>): Condition {
  if ('all' in c) return { kind: 'all', of: c.all.map((x) => resolveCondition(x)) };
  if ('any' in c) return { kind: 'any', of: c.any.map((x) => resolveCondition(x)) };
  const value = c.op === 'exists' ? (c.value ?? true) : (c.value as Scalar | Scalar[]);
  return { kind: 'cmp', field: c.field.split('.'), op: c.op, value };
}

/** Dot paths of every field a condition compares, in first-use order, without repeats. */
export function referencedFields(c: Condition): string[] {
  const out: string[] = [];
  const walk = (x: Condition): void => {
    if (x.kind === 'cmp') {
      const path = x.field.join('.');
      if (!out.includes(path)) out.push(path);
    } else x.of.forEach(walk);
  };
  walk(c);
  return out;
}

/** Number of alternatives a condition expands to when `any` is distributed over `all` (its DNF). */
export function alternativeCount(c: Condition): number {
  if (c.kind === 'cmp') return 1;
  if (c.kind === 'any') return c.of.reduce((n, x) => n + alternativeCount(x), 0);
  return c.of.reduce((n, x) => n * alternativeCount(x), 1);
}

/** Distinct tumbling windows of the rate rules: one consumer (alias and event source mapping) each. */
export function rateWindows(spec: Pick<HotPathSpec, 'rules'>): number[] {
  return [...new Set(spec.rules.filter((r): r is RateRuleSpec => r.kind === 'rate').map((r) => r.windowSeconds))].sort((a, b) => a - b);
}

/**
 * One reader of the root stream inside the hot path: an event source mapping and the Lambda alias
 * it invokes. Match rules share one consumer; rate rules get one per window length, because a
 * tumbling window is a setting of the mapping. The alias is what makes the mappings distinct:
 * Lambda allows one mapping per (event source, function ARN with its qualifier), and every
 * consumer reads the same stream with the same function. The handler reads the alias from the ARN
 * it was invoked with, so it knows which consumer a batch comes from. See docs/hot-path.md, "One
 * mapping per function qualifier".
 */
export type HotPathConsumer =
  | { readonly kind: 'match'; readonly alias: string }
  | { readonly kind: 'rate'; readonly alias: string; readonly windowSeconds: number };

/**
 * Lambda alias names: 1-128 characters of letters, digits, "-" and "_", not only digits (a
 * number is a version). Source: CreateAlias, `Name`,
 * https://docs.aws.amazon.com/lambda/latest/api/API_CreateAlias.html
 */
export const LAMBDA_ALIAS_NAME = /^(?![0-9]+$)[a-zA-Z0-9_-]{1,128}$/;

/** The alias of the match consumer. */
export const MATCH_CONSUMER_ALIAS = 'match';
/** The alias of the rate consumer of one window length. */
export const rateConsumerAlias = (windowSeconds: number): string => `rate-${windowSeconds}s`;

/** The hot path's consumers, in a fixed order: match rules (when there are some), then each window length ascending. */
export function hotPathConsumers(spec: Pick<HotPathSpec, 'rules'>): HotPathConsumer[] {
  const out: HotPathConsumer[] = [];
  if (spec.rules.some((r) => r.kind === 'match')) out.push({ kind: 'match', alias: MATCH_CONSUMER_ALIAS });
  for (const w of rateWindows(spec)) out.push({ kind: 'rate', alias: rateConsumerAlias(w), windowSeconds: w });
  return out;
}

/** Event source mappings the hot path puts on the root stream: one per consumer. */
export function hotPathMappingCount(spec: Pick<HotPathSpec, 'rules'>): number {
  return hotPathConsumers(spec).length;
}

/** True when a `fewerThan` rule exists: the construct then adds the schedule that evaluates them. */
export function needsSchedule(spec: Pick<HotPathSpec, 'rules'>): boolean {
  return spec.rules.some((r) => r.kind === 'rate' && r.comparison === 'fewerThan');
}

/** Physical names of the hot path, with their AWS rule, for the loader's name-length checks. */
export function hotPathNames(prefix: naming.NamePrefix): [naming.NameKind, string][] {
  const fn = naming.hotPathFunctionName(prefix);
  return [
    ['lambdaFunction', fn],
    ['iamRole', naming.functionRoleName(fn)],
    ['logGroup', naming.functionLogGroupName(fn)],
    ['dynamodbTable', naming.hotPathTableName(prefix)],
    ['snsTopic', naming.hotPathTopicName(prefix)],
    ['kmsAlias', naming.hotPathTopicKeyAlias(prefix)],
    ['sqsQueue', naming.hotPathDeadLetterQueueName(prefix)],
    // EventBridge rule names allow 64 characters of [.-_A-Za-z0-9]: the Lambda name rule is as strict.
    ['lambdaFunction', naming.hotPathScheduleName(prefix)],
  ];
}

function definedOnly<T extends object>(o: T | undefined): Partial<T> {
  if (o === undefined) return {};
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

// ---------------------------------------------------------------------------------------------
// Checks zod cannot express
// ---------------------------------------------------------------------------------------------

export type IssuePath = (string | number)[];
export interface HotPathIssue {
  /** From the config root, e.g. ['environments', 'dev', 'rootStream', 'hotPath', 'rules', 0, 'eventType']. */
  readonly path: IssuePath;
  readonly message: string;
}

export interface HotPathCheckOptions {
  /** `rootStream.enabled` of the environment: the hot path reads the root stream. @default true */
  readonly rootStreamEnabled?: boolean;
  /**
   * Standard (shared-throughput) readers of the root stream besides the hot path: the router (1)
   * plus `type: lambda` consumers without enhancedFanOut. @default 1
   */
  readonly otherStandardReaders?: number;
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isScalar = (v: unknown): v is Scalar => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean';

/** `"abc…"` (JSON, shortened): the value a message names. */
export function show(v: unknown, max = 60): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/**
 * The problems of one environment's `rootStream.hotPath` that zod cannot see: references to event
 * types, operator/value pairs, one of match/rate, one of moreThan/fewerThan, duplicate rule names,
 * condition size, subscription endpoints, and the number of readers on the root stream. Lenient:
 * it reads whatever parts are readable, so its problems are reported together with schema errors.
 */
export function hotPathIssues(
  environment: string,
  raw: unknown,
  eventTypeKeys: ReadonlySet<string>,
  opts: HotPathCheckOptions = {},
): HotPathIssue[] {
  const base: IssuePath = ['environments', environment, 'rootStream', 'hotPath'];
  if (!isObj(raw)) return [];
  const out: HotPathIssue[] = [];
  const rules = Array.isArray(raw.rules) ? raw.rules : [];

  if (rules.length > 0 && opts.rootStreamEnabled === false) {
    out.push({
      path: base,
      message: `hot-path rules read the root stream, which is off in environment "${environment}"; set environments.${environment}.rootStream.enabled: true or remove hotPath.rules`,
    });
  }

  const seen = new Map<string, number>();
  const windows = new Set<number>();
  let hasMatch = false;
  // The declared event types of each application, sorted, built once for the "did you mean" hints
  // (sorting every key for each unknown reference would grow with rules x event types).
  let keysByApp: Map<string, string[]> | undefined;
  const declaredIn = (application: string): string[] => {
    if (keysByApp === undefined) {
      keysByApp = new Map();
      for (const k of eventTypeKeys) {
        const app = k.slice(0, k.indexOf('/'));
        const keys = keysByApp.get(app);
        if (keys === undefined) keysByApp.set(app, [k]);
        else keys.push(k);
      }
      for (const keys of keysByApp.values()) keys.sort();
    }
    return keysByApp.get(application) ?? [];
  };
  rules.forEach((rule, i) => {
    const p: IssuePath = [...base, 'rules', i];
    if (!isObj(rule)) return;
    if (typeof rule.name === 'string') {
      if (!RULE_NAME.test(rule.name)) {
        out.push({
          path: [...p, 'name'],
          message: `rule name ${show(rule.name)} has characters that are not allowed: use lowercase letters, digits, "_" and "-", starting with a letter or digit`,
        });
      }
      const first = seen.get(rule.name);
      if (first !== undefined) {
        out.push({
          path: [...p, 'name'],
          message: `duplicate rule "${rule.name}" (first declared at hotPath.rules[${first}]); rule names are the key of stored matches and must be unique per environment: rename one`,
        });
      } else seen.set(rule.name, i);
    }
    const eventType = rule.eventType;
    if (typeof eventType === 'string') {
      if (!EVENT_TYPE_KEY.test(eventType)) {
        out.push({ path: [...p, 'eventType'], message: `${show(eventType)} is not "<application>/<eventType>"; write it like "web-shop/checkout_completed"` });
      } else if (!eventTypeKeys.has(eventType)) {
        const sameApp = declaredIn(eventType.split('/')[0]!);
        out.push({
          path: [...p, 'eventType'],
          message:
            `"${eventType}" is not a declared event type; use "<application>/<eventType>" of an entry under applications` +
            (sameApp.length > 0 ? ` (this application declares ${sameApp.slice(0, 5).join(', ')}${sameApp.length > 5 ? ', …' : ''})` : ''),
        });
      }
    }
    const hasMatchKey = rule.match !== undefined;
    const hasRate = rule.rate !== undefined;
    if (hasMatchKey === hasRate) {
      out.push({
        path: p,
        message: hasRate
          ? 'a rule is either a match rule or a rate rule: keep "match" or "rate", not both (to count only some events, move the condition to rate.where)'
          : 'a rule needs a condition: add "match" (fire on each event that satisfies it) or "rate" (fire on more/fewer than N events in a window)',
      });
    }
    if (hasMatchKey) {
      hasMatch = true;
      out.push(...conditionIssues(rule.match, [...p, 'match']));
    }
    if (isObj(rule.rate)) {
      const r = rule.rate;
      const rp: IssuePath = [...p, 'rate'];
      if ((r.moreThan === undefined) === (r.fewerThan === undefined)) {
        out.push({
          path: rp,
          message:
            r.moreThan === undefined
              ? 'a rate rule needs a threshold: set moreThan: N (fire above N events per window) or fewerThan: N (fire below N)'
              : 'set either moreThan or fewerThan, not both; write two rules to watch both directions',
        });
      }
      if (typeof r.windowSeconds === 'number' && Number.isInteger(r.windowSeconds)) windows.add(r.windowSeconds);
      if (r.where !== undefined) out.push(...conditionIssues(r.where, [...rp, 'where']));
    }
    if (Array.isArray(rule.actions)) {
      const dup = rule.actions.find((a, j) => rule.actions !== undefined && (rule.actions as unknown[]).indexOf(a) !== j);
      if (dup !== undefined) out.push({ path: [...p, 'actions'], message: `action ${show(dup)} is listed twice; list each of notify, store at most once` });
    }
  });

  (Array.isArray(raw.subscriptions) ? raw.subscriptions : []).forEach((s, i) => {
    if (!isObj(s) || typeof s.endpoint !== 'string') return;
    const sp: IssuePath = [...base, 'subscriptions', i, 'endpoint'];
    if (s.protocol === 'https' && !/^https:\/\/[^\s/]+/.test(s.endpoint)) {
      out.push({ path: sp, message: `${show(s.endpoint)} is not an https:// URL; SNS https subscriptions need one (use protocol: email for an address)` });
    }
    if (s.protocol === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s.endpoint)) {
      out.push({ path: sp, message: `${show(s.endpoint)} is not an email address; write it like oncall@example.com` });
    }
  });

  const mappings = (hasMatch ? 1 : 0) + windows.size;
  const others = opts.otherStandardReaders ?? 1;
  if (mappings > 0 && mappings + others > MAX_STANDARD_READERS) {
    out.push({
      path: [...base, 'rules'],
      message:
        `the hot path needs ${mappings} event source mappings (one for match rules, one per distinct rate window: ${[...windows].sort((a, b) => a - b).join(', ') || 'none'} s); ` +
        `with ${others} other standard reader(s) the root stream would have ${mappings + others}, but Kinesis allows ${MAX_STANDARD_READERS} GetRecords calls per second per shard ` +
        'and Lambda polls every shard once per second per mapping; give rate rules the same windowSeconds, or move lambda consumers to enhancedFanOut: true',
    });
  }
  return out;
}

/** Problems of one condition: operator/value pairs, empty lists, size. */
function conditionIssues(c: unknown, p: IssuePath, depth = 0): HotPathIssue[] {
  if (!isObj(c)) return [];
  const out: HotPathIssue[] = [];
  if ('all' in c || 'any' in c) {
    const key = 'all' in c ? 'all' : 'any';
    const items = c[key];
    if (Array.isArray(items)) items.forEach((x, i) => out.push(...conditionIssues(x, [...p, key, i], depth + 1)));
    if (depth === 0 && out.length === 0) {
      // Only for a well-formed condition: count the alternatives its filter patterns need.
      try {
        const n = alternativeCount(resolveCondition(c as ConditionConfig));
        if (n > MAX_ALTERNATIVES) {
          out.push({
            path: p,
            message:
              `the condition expands to ${n} alternatives once "any" is distributed over "all" (at most ${MAX_ALTERNATIVES}); ` +
              'simplify it, for example replace an "any" of "=" comparisons on one field by one "in" comparison, or split it into several rules',
          });
        }
      } catch {
        // Malformed parts are reported by the schema.
      }
    }
    return out;
  }
  if (typeof c.op !== 'string' || !(COMPARISON_OPS as readonly string[]).includes(c.op)) return out;
  const op = c.op as ComparisonOp;
  const v = c.value;
  const vp: IssuePath = [...p, 'value'];
  const field = typeof c.field === 'string' ? c.field : 'the field';
  switch (op) {
    case '<':
    case '<=':
    case '>':
    case '>=':
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        out.push({ path: vp, message: `"${op}" compares numbers, but the value is ${show(v)}; write a number, for example { field: ${field}, op: "${op}", value: 100 }` });
      }
      break;
    case '=':
    case '!=':
      if (!isScalar(v)) {
        out.push({
          path: vp,
          message:
            `"${op}" needs one string, number or boolean, but the value is ${show(v)}` +
            (Array.isArray(v) ? (op === '=' ? '; to compare with several values use op: in' : '; to exclude several values write one != comparison per value under all') : ''),
        });
      }
      break;
    case 'exists':
      if (v !== undefined && typeof v !== 'boolean') {
        out.push({ path: vp, message: `"exists" takes true (the default) or false, but the value is ${show(v)}; remove value or write true/false` });
      }
      break;
    case 'prefix':
      if (typeof v !== 'string' || v.length === 0) {
        out.push({ path: vp, message: `"prefix" needs a non-empty string, but the value is ${show(v)}; write for example value: "us-"` });
      }
      break;
    case 'in':
      if (!Array.isArray(v) || v.length === 0) {
        out.push({ path: vp, message: `"in" needs a list of 1-${MAX_IN_VALUES} values, but the value is ${show(v)}; write for example value: [EUR, USD]` });
      } else if (v.length > MAX_IN_VALUES) {
        out.push({ path: vp, message: `"in" lists ${v.length} values; at most ${MAX_IN_VALUES} are allowed: split the rule or compare a coarser field` });
      } else {
        v.forEach((x, i) => {
          if (!isScalar(x)) out.push({ path: [...vp, i], message: `${show(x)} is not a string, number or boolean; "in" lists only those` });
        });
      }
      break;
  }
  return out;
}
