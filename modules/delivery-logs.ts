import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchLogStream } from '@cdktf/provider-aws/lib/cloudwatch-log-stream';
import { TerraformIterator } from 'cdktf';
import { Construct } from 'constructs';
import type { EventTypeSpec } from '../config/model';

/** Terraform address of the log streams: `aws_cloudwatch_log_stream.delivery["<app>/<type>"]`. */
export const LOG_STREAMS_LOGICAL_ID = 'delivery';

export interface DeliveryLogsProps {
  /** Log group name, from `config/naming`. */
  readonly logGroupName: string;
  /** Retention in days. */
  readonly retentionDays: number;
  /** One log stream is created per event type, named by its `logStreamName`. */
  readonly eventTypes: readonly EventTypeSpec[];
}

/**
 * One log group for the delivery errors of every delivery stream, and one log stream per
 * delivery stream. The log streams are one `for_each` resource keyed by `<app>/<type>`.
 */
export class DeliveryLogs extends Construct {
  public readonly logGroup: CloudwatchLogGroup;
  /** One instance per event type, keyed by the event type key. */
  public readonly logStreams: CloudwatchLogStream;

  public constructor(scope: Construct, id: string, props: DeliveryLogsProps) {
    super(scope, id);
    this.logGroup = new CloudwatchLogGroup(this, 'log-group', {
      name: props.logGroupName,
      retentionInDays: props.retentionDays,
    });
    const each = TerraformIterator.fromMap(
      Object.fromEntries(props.eventTypes.map((t) => [t.key, { name: t.logStreamName }])),
    );
    this.logStreams = new CloudwatchLogStream(this, 'streams', {
      forEach: each,
      name: each.getString('name'),
      logGroupName: this.logGroup.name,
    });
    this.logStreams.overrideLogicalId(LOG_STREAMS_LOGICAL_ID);
  }
}
