import { KinesisFirehoseDeliveryStream } from '@cdktf/provider-aws/lib/kinesis-firehose-delivery-stream';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import type { EventTypeSpec } from '../config/model';

/**
 * Lambda processor buffer, in MB. Firehose invokes the transform synchronously, and Lambda caps
 * request and response at 6 MB each. The transform never makes an entry larger than its input
 * (output data is at most input + 1 byte, and the response entry drops the arrival timestamp and
 * Kinesis metadata), so the response is bounded by the request. 0.5 MB of raw records is at most
 * ~0.67 MB of base64 plus ~150 bytes of JSON per record: under 6 MB for every record of at least
 * 13 bytes, and the tracker's envelope alone is larger than that. AWS's default (1 MB) would hold
 * only for records of at least ~29 bytes, and setting a value equal to AWS's default makes the
 * provider show a diff on every plan (the API omits default parameters), so this differs on purpose.
 */
export const TRANSFORM_BUFFER_SIZE_MB = '0.5';

/**
 * Terraform address of the streams before they became one resource per event type (the last
 * landed version): `aws_kinesis_firehose_delivery_stream.delivery["<app>/<type>"]`. A stack that
 * had them carries each over with a `moved` block.
 */
export const LEGACY_DELIVERY_STREAMS_LOGICAL_ID = 'delivery';

/** One processor of a delivery stream, as plain data. */
export interface ProcessorSpec {
  readonly type: 'Lambda' | 'AppendDelimiterToRecord';
  readonly parameters: readonly { readonly name: string; readonly value: string }[];
}

/** The per-event-type values of one delivery stream. */
export interface DeliveryStreamInstance {
  readonly name: string;
  readonly prefix: string;
  readonly error_output_prefix: string;
  readonly buffering_size: number;
  readonly buffering_interval: number;
  readonly compression_format: string;
  readonly log_stream_name: string;
  readonly processors: readonly ProcessorSpec[];
  readonly tags: Readonly<Record<string, string>>;
}

export interface DeliveryStreamsProps {
  readonly eventTypes: readonly EventTypeSpec[];
  readonly roleArn: string;
  readonly bucketArn: string;
  readonly logGroupName: string;
  /**
   * ARN of the JSONL transform Lambda; required when an event type uses `transform: lambda`.
   * @default none
   */
  readonly transformFunctionArn?: string;
  /**
   * The log stream of each event type (by key): a stream is created after its own log stream.
   * @default {}
   */
  readonly logStreams?: Readonly<Record<string, ITerraformDependable>>;
  /**
   * Resources every stream needs before it is created, such as the role's policies (Firehose
   * checks its access when a stream is created).
   * @default []
   */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * One Direct PUT delivery stream per event type, each writing to its own prefix of the shared
 * bucket, logging to its own log stream, and transforming records to JSON lines.
 *
 * Each stream is its own resource block, named from its config key
 * (`aws_kinesis_firehose_delivery_stream.web-shop__page_view`): reordering the config changes
 * nothing, adding a type adds one block, Terraform's evaluation stays linear in the number of event
 * types (a large `for_each` was quadratic; docs/decisions.md), and one event type can move to
 * another stack with its own `import` and `removed` blocks.
 */
export class DeliveryStreams extends Construct {
  /** One resource per event type, by event type key. */
  public readonly streams: ReadonlyMap<string, KinesisFirehoseDeliveryStream>;
  /** The values of each stream, keyed by event type key. */
  public readonly instances: Readonly<Record<string, DeliveryStreamInstance>>;

  public constructor(scope: Construct, id: string, props: DeliveryStreamsProps) {
    super(scope, id);
    const instances: Record<string, DeliveryStreamInstance> = {};
    const streams = new Map<string, KinesisFirehoseDeliveryStream>();
    for (const t of props.eventTypes) {
      const v = deliveryStreamInstance(t, props.transformFunctionArn);
      instances[t.key] = v;
      const ownLogStream = props.logStreams?.[t.key];
      const dependsOn = [...(ownLogStream !== undefined ? [ownLogStream] : []), ...(props.dependsOn ?? [])];
      const stream = new KinesisFirehoseDeliveryStream(this, t.resourceName, {
        name: v.name,
        destination: 'extended_s3',
        // Direct PUT streams encrypt at rest with an AWS owned key.
        serverSideEncryption: { enabled: true, keyType: 'AWS_OWNED_CMK' },
        extendedS3Configuration: {
          roleArn: props.roleArn,
          bucketArn: props.bucketArn,
          prefix: v.prefix,
          errorOutputPrefix: v.error_output_prefix,
          bufferingSize: v.buffering_size,
          bufferingInterval: v.buffering_interval,
          compressionFormat: v.compression_format,
          cloudwatchLoggingOptions: { enabled: true, logGroupName: props.logGroupName, logStreamName: v.log_stream_name },
          processingConfiguration: {
            enabled: true,
            processors: v.processors.map((p) => ({
              type: p.type,
              ...(p.parameters.length > 0 ? { parameters: p.parameters.map((x) => ({ parameterName: x.name, parameterValue: x.value })) } : {}),
            })),
          },
        },
        ...(Object.keys(v.tags).length > 0 ? { tags: { ...v.tags } } : {}),
        ...(dependsOn.length > 0 ? { dependsOn } : {}),
      });
      stream.overrideLogicalId(t.resourceName);
      streams.set(t.key, stream);
    }
    this.instances = instances;
    this.streams = streams;
  }
}

/**
 * The values of one event type's stream. Only processor parameters that differ from AWS's
 * defaults are set, in a fixed order, so that plans stay empty after apply.
 */
export function deliveryStreamInstance(t: EventTypeSpec, transformFunctionArn: string | undefined): DeliveryStreamInstance {
  return {
    name: t.deliveryStreamName,
    prefix: t.prefix,
    error_output_prefix: t.errorOutputPrefix,
    buffering_size: t.buffering.sizeMiB,
    buffering_interval: t.buffering.intervalSeconds,
    compression_format: t.compression,
    log_stream_name: t.logStreamName,
    processors: processors(t, transformFunctionArn),
    tags: t.owner !== undefined ? { owner: t.owner } : {},
  };
}

function processors(t: EventTypeSpec, transformFunctionArn: string | undefined): ProcessorSpec[] {
  if (t.transform === 'native') {
    // Firehose's built-in processor appends "\n" to every record; it needs no parameters.
    return [{ type: 'AppendDelimiterToRecord', parameters: [] }];
  }
  if (transformFunctionArn === undefined) {
    throw new Error(`event type ${t.key} uses the lambda transform but no transform function was given`);
  }
  return [
    {
      type: 'Lambda',
      parameters: [
        // Terraform's documented form: the function ARN qualified with $LATEST.
        { name: 'LambdaArn', value: `${transformFunctionArn}:$LATEST` },
        { name: 'BufferSizeInMBs', value: TRANSFORM_BUFFER_SIZE_MB },
      ],
    },
  ];
}
