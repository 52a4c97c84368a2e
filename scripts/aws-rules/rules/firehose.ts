/**
 * Firehose delivery streams: buffering hints within the API's ranges, processors with valid
 * parameters, and a Lambda processor buffer whose request fits Lambda's 6 MB synchronous payload.
 */
import { allOf, configured, isObj, list, num, str, type Finding, type Rule, type RuleSource } from '../engine';
import type { StateResource } from '../state';

const BUFFERING_HINTS: RuleSource = {
  title: 'Amazon Data Firehose API Reference: BufferingHints (SizeInMBs 1-128, IntervalInSeconds 0-900)',
  url: 'https://docs.aws.amazon.com/firehose/latest/APIReference/API_BufferingHints.html',
};
const PROCESSOR: RuleSource = {
  title: 'Amazon Data Firehose API Reference: Processor (Type) and ProcessorParameter (ParameterName values; BufferSizeInMBs 0.2-3 MB; ParameterValue 1-5120 characters)',
  url: 'https://docs.aws.amazon.com/firehose/latest/APIReference/API_ProcessorParameter.html',
};
const TRANSFORMATION: RuleSource = {
  title:
    'Amazon Data Firehose Developer Guide: Transform source data (Lambda buffering size 0.2-3 MB, interval 0-900 s; ' +
    'the synchronous invocation is limited to 6 MB for the request and the response)',
  url: 'https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html',
};
const LAMBDA_QUOTAS: RuleSource = {
  title: 'AWS Lambda Developer Guide: Lambda quotas (invocation payload: 6 MB each for request and response, synchronous)',
  url: 'https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html',
};

export const BUFFER_SIZE_MIB = { min: 1, max: 128 } as const;
export const BUFFER_INTERVAL_S = { min: 0, max: 900 } as const;
export const PROCESSOR_BUFFER_MB = { min: 0.2, max: 3, default: 1 } as const;
export const PROCESSOR_INTERVAL_S = { min: 0, max: 900 } as const;
export const PROCESSOR_TYPES: ReadonlySet<string> = new Set([
  'RecordDeAggregation',
  'Decompression',
  'CloudWatchLogProcessing',
  'Lambda',
  'MetadataExtraction',
  'AppendDelimiterToRecord',
]);
export const PROCESSOR_PARAMETER_NAMES: ReadonlySet<string> = new Set([
  'LambdaArn',
  'NumberOfRetries',
  'MetadataExtractionQuery',
  'JsonParsingEngine',
  'RoleArn',
  'BufferSizeInMBs',
  'BufferIntervalInSeconds',
  'SubRecordType',
  'Delimiter',
  'CompressionFormat',
  'DataMessageExtraction',
]);
/** Lambda's synchronous invocation payload limit (request), counted as 6,000,000 bytes to stay on the safe side of "6 MB". */
export const LAMBDA_SYNC_PAYLOAD_BYTES = 6_000_000;
/**
 * JSON around each record of Firehose's request to a Lambda processor:
 * `{"recordId":"<56 characters>","approximateArrivalTimestamp":<13 digits>,"data":"<base64>"},` is 126 bytes besides the data.
 */
export const REQUEST_BYTES_PER_RECORD = 126;
/** `"kinesisRecordMetadata":{...}` added to each record when the stream reads a Kinesis stream (sequence number, shard id, partition key of 1+). */
export const KINESIS_METADATA_BYTES_PER_RECORD = 220;

const LAMBDA_ARN = /^arn:aws[a-zA-Z0-9-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(?::(?:\$LATEST|\d+|[A-Za-z0-9_-]{1,128}))?$/;

/**
 * The largest request Firehose sends a Lambda processor: the buffer in base64, plus the JSON of
 * each record, at the smallest record size producers send.
 */
export function worstCaseRequestBytes(bufferMb: number, minRecordBytes: number, kinesisSource: boolean): number {
  const raw = bufferMb * 1024 * 1024;
  const records = Math.ceil(raw / minRecordBytes);
  const base64PerRecord = Math.ceil(minRecordBytes / 3) * 4;
  return records * (base64PerRecord + REQUEST_BYTES_PER_RECORD + (kinesisSource ? KINESIS_METADATA_BYTES_PER_RECORD : 0));
}

function hasS3(r: StateResource): boolean {
  return isObj(Array.isArray(r.values.extended_s3_configuration) ? r.values.extended_s3_configuration[0] : undefined);
}

export const buffering: Rule = {
  id: 'firehose-buffering',
  family: 'firehose',
  title: 'Delivery stream buffering hints within the API\'s ranges: size 1-128 MiB, interval 0-900 s',
  sources: [BUFFERING_HINTS],
  check(ctx): Finding[] {
    const out: Finding[] = [];
    for (const { stack, r } of allOf(ctx.stacks, 'aws_kinesis_firehose_delivery_stream')) {
      if (!hasS3(r)) continue;
      const size = num(r, ['extended_s3_configuration', 0, 'buffering_size']);
      const interval = num(r, ['extended_s3_configuration', 0, 'buffering_interval']);
      if (size !== undefined && (size < BUFFER_SIZE_MIB.min || size > BUFFER_SIZE_MIB.max || !Number.isInteger(size))) {
        out.push({ stack, address: r.address, message: `buffering_size ${size} MiB is outside ${BUFFER_SIZE_MIB.min}-${BUFFER_SIZE_MIB.max} (whole MiB)`, value: size });
      }
      if (interval !== undefined && (interval < BUFFER_INTERVAL_S.min || interval > BUFFER_INTERVAL_S.max || !Number.isInteger(interval))) {
        out.push({ stack, address: r.address, message: `buffering_interval ${interval} s is outside ${BUFFER_INTERVAL_S.min}-${BUFFER_INTERVAL_S.max} (whole seconds)`, value: interval });
      }
    }
    return out;
  },
};

export const processors: Rule = {
  id: 'firehose-processor',
  family: 'firehose',
  title:
    'Delivery stream processors with valid parameters (Lambda: a function ARN, BufferSizeInMBs 0.2-3, BufferIntervalInSeconds 0-900, NumberOfRetries a whole number), ' +
    "and a Lambda processor buffer whose request fits Lambda's 6 MB synchronous payload at the smallest record producers send",
  sources: [PROCESSOR, TRANSFORMATION, LAMBDA_QUOTAS],
  check(ctx): Finding[] {
    const out: Finding[] = [];
    for (const { stack, r } of allOf(ctx.stacks, 'aws_kinesis_firehose_delivery_stream')) {
      if (!hasS3(r)) continue;
      const base = ['extended_s3_configuration', 0, 'processing_configuration', 0] as const;
      if (configured(r, [...base, 'enabled']) === false) continue;
      const kinesisSource = list(r, ['kinesis_source_configuration']).length > 0;
      list(r, [...base, 'processors']).forEach((_p, i) => {
        const type = str(r, [...base, 'processors', i, 'type']);
        const report = (message: string, value: unknown): void => {
          out.push({ stack, address: r.address, message: `processor ${i} (${type ?? '?'}): ${message}`, value });
        };
        if (type !== undefined && !PROCESSOR_TYPES.has(type)) report(`type ${JSON.stringify(type)} is not a Firehose processor type`, type);
        const params = new Map<string, string>();
        list(r, [...base, 'processors', i, 'parameters']).forEach((_x, j) => {
          const name = str(r, [...base, 'processors', i, 'parameters', j, 'parameter_name']);
          const value = str(r, [...base, 'processors', i, 'parameters', j, 'parameter_value']);
          if (name === undefined) return;
          if (!PROCESSOR_PARAMETER_NAMES.has(name)) report(`parameter ${JSON.stringify(name)} is not a processor parameter`, name);
          if (value === undefined || value.trim() === '' || value.length > 5120) report(`parameter ${name} needs a value of 1-5120 characters, not blank`, value);
          if (params.has(name)) report(`parameter ${name} is set twice`, value);
          if (value !== undefined) params.set(name, value);
        });
        if (type !== 'Lambda') return;
        const arn = params.get('LambdaArn');
        if (arn === undefined) report('a Lambda processor needs a LambdaArn parameter', null);
        else if (!LAMBDA_ARN.test(arn)) report(`LambdaArn ${JSON.stringify(arn)} is not a Lambda function ARN`, arn);
        const sizeText = params.get('BufferSizeInMBs');
        const size = sizeText !== undefined ? Number(sizeText) : PROCESSOR_BUFFER_MB.default;
        if (!Number.isFinite(size) || size < PROCESSOR_BUFFER_MB.min || size > PROCESSOR_BUFFER_MB.max) {
          report(`BufferSizeInMBs ${JSON.stringify(sizeText)} is outside ${PROCESSOR_BUFFER_MB.min}-${PROCESSOR_BUFFER_MB.max}`, sizeText);
        } else {
          const bytes = worstCaseRequestBytes(size, ctx.options.firehoseMinRecordBytes, kinesisSource);
          if (bytes > LAMBDA_SYNC_PAYLOAD_BYTES) {
            report(
              `a ${size} MB buffer${sizeText === undefined ? " (Firehose's default)" : ''} of ${ctx.options.firehoseMinRecordBytes}-byte records makes a ${bytes.toLocaleString('en-US')}-byte ` +
                `request (base64 plus ${REQUEST_BYTES_PER_RECORD}${kinesisSource ? ` + ${KINESIS_METADATA_BYTES_PER_RECORD}` : ''} bytes of JSON per record), over Lambda's ` +
                `${LAMBDA_SYNC_PAYLOAD_BYTES.toLocaleString('en-US')}-byte synchronous payload: every such invocation fails`,
              { BufferSizeInMBs: sizeText ?? null, requestBytes: bytes },
            );
          }
        }
        const interval = params.get('BufferIntervalInSeconds');
        if (interval !== undefined) {
          const n = Number(interval);
          if (!Number.isInteger(n) || n < PROCESSOR_INTERVAL_S.min || n > PROCESSOR_INTERVAL_S.max) {
            report(`BufferIntervalInSeconds ${JSON.stringify(interval)} is outside ${PROCESSOR_INTERVAL_S.min}-${PROCESSOR_INTERVAL_S.max} (whole seconds)`, interval);
          }
        }
        const retries = params.get('NumberOfRetries');
        if (retries !== undefined && !/^\d+$/.test(retries)) report(`NumberOfRetries ${JSON.stringify(retries)} is not a whole number`, retries);
      });
    }
    return out;
  },
};

export const FIREHOSE_RULES: readonly Rule[] = [buffering, processors];
