import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchLogStream } from '@cdktf/provider-aws/lib/cloudwatch-log-stream';
import { Construct } from 'constructs';
import type { EventTypeSpec } from '../config/model';

/**
 * Terraform address of the log streams before they became one resource per event type (the last
 * landed version): `aws_cloudwatch_log_stream.delivery["<app>/<type>"]`.
 */
export const LEGACY_LOG_STREAMS_LOGICAL_ID = 'delivery';

export interface DeliveryLogGroupProps {
  /** Log group name, from `config/naming`. */
  readonly logGroupName: string;
  /** Retention in days. */
  readonly retentionDays: number;
}

/**
 * The one log group that receives the delivery errors of every delivery stream of an environment
 * (the environment's single or core stack).
 */
export class DeliveryLogGroup extends Construct {
  public readonly logGroup: CloudwatchLogGroup;

  public constructor(scope: Construct, id: string, props: DeliveryLogGroupProps) {
    super(scope, id);
    this.logGroup = new CloudwatchLogGroup(this, 'log-group', {
      name: props.logGroupName,
      retentionInDays: props.retentionDays,
    });
  }
}

export interface DeliveryLogStreamsProps {
  /** Name of the environment's delivery log group (the group may live in another stack). */
  readonly logGroupName: string;
  /** One log stream is created per event type, named by its `logStreamName`. */
  readonly eventTypes: readonly EventTypeSpec[];
}

/**
 * One log stream per delivery stream, in the environment's delivery log group: one resource per
 * event type (`aws_cloudwatch_log_stream.web-shop__page_view`), in the stack that holds the event type.
 */
export class DeliveryLogStreams extends Construct {
  /** One log stream per event type, by event type key. */
  public readonly logStreams: ReadonlyMap<string, CloudwatchLogStream>;

  public constructor(scope: Construct, id: string, props: DeliveryLogStreamsProps) {
    super(scope, id);
    const streams = new Map<string, CloudwatchLogStream>();
    for (const t of props.eventTypes) {
      const stream = new CloudwatchLogStream(this, t.resourceName, { name: t.logStreamName, logGroupName: props.logGroupName });
      stream.overrideLogicalId(t.resourceName);
      streams.set(t.key, stream);
    }
    this.logStreams = streams;
  }
}
