import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchLogStream } from '@cdktf/provider-aws/lib/cloudwatch-log-stream';
import { TerraformIterator } from 'cdktf';
import { Construct } from 'constructs';
import type { EventTypeSpec } from '../config/model';

/** Terraform address of the log streams: `aws_cloudwatch_log_stream.delivery["<app>/<type>"]`. */
export const LOG_STREAMS_LOGICAL_ID = 'delivery';

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
 * One log stream per delivery stream, in the environment's delivery log group: one `for_each`
 * resource keyed by `<app>/<type>`, in the stack that holds the event types.
 */
export class DeliveryLogStreams extends Construct {
  /** One instance per event type, keyed by the event type key. */
  public readonly logStreams: CloudwatchLogStream;

  public constructor(scope: Construct, id: string, props: DeliveryLogStreamsProps) {
    super(scope, id);
    const each = TerraformIterator.fromMap(Object.fromEntries(props.eventTypes.map((t) => [t.key, { name: t.logStreamName }])));
    this.logStreams = new CloudwatchLogStream(this, 'streams', {
      forEach: each,
      name: each.getString('name'),
      logGroupName: props.logGroupName,
    });
    this.logStreams.overrideLogicalId(LOG_STREAMS_LOGICAL_ID);
  }
}
