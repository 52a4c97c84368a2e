import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { App, TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import type { EnvironmentSpec } from '../config/model';
import { Alarms } from '../modules/alarms';
import { AwsContext } from '../modules/aws-context';
import { Dashboard } from '../modules/dashboard';
import { DeliveryLogs } from '../modules/delivery-logs';
import { DeliveryStreams } from '../modules/delivery-stream';
import { EventBucket } from '../modules/event-bucket';
import { FirehoseRole } from '../modules/firehose-role';
import { NodejsFunction } from '../modules/nodejs-function';
import { RootStream } from '../modules/root-stream';
import { configureBackend } from './backend';

export interface TrackingStackProps {
  /** The resolved environment: region, names, event types and options. */
  readonly env: EnvironmentSpec;
}

/**
 * The ingestion pipeline of one environment (stack id `tracking-<environment>`): the shared
 * bucket, the delivery-error logs, the JSONL transform Lambda, the Firehose role and one delivery
 * stream per event type. Optional parts (root stream, alarms) hang off the same stack.
 */
export class TrackingStack extends TerraformStack {
  public readonly env: EnvironmentSpec;
  public readonly provider: AwsProvider;
  public readonly context: AwsContext;
  public readonly bucket: EventBucket;
  public readonly deliveryLogs: DeliveryLogs;
  /** Undefined when every event type uses the native transform. */
  public readonly transformFunction?: NodejsFunction;
  public readonly firehoseRole: FirehoseRole;
  /** One `for_each` instance per event type, keyed by `app/type`. */
  public readonly deliveryStreams: DeliveryStreams;
  /** Undefined unless `rootStream.enabled`. */
  public readonly rootStream?: RootStream;
  /** Undefined when `alarms.enabled` is false. */
  public readonly alarms?: Alarms;
  public readonly dashboard: Dashboard;

  public constructor(scope: Construct, props: TrackingStackProps) {
    const { env } = props;
    super(scope, env.stackId);
    this.env = env;

    this.provider = new AwsProvider(this, 'aws', {
      region: env.region,
      defaultTags: [{ tags: { ...env.tags } }],
      ...(env.account !== undefined ? { allowedAccountIds: [env.account] } : {}),
    });
    this.context = new AwsContext(this, 'context', { region: env.region });
    configureBackend(this, { env, stackId: env.stackId, stateKey: env.backend?.key ?? '', outdir: App.of(this).outdir });

    this.bucket = new EventBucket(this, 'events-bucket', { spec: env.bucket });

    this.deliveryLogs = new DeliveryLogs(this, 'delivery-logs', {
      logGroupName: env.deliveryLogGroupName,
      retentionDays: env.logRetentionDays,
      eventTypes: env.eventTypes,
    });

    if (env.eventTypes.some((t) => t.transform === 'lambda')) {
      this.transformFunction = new NodejsFunction(this, 'jsonl-transform', {
        source: 'jsonl-transform',
        functionName: env.transformFunction.functionName,
        description: 'Turns Firehose records into JSON lines; bad records go to the error prefix',
        context: this.context,
        logRetentionDays: env.logRetentionDays,
        memoryMiB: env.transformFunction.memoryMiB,
        timeoutSeconds: env.transformFunction.timeoutSeconds,
      });
    }
    const transformArn = this.transformFunction?.function.arn;

    this.firehoseRole = new FirehoseRole(this, 'firehose-role', {
      roleName: env.firehoseRoleName,
      context: this.context,
      prefix: env.prefix,
      bucketArn: this.bucket.bucket.arn,
      logGroupArn: this.deliveryLogs.logGroup.arn,
      ...(transformArn !== undefined ? { transformFunctionArn: transformArn } : {}),
      ...(env.bucket.kmsKeyArn !== undefined ? { bucketKmsKeyArn: env.bucket.kmsKeyArn } : {}),
    });

    this.deliveryStreams = new DeliveryStreams(this, 'delivery-streams', {
      eventTypes: env.eventTypes,
      roleArn: this.firehoseRole.role.arn,
      bucketArn: this.bucket.bucket.arn,
      logGroupName: env.deliveryLogGroupName,
      ...(transformArn !== undefined ? { transformFunctionArn: transformArn } : {}),
      dependsOn: [this.deliveryLogs.logStreams, ...this.firehoseRole.policies],
    });

    if (env.rootStream.enabled) {
      this.rootStream = new RootStream(this, 'root-stream', {
        env,
        context: this.context,
        bucketName: this.bucket.bucket.bucket,
        bucketArn: this.bucket.bucket.arn,
        ...(env.bucket.kmsKeyArn !== undefined ? { bucketKmsKeyArn: env.bucket.kmsKeyArn } : {}),
      });
    }

    if (env.alarms.enabled) this.alarms = new Alarms(this, 'alarms', { env, context: this.context });
    this.dashboard = new Dashboard(this, 'dashboard', { env });

    new TerraformOutput(this, 'bucket-name', {
      value: this.bucket.bucket.bucket,
      description: 'The shared events bucket',
    });
    new TerraformOutput(this, 'delivery-stream-names', {
      value: Object.fromEntries(env.eventTypes.map((t) => [t.key, t.deliveryStreamName])),
      description: 'Delivery stream name of each event type, keyed by "<application>/<eventType>"',
    });
  }
}
