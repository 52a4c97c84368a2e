/**
 * The stacks of an environment (docs/operations.md, "Stacks"):
 * - single layout: one `TrackingStack` (`tracking-<env>`) holding everything;
 * - sharded layout: a `CoreStack` (`tracking-<env>`, the same id, so that its state and addresses
 *   carry over) with the environment-wide resources, and one `ShardStack`
 *   (`tracking-<env>-<shard>`) per shard with its event types. Shards refer to the core by
 *   deterministic names and ARNs (config/naming) and depend on it, so the core is applied first.
 */
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { App, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import type { EnvironmentSpec, EventTypeSpec, ShardSpec } from '../config/model';
import * as naming from '../config/naming';
import { AwsContext } from '../modules/aws-context';
import type { NodejsFunction } from '../modules/nodejs-function';
import { configureBackend } from './backend';
import { addMoveBlocks, movingOutOf } from './moves';
import { addCatalogObject, addCollectorWriteKeys, addEnvironmentCore, addEventTypeGroup, addTransformFunction, functionArn, legacyEventTypeMoves, shardTransformArnPattern, type EnvironmentCore, type EventTypeGroup } from './parts';

/**
 * AWS provider settings for Firehose's control-plane limit (5 calls per second per operation,
 * account and region, a hard limit): the SDK's adaptive retry mode rate-limits the client itself
 * once throttled, and more attempts ride out a refresh of a full shard. docs/operations.md,
 * "Planning within Firehose's rate".
 */
export const PROVIDER_RETRY = { retryMode: 'adaptive', maxRetries: 25 } as const;

/** What every stack of an environment starts with: provider, account context, backend. */
abstract class EnvironmentStack extends TerraformStack {
  public readonly env: EnvironmentSpec;
  public readonly provider: AwsProvider;
  public readonly context: AwsContext;

  protected constructor(scope: Construct, id: string, env: EnvironmentSpec, stateKey: string) {
    super(scope, id);
    this.env = env;
    this.provider = new AwsProvider(this, 'aws', {
      region: env.region,
      defaultTags: [{ tags: { ...env.tags } }],
      ...(env.account !== undefined ? { allowedAccountIds: [env.account] } : {}),
      ...PROVIDER_RETRY,
    });
    this.context = new AwsContext(this, 'context', { region: env.region });
    configureBackend(this, { env, stackId: id, stateKey, outdir: App.of(this).outdir });
  }
}

export interface TrackingStackProps {
  /** The resolved environment: region, names, event types and options. */
  readonly env: EnvironmentSpec;
}

/** The single layout: the whole pipeline of one environment in one stack, `tracking-<environment>`. */
export class TrackingStack extends EnvironmentStack {
  public readonly core: EnvironmentCore;
  public readonly group: EventTypeGroup;

  public constructor(scope: Construct, props: TrackingStackProps) {
    const { env } = props;
    super(scope, env.stackId, env, env.backend?.key ?? '');
    const transform = addTransformFunction(this, env, this.context, env.eventTypes, env.transformFunction.functionName);
    this.core = addEnvironmentCore(this, {
      env,
      context: this.context,
      transformFunctionArns: transform !== undefined ? [functionArn(this.context, env.transformFunction.functionName)] : [],
      groupAlarms: {
        eventTypes: env.eventTypes,
        ...(transform !== undefined ? { transformFunction: { functionName: env.transformFunction.functionName, timeoutSeconds: env.transformFunction.timeoutSeconds } } : {}),
      },
    });
    this.group = addEventTypeGroup(
      this,
      {
        env,
        context: this.context,
        eventTypes: env.eventTypes,
        transformFunctionName: env.transformFunction.functionName,
        bucketArn: this.core.bucket.bucket.arn,
        firehoseRoleArn: this.core.firehoseRole.role.arn,
        deliveryLogGroupName: this.core.deliveryLogGroup.logGroup.name,
        glueDatabaseName: this.core.lake.database.name,
        bucketName: this.core.bucket.bucket.bucket,
        dependsOn: this.core.firehoseRole.policies,
        stackId: env.stackId,
      },
      transform,
    );
    addCollectorWriteKeys(this, env);
    // Addresses of the last landed version carried over (no destroy, no re-create).
    const moves = [...legacyEventTypeMoves(env.eventTypes), ...(this.core.alarms?.moves ?? [])];
    if (moves.length > 0) this.addOverride('moved', moves.map((m) => ({ from: m.from, to: m.to })));
    addMoveBlocks(this, env, env.stackId, this.context);
  }
}

/** The sharded layout's core stack, `tracking-<environment>`: everything environment-wide. */
export class CoreStack extends EnvironmentStack {
  public readonly core: EnvironmentCore;
  /** The single layout's transform function, kept while its event types move to shards. */
  public readonly legacyTransform?: NodejsFunction;

  public constructor(scope: Construct, props: TrackingStackProps) {
    const { env } = props;
    super(scope, env.stackId, env, env.backend?.key ?? '');
    const lambda = env.eventTypes.some((t) => t.transform === 'lambda');
    // While the event types move from the single stack to shards (a moves file from this stack), the
    // single stack's transform function stays: streams keep calling it until their shard, applied
    // after the core, points them at the shard's own. Deleting the moves file deletes it.
    const legacy = lambda && movingOutOf(env, env.stackId) ? addTransformFunction(this, env, this.context, env.eventTypes, env.transformFunction.functionName) : undefined;
    this.legacyTransform = legacy;
    this.core = addEnvironmentCore(this, {
      env,
      context: this.context,
      transformFunctionArns: lambda
        ? [shardTransformArnPattern(this.context, env), ...(legacy !== undefined ? [functionArn(this.context, env.transformFunction.functionName)] : [])]
        : [],
    });
    // Likewise the single stack's collector catalog object stays (same address, same content) while
    // the event types move, so that the collector never forgets a type between the core's apply and
    // its shard's.
    if (movingOutOf(env, env.stackId)) addCatalogObject(this, env, { stackId: env.stackId, bucketName: this.core.bucket.bucket.bucket, eventTypes: env.eventTypes });
    addCollectorWriteKeys(this, env, undefined);
    addMoveBlocks(this, env, env.stackId, this.context);
  }
}

export interface ShardStackProps {
  readonly env: EnvironmentSpec;
  readonly shard: ShardSpec;
  /** The environment's core stack: applied first. */
  readonly core: CoreStack;
}

/** One shard of the sharded layout, `tracking-<environment>-<shard>`: its event types only. */
export class ShardStack extends EnvironmentStack {
  public readonly shard: ShardSpec;
  public readonly eventTypes: readonly EventTypeSpec[];
  public readonly group: EventTypeGroup;

  public constructor(scope: Construct, props: ShardStackProps) {
    const { env, shard } = props;
    super(scope, shard.stackId, env, shard.stateKey ?? '');
    this.shard = shard;
    const keys = new Set(shard.eventTypeKeys);
    this.eventTypes = env.eventTypes.filter((t) => keys.has(t.key));
    const transform = addTransformFunction(this, env, this.context, this.eventTypes, shard.transformFunctionName);
    this.group = addEventTypeGroup(
      this,
      {
        env,
        context: this.context,
        eventTypes: this.eventTypes,
        transformFunctionName: shard.transformFunctionName,
        // The core's bucket and role, by the names config/naming gives them.
        bucketArn: this.context.arn('s3', env.bucket.name, { global: true, noAccount: true }),
        firehoseRoleArn: this.context.arn('iam', `role/${env.firehoseRoleName}`, { global: true }),
        deliveryLogGroupName: env.deliveryLogGroupName,
        glueDatabaseName: naming.glueDatabaseName(env.prefix),
        bucketName: env.bucket.name,
        ownAlarms: true,
        stackId: shard.stackId,
      },
      transform,
    );
    addCollectorWriteKeys(this, env, shard.name);
    this.addDependency(props.core);
    addMoveBlocks(this, env, shard.stackId, this.context);
  }
}
