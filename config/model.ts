/**
 * The resolved config: what the stacks, the manifest and the tracker client consume.
 * Defaults are merged here, in one fixed order (defaults, then the user's values), and every
 * physical name is taken from `config/naming`. Lists are sorted by their config keys, so the
 * order of the YAML file never reaches the synthesized Terraform.
 */
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
  readonly owner?: string;
  readonly deliveryStreamName: string;
  readonly logStreamName: string;
  /** Full S3 prefix, including the Hive-style time partitions. */
  readonly prefix: string;
  readonly errorOutputPrefix: string;
  readonly buffering: Buffering;
  readonly compression: Compression;
  readonly transform: TransformKind;
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
  readonly alarms: AlarmsSpec;
  readonly backend?: BackendSpec;
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

/** Builds the resolved model from a config that passed validation. */
export function resolveConfig(raw: RawConfig): TrackingConfig {
  const applications: ApplicationSpec[] = raw.applications
    .map((app) => ({
      name: app.name,
      ...(app.owner !== undefined ? { owner: app.owner } : {}),
      eventTypes: app.eventTypes.map((t) => (typeof t === 'string' ? t : t.name)).sort(),
    }))
    .sort(byKey((a) => a.name));

  const environments = Object.entries(raw.environments)
    .map(([name, env]) => resolveEnvironment(raw, name, env))
    .sort(byKey((e) => e.name));

  return { project: raw.project, environments, applications };
}

function resolveEnvironment(raw: RawConfig, name: string, env: RawEnvironment): EnvironmentSpec {
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
        ...(app.owner !== undefined ? { owner: app.owner } : {}),
        deliveryStreamName: naming.deliveryStreamName(prefix, app.name, t.name),
        logStreamName: naming.deliveryLogStreamName(prefix, app.name, t.name),
        prefix: naming.dataPrefix(app.name, t.name) + naming.HIVE_TIME_PARTITIONS,
        errorOutputPrefix: naming.errorPrefix(app.name, t.name) + naming.HIVE_TIME_PARTITIONS,
        buffering: { ...DEFAULTS.buffering, ...defined(d.buffering), ...defined(o?.buffering) },
        compression: o?.compression ?? d.compression ?? DEFAULTS.compression,
        transform: o?.transform ?? d.transform ?? DEFAULTS.transform,
      });
    }
  }
  eventTypes.sort(byKey((t) => t.key));

  const rs = env.rootStream ?? {};
  const router = { ...DEFAULTS.rootStream.router, ...defined(rs.router) };
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
    },
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
    ...(env.backend !== undefined
      ? {
          backend: {
            bucket: env.backend.bucket,
            key: env.backend.key ?? naming.stateKey(prefix),
            region: env.backend.region ?? env.region,
            ...(env.backend.dynamodbTable !== undefined ? { dynamodbTable: env.backend.dynamodbTable } : {}),
          },
        }
      : {}),
    eventTypes,
  };
}

/** Drops undefined fields so that spreading a partial override never erases a default. */
export function defined<T extends object>(o: T | undefined): Partial<T> {
  if (o === undefined) return {};
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
