/**
 * The resolved config: what the stacks, the manifest and the tracker client consume.
 * Defaults are merged here, in one fixed order (defaults, then the user's values), and every
 * physical name is taken from `config/naming`. Lists are sorted by their config keys, so the
 * order of the YAML file never reaches the synthesized Terraform.
 */
import type { EventContract } from './contracts';
import { resolveCollector, type CollectorSpec } from './collector';
import { resolveHotPath, type HotPathSpec } from './hot-path';
import type { Move, MovesFile } from './moves';
import * as naming from './naming';
import { DEFAULTS, type Compression, type ConsumerConfig, type RawConfig, type RawEnvironment, type TransformKind } from './schema';

export interface Buffering {
  readonly sizeMiB: number;
  readonly intervalSeconds: number;
}

export interface EventTypeSpec {
  readonly application: string;
  readonly name: string;
  /** `<application>/<eventType>`: stable key for construct ids, routing and manifests. */
  readonly key: string;
  /** Terraform name of the event type's own resources: `<application>__<eventType>` (config/naming). */
  readonly resourceName: string;
  readonly owner?: string;
  readonly deliveryStreamName: string;
  readonly logStreamName: string;
  /** Full S3 prefix, including the Hive-style time partitions. */
  readonly prefix: string;
  readonly errorOutputPrefix: string;
  readonly buffering: Buffering;
  readonly compression: Compression;
  readonly transform: TransformKind;
  /** Shard of the event type in the sharded layout (the application name unless the config says otherwise). */
  readonly shard: string;
  /** Declared average rate (events per second), for `npm run cost`; undefined when not declared. */
  readonly avgRecordsPerSecond?: number;
  /** Declared average event size in bytes (`avgRecordBytes`), undefined when not declared. */
  readonly avgRecordBytes?: number;
  /** Declared peak rate (events per second), undefined when not declared. */
  readonly peakRecordsPerSecond?: number;
  /** The event type's contract (its `schema`, resolved, with its mode); undefined without one. */
  readonly contract?: EventContract;
}

export interface BucketSpec {
  readonly name: string;
  readonly kmsKeyArn?: string;
  readonly expireAfterDays?: number;
  readonly transitionToInfrequentAccessAfterDays?: number;
  readonly transitionToGlacierAfterDays?: number;
  readonly noncurrentVersionExpireAfterDays: number;
  readonly abortIncompleteMultipartUploadAfterDays: number;
  readonly forceDestroy: boolean;
}

export interface RouterSpec {
  readonly functionName: string;
  readonly batchSize: number;
  readonly batchingWindowSeconds: number;
  readonly parallelizationFactor: number;
  readonly maximumRetryAttempts: number;
  readonly maximumRecordAgeSeconds: number;
  readonly memoryMiB: number;
  readonly timeoutSeconds: number;
  readonly unroutableDestination: 'sqs' | 's3';
  readonly deadLetterQueueName: string;
}

export interface RootStreamSpec {
  readonly enabled: boolean;
  readonly streamName: string;
  readonly mode: 'on-demand' | 'provisioned';
  readonly shardCount: number;
  readonly retentionHours: number;
  readonly kmsKeyId: string;
  readonly producerPolicyName: string;
  readonly router: RouterSpec;
  readonly consumers: readonly ConsumerConfig[];
  /** Hot-path rules (docs/hot-path.md); undefined when there are none. */
  readonly hotPath?: HotPathSpec;
}

export interface AlarmsSpec {
  readonly enabled: boolean;
  readonly topicName: string;
  readonly topicArn?: string;
  readonly subscriptions: readonly { readonly protocol: 'email' | 'https'; readonly endpoint: string }[];
  readonly freshnessThresholdSeconds: number;
  readonly deliverySuccessPeriodSeconds: number;
  readonly iteratorAgeThresholdSeconds: number;
  /** Keys (`app/type`) of event types with per-stream alarms. */
  readonly perStreamAlarms: readonly string[];
}

/** One shard stack of an environment in the sharded layout. */
export interface ShardSpec {
  readonly name: string;
  readonly stackId: string;
  /** The shard's JSONL transform function (when one of its event types uses `transform: lambda`). */
  readonly transformFunctionName: string;
  /** S3 key of the shard's state when the environment has a backend. */
  readonly stateKey?: string;
  /** Keys (`app/type`) of its event types, sorted. */
  readonly eventTypeKeys: readonly string[];
}

/** How the environment is split into stacks (docs/operations.md, "Stacks"). */
export interface StacksSpec {
  /** What the config asked for (`auto` unless set). */
  readonly requested: 'auto' | 'single' | 'sharded';
  /** What is synthesized. */
  readonly layout: 'single' | 'sharded';
  readonly maxStreamsPerShard: number;
  /** Sorted by name; empty in the single layout. */
  readonly shards: readonly ShardSpec[];
}

export interface BackendSpec {
  readonly bucket: string;
  readonly key: string;
  readonly region: string;
  readonly dynamodbTable?: string;
}

export interface EnvironmentSpec {
  readonly name: string;
  readonly stackId: string;
  readonly region: string;
  readonly account?: string;
  readonly prefix: naming.NamePrefix;
  readonly logRetentionDays: number;
  /** The common tag set, applied once through the provider's default_tags. */
  readonly tags: Readonly<Record<string, string>>;
  readonly bucket: BucketSpec;
  readonly deliveryLogGroupName: string;
  readonly firehoseRoleName: string;
  readonly transformFunction: { readonly functionName: string; readonly memoryMiB: number; readonly timeoutSeconds: number };
  readonly rootStream: RootStreamSpec;
  /** The HTTP collector (docs/collector.md); undefined unless `collector.enabled`: then none of it exists. */
  readonly collector?: CollectorSpec;
  readonly alarms: AlarmsSpec;
  readonly backend?: BackendSpec;
  readonly stacks: StacksSpec;
  /**
   * Resources moving between this environment's stacks (the moves file of `stacks.moves`): each
   * becomes an `import` block in its new stack and a `removed` block in its old one.
   */
  readonly moves: readonly Move[];
  /** Sorted by key. */
  readonly eventTypes: readonly EventTypeSpec[];
}

export interface ApplicationSpec {
  readonly name: string;
  readonly owner?: string;
  /** Sorted. */
  readonly eventTypes: readonly string[];
}

export interface TrackingConfig {
  readonly project: string;
  /** Sorted by name. */
  readonly environments: readonly EnvironmentSpec[];
  /** Sorted by name. */
  readonly applications: readonly ApplicationSpec[];
}

const byKey = <T>(key: (t: T) => string) => (a: T, b: T): number => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

/**
 * Builds the resolved model from a config that passed validation, with the moves file it names
 * (read and checked by the loader), if any.
 */
export function resolveConfig(raw: RawConfig, moves?: MovesFile, contracts: ReadonlyMap<string, EventContract> = new Map()): TrackingConfig {
  const applications: ApplicationSpec[] = raw.applications
    .map((app) => ({
      name: app.name,
      ...(app.owner !== undefined ? { owner: app.owner } : {}),
      eventTypes: app.eventTypes.map((t) => (typeof t === 'string' ? t : t.name)).sort(),
    }))
    .sort(byKey((a) => a.name));

  const environments = Object.entries(raw.environments)
    .map(([name, env]) => resolveEnvironment(raw, name, env, (moves?.moves ?? []).filter((m) => m.environment === name), contracts))
    .sort(byKey((e) => e.name));

  return { project: raw.project, environments, applications };
}

function resolveEnvironment(
  raw: RawConfig,
  name: string,
  env: RawEnvironment,
  moves: readonly Move[],
  contracts: ReadonlyMap<string, EventContract>,
): EnvironmentSpec {
  const prefix: naming.NamePrefix = { project: raw.project, environment: name };
  const d = raw.defaults ?? {};
  const eventTypes: EventTypeSpec[] = [];
  for (const app of raw.applications) {
    for (const entry of app.eventTypes) {
      const t = typeof entry === 'string' ? { name: entry } : entry;
      const o = typeof entry === 'string' ? undefined : entry;
      eventTypes.push({
        application: app.name,
        name: t.name,
        key: naming.eventTypeKey(app.name, t.name),
        resourceName: naming.eventTypeResourceName(app.name, t.name),
        ...(app.owner !== undefined ? { owner: app.owner } : {}),
        deliveryStreamName: naming.deliveryStreamName(prefix, app.name, t.name),
        logStreamName: naming.deliveryLogStreamName(prefix, app.name, t.name),
        prefix: naming.dataPrefix(app.name, t.name) + naming.HIVE_TIME_PARTITIONS,
        errorOutputPrefix: naming.errorPrefix(app.name, t.name) + naming.HIVE_TIME_PARTITIONS,
        buffering: { ...DEFAULTS.buffering, ...defined(d.buffering), ...defined(o?.buffering) },
        compression: o?.compression ?? d.compression ?? DEFAULTS.compression,
        transform: o?.transform ?? d.transform ?? DEFAULTS.transform,
        shard: o?.shard ?? app.shard ?? app.name,
        ...(o?.avgRecordsPerSecond !== undefined ? { avgRecordsPerSecond: o.avgRecordsPerSecond } : {}),
        ...(o?.avgRecordBytes !== undefined ? { avgRecordBytes: o.avgRecordBytes } : {}),
        ...(o?.peakRecordsPerSecond !== undefined ? { peakRecordsPerSecond: o.peakRecordsPerSecond } : {}),
        ...(contracts.has(naming.eventTypeKey(app.name, t.name)) ? { contract: contracts.get(naming.eventTypeKey(app.name, t.name))! } : {}),
      });
    }
  }
  eventTypes.sort(byKey((t) => t.key));

  const rs = env.rootStream ?? {};
  const router = { ...DEFAULTS.rootStream.router, ...defined(rs.router) };
  const backendKey = env.backend !== undefined ? (env.backend.key ?? naming.stateKey(prefix)) : undefined;
  const stacks = resolveStacks(raw, name, env, prefix, eventTypes, backendKey);
  const alarms = env.alarms ?? {};
  const b = env.bucket ?? {};
  return {
    name,
    stackId: naming.stackId(name),
    region: env.region,
    ...(env.account !== undefined ? { account: env.account } : {}),
    prefix,
    logRetentionDays: env.logRetentionDays ?? raw.logRetentionDays ?? DEFAULTS.logRetentionDays,
    tags: {
      ...raw.tags,
      ...env.tags,
      // Forced last: the common tags cannot be overridden.
      project: raw.project,
      environment: name,
      'managed-by': 'cdktf',
    },
    bucket: {
      name: b.name ?? naming.bucketName(prefix),
      ...(b.kmsKeyArn !== undefined ? { kmsKeyArn: b.kmsKeyArn } : {}),
      ...(b.expireAfterDays !== undefined ? { expireAfterDays: b.expireAfterDays } : {}),
      ...(b.transitionToInfrequentAccessAfterDays !== undefined
        ? { transitionToInfrequentAccessAfterDays: b.transitionToInfrequentAccessAfterDays }
        : {}),
      ...(b.transitionToGlacierAfterDays !== undefined ? { transitionToGlacierAfterDays: b.transitionToGlacierAfterDays } : {}),
      noncurrentVersionExpireAfterDays: b.noncurrentVersionExpireAfterDays ?? 30,
      abortIncompleteMultipartUploadAfterDays: b.abortIncompleteMultipartUploadAfterDays ?? 7,
      forceDestroy: b.forceDestroy ?? false,
    },
    deliveryLogGroupName: naming.deliveryLogGroupName(prefix),
    firehoseRoleName: naming.firehoseRoleName(prefix),
    transformFunction: {
      functionName: naming.transformFunctionName(prefix),
      ...DEFAULTS.transformFunction,
      ...defined(d.transformFunction),
    },
    rootStream: {
      enabled: rs.enabled ?? DEFAULTS.rootStream.enabled,
      streamName: naming.rootStreamName(prefix),
      mode: rs.mode ?? DEFAULTS.rootStream.mode,
      shardCount: rs.shardCount ?? DEFAULTS.rootStream.shardCount,
      retentionHours: rs.retentionHours ?? DEFAULTS.rootStream.retentionHours,
      kmsKeyId: rs.kmsKeyId ?? 'alias/aws/kinesis',
      producerPolicyName: naming.rootStreamProducerPolicyName(prefix),
      router: {
        ...router,
        functionName: naming.routerFunctionName(prefix),
        deadLetterQueueName: naming.routerDeadLetterQueueName(prefix),
      },
      consumers: [...(rs.consumers ?? [])].sort(byKey((c) => c.name)),
      ...hotPathOf(prefix, rs),
    },
    ...collectorOf(raw, prefix, env),
    alarms: {
      enabled: alarms.enabled ?? DEFAULTS.alarms.enabled,
      topicName: naming.alarmTopicName(prefix),
      ...(alarms.topicArn !== undefined ? { topicArn: alarms.topicArn } : {}),
      subscriptions: alarms.subscriptions ?? [],
      freshnessThresholdSeconds: alarms.freshnessThresholdSeconds ?? DEFAULTS.alarms.freshnessThresholdSeconds,
      deliverySuccessPeriodSeconds: DEFAULTS.alarms.deliverySuccessPeriodSeconds,
      iteratorAgeThresholdSeconds: DEFAULTS.alarms.iteratorAgeThresholdSeconds,
      perStreamAlarms: [...(alarms.perStreamAlarms ?? [])].sort(),
    },
    stacks,
    moves,
    ...(env.backend !== undefined
      ? {
          backend: {
            bucket: env.backend.bucket,
            key: backendKey!,
            region: env.backend.region ?? env.region,
            ...(env.backend.dynamodbTable !== undefined ? { dynamodbTable: env.backend.dynamodbTable } : {}),
          },
        }
      : {}),
    eventTypes,
  };
}

/**
 * The layout of an environment: defaults, then the top-level `stacks`, then the environment's.
 * `auto` is single while the environment has at most `maxStreamsPerShard` event types (the loader
 * asks for an explicit choice above that, so that adding one event type never silently moves
 * every stream to other stacks).
 */
function resolveStacks(
  raw: RawConfig,
  envName: string,
  env: RawEnvironment,
  prefix: naming.NamePrefix,
  eventTypes: readonly EventTypeSpec[],
  backendKey: string | undefined,
): StacksSpec {
  const merged = { ...DEFAULTS.stacks, ...defined(raw.stacks), ...defined(env.stacks) };
  const requested = merged.layout;
  const layout: StacksSpec['layout'] = requested === 'auto' ? (eventTypes.length <= merged.maxStreamsPerShard ? 'single' : 'sharded') : requested;
  const byShard = new Map<string, string[]>();
  for (const t of eventTypes) {
    const keys = byShard.get(t.shard);
    if (keys === undefined) byShard.set(t.shard, [t.key]);
    else keys.push(t.key);
  }
  const shards: ShardSpec[] =
    layout === 'single'
      ? []
      : [...byShard.entries()]
          .map(([shard, keys]) => ({
            name: shard,
            stackId: naming.shardStackId(envName, shard),
            transformFunctionName: naming.shardTransformFunctionName(prefix, shard),
            ...(backendKey !== undefined ? { stateKey: naming.shardStateKey(backendKey, shard) } : {}),
            eventTypeKeys: [...keys].sort(),
          }))
          .sort(byKey((x) => x.name));
  return { requested, layout, maxStreamsPerShard: merged.maxStreamsPerShard, shards };
}

function collectorOf(raw: RawConfig, prefix: naming.NamePrefix, env: RawEnvironment): { collector?: CollectorSpec } {
  const collector = resolveCollector(prefix, env.collector, {
    rootStreamEnabled: env.rootStream?.enabled ?? DEFAULTS.rootStream.enabled,
    applications: raw.applications.map((a) => ({ name: a.name, ...(a.shard !== undefined ? { shard: a.shard } : {}) })),
  });
  return collector !== undefined ? { collector } : {};
}

function hotPathOf(prefix: naming.NamePrefix, rs: NonNullable<RawEnvironment['rootStream']>): { hotPath?: HotPathSpec } {
  const hotPath = resolveHotPath(prefix, rs.hotPath, { streamRetentionHours: rs.retentionHours ?? DEFAULTS.rootStream.retentionHours });
  return hotPath !== undefined && (rs.enabled ?? DEFAULTS.rootStream.enabled) ? { hotPath } : {};
}

/** Drops undefined fields so that spreading a partial override never erases a default. */
export function defined<T extends object>(o: T | undefined): Partial<T> {
  if (o === undefined) return {};
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
