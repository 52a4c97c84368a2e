import { KinesisFirehoseDeliveryStream } from '@cdktf/provider-aws/lib/kinesis-firehose-delivery-stream';
import { TerraformIterator, type ITerraformDependable } from 'cdktf';
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

/** Terraform address of the streams: `aws_kinesis_firehose_delivery_stream.delivery["<app>/<type>"]`. */
export const DELIVERY_STREAMS_LOGICAL_ID = 'delivery';

/** One processor of a delivery stream, as plain data. */
export interface ProcessorSpec {
  readonly type: 'Lambda' | 'AppendDelimiterToRecord';
  readonly parameters: readonly { readonly name: string; readonly value: string }[];
}

/** The per-event-type values of one delivery stream instance (the `for_each` value). */
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
   * Resources the streams need before they are created: their log streams and the role's
   * policies (Firehose checks its access when a stream is created).
   * @default []
   */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * One Direct PUT delivery stream per event type, each writing to its own prefix of the shared
 * bucket, logging to its own log stream, and transforming records to JSON lines.
 *
 * The streams are one `for_each` resource keyed by `<app>/<type>`: Terraform still manages one
 * stream per event type (`aws_kinesis_firehose_delivery_stream.delivery["web-shop/page_view"]`),
 * the address derives from the config key (so reordering the config changes nothing and adding a
 * type adds one instance), and synth cost no longer grows with one cdktf resource per type.
 */
export class DeliveryStreams extends Construct {
  public readonly streams: KinesisFirehoseDeliveryStream;
  /** The `for_each` values, keyed by event type key. */
  public readonly instances: Readonly<Record<string, DeliveryStreamInstance>>;

  public constructor(scope: Construct, id: string, props: DeliveryStreamsProps) {
    super(scope, id);
    this.instances = Object.fromEntries(
      props.eventTypes.map((t) => [t.key, deliveryStreamInstance(t, props.transformFunctionArn)]),
    );
    const each = TerraformIterator.fromMap(this.instances as Record<string, unknown> as Record<string, never>);

    this.streams = new KinesisFirehoseDeliveryStream(this, 'streams', {
      forEach: each,
      name: each.getString('name'),
      destination: 'extended_s3',
      // Direct PUT streams encrypt at rest with an AWS owned key.
      serverSideEncryption: { enabled: true, keyType: 'AWS_OWNED_CMK' },
      extendedS3Configuration: {
        roleArn: props.roleArn,
        bucketArn: props.bucketArn,
        prefix: each.getString('prefix'),
        errorOutputPrefix: each.getString('error_output_prefix'),
        bufferingSize: each.getNumber('buffering_size'),
        bufferingInterval: each.getNumber('buffering_interval'),
        compressionFormat: each.getString('compression_format'),
        cloudwatchLoggingOptions: {
          enabled: true,
          logGroupName: props.logGroupName,
          logStreamName: each.getString('log_stream_name'),
        },
      },
      tags: each.getStringMap('tags'),
      ...(props.dependsOn && props.dependsOn.length > 0 ? { dependsOn: [...props.dependsOn] } : {}),
    });
    this.streams.overrideLogicalId(DELIVERY_STREAMS_LOGICAL_ID);
    // Processors differ per event type (Lambda or native delimiter), so they are dynamic blocks
    // driven by the instance's `processors` list: Terraform's JSON syntax for `dynamic`.
    this.streams.addOverride('extended_s3_configuration.processing_configuration', {
      enabled: true,
      dynamic: {
        processors: {
          for_each: '${each.value.processors}',
          content: {
            type: '${processors.value.type}',
            dynamic: {
              parameters: {
                for_each: '${processors.value.parameters}',
                content: { parameter_name: '${parameters.value.name}', parameter_value: '${parameters.value.value}' },
              },
            },
          },
        },
      },
    });
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
