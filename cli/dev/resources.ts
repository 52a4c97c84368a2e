/**
 * The local model of one environment, read from the evaluated resources (./evaluate.ts) and wired
 * by what Terraform resolved: a delivery stream's processor is the function whose `arn` its
 * `LambdaArn` parameter names, a mapping's source is the stream whose `arn` is its
 * `event_source_arn`, and so on. Nothing here is derived from the config or the TypeScript's
 * intent; a reference that matches no resource, or more than one, is an error naming it.
 *
 * Settings the runtime does not model (a Firehose destination other than S3, dynamic
 * partitioning, format conversion, a compression it cannot write) are refused here, with the
 * resource and the value, instead of being run unfaithfully. docs/local.md lists them.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { EvaluatedResource, EvaluatedStack, EvaluationContext } from './evaluate';
import { LocalModelError } from './errors';
import type { LakeTable } from './layout';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A nested block of the state: the provider writes single blocks as one-element lists. */
function block(v: unknown): Json | undefined {
  if (Array.isArray(v)) return isObj(v[0]) ? v[0] : undefined;
  return isObj(v) ? v : undefined;
}
function blocks(v: unknown): Json[] {
  if (Array.isArray(v)) return v.filter(isObj);
  return isObj(v) ? [v] : [];
}
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined);

export interface LocalBucket {
  readonly address: string;
  readonly name: string;
  readonly arn: string;
}

export interface LocalObject {
  readonly address: string;
  readonly bucket: string;
  readonly key: string;
  readonly body: Buffer;
  readonly contentType?: string;
  readonly contentEncoding?: string;
  readonly cacheControl?: string;
}

export interface LocalFunction {
  readonly address: string;
  readonly name: string;
  readonly arn: string;
  readonly handler: string;
  readonly runtime: string;
  readonly timeoutSeconds: number;
  readonly memoryMiB: number;
  readonly environment: Readonly<Record<string, string>>;
  /** The zip Terraform would upload (absolute). */
  readonly zipFile: string;
  readonly sourceCodeHash: string;
  readonly reservedConcurrency?: number;
  readonly logGroup: string;
  readonly role?: string;
}

export interface LocalAlias {
  readonly address: string;
  readonly name: string;
  readonly arn: string;
  readonly function: LocalFunction;
  readonly functionVersion: string;
}

/** A function as something invokes it: the function and the qualifier of the ARN it was invoked by. */
export interface InvokeTarget {
  readonly function: LocalFunction;
  /** Alias name, version, or undefined for the unqualified ARN. */
  readonly qualifier?: string;
  /** The ARN the caller names (context.invokedFunctionArn). */
  readonly invokedArn: string;
  /** The version the qualifier resolves to ($LATEST for an alias of $LATEST). */
  readonly executedVersion: string;
}

export interface LocalStream {
  readonly address: string;
  readonly name: string;
  readonly arn: string;
  readonly shardCount: number;
  readonly retentionHours: number;
}

export type LocalProcessor =
  | {
      readonly type: 'Lambda';
      readonly target: InvokeTarget;
      readonly bufferSizeMiB: number;
      readonly bufferIntervalSeconds: number;
      readonly numberOfRetries: number;
    }
  | { readonly type: 'AppendDelimiterToRecord'; readonly delimiter: Buffer };

export type Compression = 'UNCOMPRESSED' | 'GZIP';

export interface LocalDeliveryStream {
  readonly address: string;
  readonly name: string;
  readonly arn: string;
  readonly bucket: LocalBucket;
  readonly bufferingSizeMiB: number;
  readonly bufferingIntervalSeconds: number;
  readonly compression: Compression;
  readonly prefix: string;
  readonly errorOutputPrefix: string;
  readonly fileExtension?: string;
  readonly processors: readonly LocalProcessor[];
}

export interface LocalMapping {
  readonly address: string;
  readonly uuid: string;
  readonly stream: LocalStream;
  readonly target: InvokeTarget;
  readonly batchSize: number;
  readonly batchingWindowSeconds: number;
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';
  readonly startingTimestamp?: string;
  /** Filter patterns (ORed), or undefined without filter criteria. */
  readonly filters?: readonly string[];
  readonly tumblingWindowSeconds?: number;
  readonly reportBatchItemFailures: boolean;
  readonly bisectOnError: boolean;
  /** -1: until the record expires. */
  readonly maximumRetryAttempts: number;
  /** -1: until the stream's retention. */
  readonly maximumRecordAgeSeconds: number;
  readonly parallelizationFactor: number;
  readonly onFailure?: { readonly kind: 'sqs' | 'sns'; readonly arn: string };
  readonly enabled: boolean;
}

export interface LocalQueue {
  readonly address: string;
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  readonly fifo: boolean;
}

export interface LocalTopic {
  readonly address: string;
  readonly name: string;
  readonly arn: string;
}

export interface LocalParameter {
  readonly address: string;
  readonly name: string;
  readonly type: string;
  readonly value: string;
  readonly arn: string;
  readonly version: number;
}

export interface LocalTable {
  readonly address: string;
  readonly name: string;
  readonly arn: string;
  readonly hashKey: string;
  readonly rangeKey?: string;
  readonly attributes: readonly { readonly name: string; readonly type: string }[];
  readonly globalSecondaryIndexes: readonly { readonly name: string; readonly hashKey: string; readonly rangeKey?: string; readonly projectionType: string }[];
  readonly ttlAttribute?: string;
}

export interface LocalRoute {
  readonly routeKey: string;
  readonly target: InvokeTarget;
  readonly payloadFormatVersion: string;
  readonly timeoutMs: number;
}

export interface LocalHttpApi {
  readonly address: string;
  readonly name: string;
  readonly id: string;
  readonly routes: readonly LocalRoute[];
  /** Headers the edge in front of the API adds to every request it forwards (CloudFront origin custom headers). */
  readonly originHeaders: Readonly<Record<string, string>>;
}

export interface LocalSchedule {
  readonly address: string;
  readonly name: string;
  readonly expression: string;
  readonly targets: readonly { readonly target: InvokeTarget; readonly input?: string }[];
}

export interface LocalEnvironment {
  readonly context: EvaluationContext;
  readonly stacks: readonly EvaluatedStack[];
  readonly buckets: readonly LocalBucket[];
  readonly objects: readonly LocalObject[];
  readonly functions: readonly LocalFunction[];
  readonly aliases: readonly LocalAlias[];
  readonly streams: readonly LocalStream[];
  readonly deliveryStreams: readonly LocalDeliveryStream[];
  readonly mappings: readonly LocalMapping[];
  readonly queues: readonly LocalQueue[];
  readonly topics: readonly LocalTopic[];
  readonly parameters: readonly LocalParameter[];
  readonly tables: readonly LocalTable[];
  readonly httpApis: readonly LocalHttpApi[];
  readonly schedules: readonly LocalSchedule[];
  readonly glueTables: readonly LakeTable[];
}

interface Located extends EvaluatedResource {
  readonly stack: EvaluatedStack;
}

/** Parses `arn:<p>:lambda:<r>:<a>:function:<name>[:<qualifier>]` into the unqualified ARN and the qualifier. */
export function splitFunctionArn(arn: string): { readonly base: string; readonly qualifier?: string } | undefined {
  const m = /^(arn:[^:]+:lambda:[^:]+:[^:]+:function:[^:]+)(?::([^:]+))?$/.exec(arn);
  if (m === null) return undefined;
  return m[2] !== undefined ? { base: m[1]!, qualifier: m[2] } : { base: m[1]! };
}

/** The function ARN inside an API Gateway invoke ARN (`arn:...:apigateway:<r>:lambda:path/2015-03-31/functions/<fn>/invocations`). */
function fromInvokeArn(uri: string): string | undefined {
  const m = /^arn:[^:]+:apigateway:[^:]+:lambda:path\/[^/]+\/functions\/(.+)\/invocations$/.exec(uri);
  return m?.[1];
}

/** Reads the local model from the evaluated stacks of one environment. */
export function localEnvironment(stacks: readonly EvaluatedStack[]): LocalEnvironment {
  if (stacks.length === 0) throw new LocalModelError('no stacks to run');
  const all: Located[] = stacks.flatMap((s) => s.resources.map((r) => ({ ...r, stack: s })));
  const ofType = (type: string): Located[] => all.filter((r) => r.type === type);
  const where = (r: Located, attr: string): string => `${r.stack.id}: ${r.address}.${attr}`;

  const need = (r: Located, attr: string, value: unknown = r.values[attr]): string => {
    const s = str(value);
    if (s === undefined) throw new LocalModelError(`${where(r, attr)} has no value after the mock apply; the local runtime needs it`);
    return s;
  };

  /** The one resource of `candidates` whose `attr` equals `value`. */
  const byValue = <T extends { readonly address: string }>(kind: string, candidates: readonly T[], get: (c: T) => string | undefined, value: string, from: string): T => {
    const hits = candidates.filter((c) => get(c) === value);
    if (hits.length === 1) return hits[0]!;
    if (hits.length === 0) throw new LocalModelError(`${from} is ${JSON.stringify(value)}, which is no ${kind} of the environment`);
    throw new LocalModelError(
      `${from} is ${JSON.stringify(value)}, which ${hits.length} ${kind}s share (${hits.map((h) => h.address).join(', ')}); the mock apply gave them one value, so the reference cannot be wired`,
    );
  };

  // Buckets and objects ---------------------------------------------------------------------
  const buckets: LocalBucket[] = ofType('aws_s3_bucket').map((r) => ({ address: r.address, name: need(r, 'bucket'), arn: need(r, 'arn') }));
  const objects: LocalObject[] = ofType('aws_s3_object').map((r) => {
    const v = r.values;
    let body: Buffer;
    if (typeof v.content_base64 === 'string') body = Buffer.from(v.content_base64, 'base64');
    else if (typeof v.content === 'string') body = Buffer.from(v.content, 'utf8');
    else if (typeof v.source === 'string') body = readFileSync(path.resolve(r.stack.dir, v.source));
    else throw new LocalModelError(`${where(r, 'content')}: the object has no content, content_base64 or source`);
    return {
      address: r.address,
      bucket: need(r, 'bucket'),
      key: need(r, 'key'),
      body,
      ...(str(v.content_type) !== undefined ? { contentType: str(v.content_type)! } : {}),
      ...(str(v.content_encoding) !== undefined ? { contentEncoding: str(v.content_encoding)! } : {}),
      ...(str(v.cache_control) !== undefined ? { cacheControl: str(v.cache_control)! } : {}),
    };
  });

  // Functions and aliases ----------------------------------------------------------------------
  const functions: LocalFunction[] = ofType('aws_lambda_function').map((r) => {
    const v = r.values;
    const filename = need(r, 'filename');
    const env = block(v.environment);
    const variables: Record<string, string> = {};
    for (const [k, val] of Object.entries(isObj(env?.variables) ? env.variables : {})) variables[k] = String(val);
    const logging = block(v.logging_config);
    const name = need(r, 'function_name');
    const reserved = num(v.reserved_concurrent_executions);
    return {
      address: r.address,
      name,
      arn: need(r, 'arn'),
      handler: need(r, 'handler'),
      runtime: need(r, 'runtime'),
      // Lambda's defaults: 3 seconds, 128 MB (CreateFunction: Timeout, MemorySize).
      timeoutSeconds: num(v.timeout) ?? 3,
      memoryMiB: num(v.memory_size) ?? 128,
      environment: variables,
      zipFile: path.resolve(r.stack.dir, filename),
      sourceCodeHash: need(r, 'source_code_hash'),
      ...(reserved !== undefined && reserved >= 0 ? { reservedConcurrency: reserved } : {}),
      logGroup: str(logging?.log_group) ?? `/aws/lambda/${name}`,
      ...(str(v.role) !== undefined ? { role: str(v.role)! } : {}),
    };
  });
  const aliases: LocalAlias[] = ofType('aws_lambda_alias').map((r) => {
    const ref = need(r, 'function_name');
    const fnArn = splitFunctionArn(ref)?.base;
    const fn = fnArn !== undefined ? byValue('function', functions, (f) => f.arn, fnArn, where(r, 'function_name')) : byValue('function', functions, (f) => f.name, ref, where(r, 'function_name'));
    return { address: r.address, name: need(r, 'name'), arn: need(r, 'arn'), function: fn, functionVersion: str(r.values.function_version) ?? '$LATEST' };
  });

  /** What a function reference (name, ARN, qualified ARN, alias ARN, invoke ARN) invokes. */
  const invokeTarget = (ref: string, from: string): InvokeTarget => {
    const inner = fromInvokeArn(ref) ?? ref;
    const alias = aliases.filter((a) => a.arn === inner);
    if (alias.length === 1) {
      const a = alias[0]!;
      return { function: a.function, qualifier: a.name, invokedArn: a.arn, executedVersion: a.functionVersion };
    }
    const split = splitFunctionArn(inner);
    if (split === undefined) {
      const fn = byValue('function', functions, (f) => f.name, inner, from);
      return { function: fn, invokedArn: fn.arn, executedVersion: '$LATEST' };
    }
    const fn = byValue('function', functions, (f) => f.arn, split.base, from);
    if (split.qualifier === undefined || split.qualifier === '$LATEST') {
      return { function: fn, ...(split.qualifier !== undefined ? { qualifier: split.qualifier } : {}), invokedArn: inner, executedVersion: '$LATEST' };
    }
    const named = aliases.filter((a) => a.function === fn && a.name === split.qualifier);
    if (named.length === 1) return { function: fn, qualifier: split.qualifier, invokedArn: inner, executedVersion: named[0]!.functionVersion };
    if (/^\d+$/.test(split.qualifier)) {
      throw new LocalModelError(`${from} names version ${split.qualifier} of ${fn.name}; the local runtime runs the synthesized code as $LATEST and does not model published versions`);
    }
    throw new LocalModelError(`${from} names alias ${split.qualifier} of ${fn.name}, which the environment does not define`);
  };

  // Kinesis streams ----------------------------------------------------------------------------
  const streams: LocalStream[] = ofType('aws_kinesis_stream').map((r) => {
    const mode = str(block(r.values.stream_mode_details)?.stream_mode) ?? 'PROVISIONED';
    const shards = num(r.values.shard_count);
    // On-demand streams start with 4 shards ("a default write capacity of 4 MB/s", Kinesis
    // developer guide, "Choose the data stream capacity mode").
    const shardCount = mode === 'ON_DEMAND' ? 4 : (shards ?? 1);
    return { address: r.address, name: need(r, 'name'), arn: need(r, 'arn'), shardCount, retentionHours: num(r.values.retention_period) ?? 24 };
  });

  // Queues, topics, parameters, tables -------------------------------------------------------
  const queues: LocalQueue[] = ofType('aws_sqs_queue').map((r) => ({
    address: r.address,
    name: need(r, 'name'),
    url: need(r, 'url'),
    arn: need(r, 'arn'),
    fifo: r.values.fifo_queue === true,
  }));
  const topics: LocalTopic[] = ofType('aws_sns_topic').map((r) => ({ address: r.address, name: need(r, 'name'), arn: need(r, 'arn') }));
  const parameters: LocalParameter[] = ofType('aws_ssm_parameter').map((r) => {
    // `insecure_value` and `value` are alternatives; the one the configuration set is the value.
    const value = typeof r.values.insecure_value === 'string' ? r.values.insecure_value : typeof r.values.value === 'string' ? r.values.value : undefined;
    if (value === undefined) throw new LocalModelError(`${where(r, 'value')}: the parameter has no value`);
    return { address: r.address, name: need(r, 'name'), type: str(r.values.type) ?? 'String', value, arn: str(r.values.arn) ?? '', version: 1 };
  });
  const tables: LocalTable[] = ofType('aws_dynamodb_table').map((r) => {
    const v = r.values;
    const ttl = block(v.ttl);
    return {
      address: r.address,
      name: need(r, 'name'),
      arn: str(v.arn) ?? '',
      hashKey: need(r, 'hash_key'),
      ...(str(v.range_key) !== undefined ? { rangeKey: str(v.range_key)! } : {}),
      attributes: blocks(v.attribute).map((a) => ({ name: String(a.name), type: String(a.type) })),
      globalSecondaryIndexes: blocks(v.global_secondary_index).map((g) => ({
        name: String(g.name),
        hashKey: String(g.hash_key),
        ...(str(g.range_key) !== undefined ? { rangeKey: str(g.range_key)! } : {}),
        projectionType: str(g.projection_type) ?? 'ALL',
      })),
      ...(ttl?.enabled === true && str(ttl.attribute_name) !== undefined ? { ttlAttribute: str(ttl.attribute_name)! } : {}),
    };
  });

  // Firehose delivery streams ---------------------------------------------------------------
  const deliveryStreams: LocalDeliveryStream[] = ofType('aws_kinesis_firehose_delivery_stream').map((r) => {
    const v = r.values;
    const name = need(r, 'name');
    const destination = need(r, 'destination');
    if (destination !== 'extended_s3') {
      throw new LocalModelError(`${where(r, 'destination')} is ${JSON.stringify(destination)}; the local runtime delivers to S3 only (extended_s3)`);
    }
    if (block(v.kinesis_source_configuration) !== undefined || block(v.msk_source_configuration) !== undefined) {
      throw new LocalModelError(`${where(r, 'kinesis_source_configuration')}: the local runtime models Direct PUT delivery streams only`);
    }
    const s3 = block(v.extended_s3_configuration);
    if (s3 === undefined) throw new LocalModelError(`${where(r, 'extended_s3_configuration')} is missing`);
    const at = (attr: string): string => `${where(r, 'extended_s3_configuration')}.${attr}`;
    if (block(s3.dynamic_partitioning_configuration)?.enabled === true) throw new LocalModelError(`${at('dynamic_partitioning_configuration')}: dynamic partitioning is not modelled locally`);
    if (block(s3.data_format_conversion_configuration)?.enabled !== undefined && block(s3.data_format_conversion_configuration)?.enabled !== false) {
      throw new LocalModelError(`${at('data_format_conversion_configuration')}: record format conversion is not modelled locally`);
    }
    if (str(s3.custom_time_zone) !== undefined && str(s3.custom_time_zone) !== 'UTC') {
      throw new LocalModelError(`${at('custom_time_zone')} is ${JSON.stringify(s3.custom_time_zone)}; the local runtime evaluates prefixes in UTC only`);
    }
    const bucketArn = str(s3.bucket_arn);
    if (bucketArn === undefined) throw new LocalModelError(`${at('bucket_arn')} has no value`);
    const bucket = byValue('bucket', buckets, (b) => b.arn, bucketArn, at('bucket_arn'));
    const compression = str(s3.compression_format) ?? 'UNCOMPRESSED';
    if (compression !== 'UNCOMPRESSED' && compression !== 'GZIP') {
      throw new LocalModelError(`${at('compression_format')} is ${compression}; the local runtime writes UNCOMPRESSED and GZIP objects only`);
    }
    const processing = block(s3.processing_configuration);
    const processors: LocalProcessor[] = [];
    if (processing?.enabled === true) {
      for (const p of blocks(processing.processors)) {
        const params = new Map(blocks(p.parameters).map((x) => [String(x.parameter_name), String(x.parameter_value)]));
        const type = String(p.type);
        if (type === 'Lambda') {
          const lambdaArn = params.get('LambdaArn');
          if (lambdaArn === undefined) throw new LocalModelError(`${at('processing_configuration')}: a Lambda processor without LambdaArn`);
          // Defaults: 1 MB, 60 seconds, 3 retries (Firehose API Reference, ProcessorParameter;
          // developer guide, "Transform source data in Amazon Data Firehose").
          processors.push({
            type: 'Lambda',
            target: invokeTarget(lambdaArn, `${at('processing_configuration')} LambdaArn`),
            bufferSizeMiB: num(params.get('BufferSizeInMBs')) ?? 1,
            bufferIntervalSeconds: num(params.get('BufferIntervalInSeconds')) ?? 60,
            numberOfRetries: num(params.get('NumberOfRetries')) ?? 3,
          });
        } else if (type === 'AppendDelimiterToRecord') {
          // "You don't have to put a processor parameter when you select AppendDelimiterToRecord": a new line by default.
          const d = params.get('Delimiter');
          // A Delimiter written as the two characters `\n` (as CloudFormation examples do) is a new line too.
          processors.push({ type: 'AppendDelimiterToRecord', delimiter: Buffer.from(d === undefined || d === '\\n' ? '\n' : d, 'utf8') });
        } else {
          throw new LocalModelError(`${at('processing_configuration')}: processor type ${type} is not modelled locally (Lambda and AppendDelimiterToRecord are)`);
        }
      }
    }
    return {
      address: r.address,
      name,
      arn: need(r, 'arn'),
      bucket,
      // BufferingHints defaults: 5 MiB, 300 seconds (Firehose API Reference, BufferingHints).
      bufferingSizeMiB: num(s3.buffering_size) ?? 5,
      bufferingIntervalSeconds: num(s3.buffering_interval) ?? 300,
      compression,
      prefix: typeof s3.prefix === 'string' ? s3.prefix : '',
      errorOutputPrefix: typeof s3.error_output_prefix === 'string' ? s3.error_output_prefix : '',
      ...(str(s3.file_extension) !== undefined ? { fileExtension: str(s3.file_extension)! } : {}),
      processors,
    };
  });

  // Event source mappings ---------------------------------------------------------------------
  const mappings: LocalMapping[] = ofType('aws_lambda_event_source_mapping').map((r) => {
    const v = r.values;
    const sourceArn = need(r, 'event_source_arn');
    const stream = byValue('Kinesis stream', streams, (s) => s.arn, sourceArn, where(r, 'event_source_arn'));
    const target = invokeTarget(need(r, 'function_name'), where(r, 'function_name'));
    const criteria = block(v.filter_criteria);
    const filters = criteria !== undefined ? blocks(criteria.filter).map((f) => String(f.pattern)) : [];
    const onFailureArn = str(block(block(v.destination_config)?.on_failure)?.destination_arn);
    let onFailure: LocalMapping['onFailure'];
    if (onFailureArn !== undefined) {
      const q = queues.filter((x) => x.arn === onFailureArn);
      const t = topics.filter((x) => x.arn === onFailureArn);
      if (q.length + t.length !== 1) throw new LocalModelError(`${where(r, 'destination_config')} on_failure is ${JSON.stringify(onFailureArn)}, which is not exactly one queue or topic of the environment`);
      onFailure = { kind: q.length === 1 ? 'sqs' : 'sns', arn: onFailureArn };
    }
    const position = str(v.starting_position) ?? 'LATEST';
    if (position !== 'TRIM_HORIZON' && position !== 'LATEST' && position !== 'AT_TIMESTAMP') throw new LocalModelError(`${where(r, 'starting_position')} is ${position}`);
    const types = Array.isArray(v.function_response_types) ? v.function_response_types.map(String) : [];
    const tumbling = num(v.tumbling_window_in_seconds);
    return {
      address: r.address,
      uuid: str(v.uuid) ?? r.address,
      stream,
      target,
      // Kinesis defaults (CreateEventSourceMapping): batch size 100, no batching window, retries
      // and record age until the record expires (-1), no bisect, parallelization factor 1.
      batchSize: num(v.batch_size) ?? 100,
      batchingWindowSeconds: num(v.maximum_batching_window_in_seconds) ?? 0,
      startingPosition: position,
      ...(str(v.starting_position_timestamp) !== undefined ? { startingTimestamp: str(v.starting_position_timestamp)! } : {}),
      ...(filters.length > 0 ? { filters } : {}),
      ...(tumbling !== undefined && tumbling > 0 ? { tumblingWindowSeconds: tumbling } : {}),
      reportBatchItemFailures: types.includes('ReportBatchItemFailures'),
      bisectOnError: v.bisect_batch_on_function_error === true,
      maximumRetryAttempts: num(v.maximum_retry_attempts) ?? -1,
      maximumRecordAgeSeconds: num(v.maximum_record_age_in_seconds) ?? -1,
      parallelizationFactor: num(v.parallelization_factor) ?? 1,
      ...(onFailure !== undefined ? { onFailure } : {}),
      enabled: v.enabled !== false,
    };
  });

  // HTTP APIs -----------------------------------------------------------------------------
  const integrations = ofType('aws_apigatewayv2_integration');
  const routes = ofType('aws_apigatewayv2_route');
  const distributions = ofType('aws_cloudfront_distribution');
  const httpApis: LocalHttpApi[] = ofType('aws_apigatewayv2_api').map((api) => {
    const id = need(api, 'id');
    const local: LocalRoute[] = routes
      .filter((r) => r.values.api_id === id)
      .map((r) => {
        const targetRef = need(r, 'target');
        const integrationId = targetRef.replace(/^integrations\//, '');
        const integration = byValue('integration', integrations, (i) => str(i.values.id), integrationId, where(r, 'target'));
        const uri = need(integration, 'integration_uri');
        return {
          routeKey: need(r, 'route_key'),
          target: invokeTarget(uri, where(integration, 'integration_uri')),
          payloadFormatVersion: str(integration.values.payload_format_version) ?? '1.0',
          // HTTP APIs: 30 seconds unless set (timeout_milliseconds).
          timeoutMs: num(integration.values.timeout_milliseconds) ?? 30_000,
        };
      });
    // The edge (CloudFront) adds its origin custom headers to what it forwards to the API.
    const originHeaders: Record<string, string> = {};
    for (const d of distributions) {
      for (const o of blocks(d.values.origin)) {
        for (const h of blocks(o.custom_header)) if (str(h.name) !== undefined && typeof h.value === 'string') originHeaders[String(h.name).toLowerCase()] = h.value;
      }
    }
    return { address: api.address, name: need(api, 'name'), id, routes: local, originHeaders };
  });

  // Schedules (EventBridge rules with a schedule expression and Lambda targets) -------------------
  const targets = ofType('aws_cloudwatch_event_target');
  const schedules: LocalSchedule[] = ofType('aws_cloudwatch_event_rule')
    .filter((r) => str(r.values.schedule_expression) !== undefined && r.values.state !== 'DISABLED' && r.values.is_enabled !== false)
    .map((r) => {
      const name = need(r, 'name');
      return {
        address: r.address,
        name,
        expression: need(r, 'schedule_expression'),
        targets: targets
          .filter((t) => t.values.rule === name)
          .map((t) => {
            const arn = need(t, 'arn');
            return { target: invokeTarget(arn, where(t, 'arn')), ...(typeof t.values.input === 'string' ? { input: t.values.input } : {}) };
          }),
      };
    });

  // Glue tables ------------------------------------------------------------------------------
  const glueTables: LakeTable[] = ofType('aws_glue_catalog_table').map((r) => {
    const v = r.values;
    const sd = block(v.storage_descriptor) ?? {};
    const serde = block(sd.ser_de_info) ?? {};
    const params: Record<string, string> = {};
    for (const [k, val] of Object.entries(isObj(v.parameters) ? v.parameters : {})) params[k] = String(val);
    const serdeParams: Record<string, string> = {};
    for (const [k, val] of Object.entries(isObj(serde.parameters) ? serde.parameters : {})) serdeParams[k] = String(val);
    return {
      database: need(r, 'database_name'),
      name: need(r, 'name'),
      location: str(sd.location) ?? '',
      parameters: params,
      serdeLibrary: str(serde.serialization_library) ?? '',
      serdeParameters: serdeParams,
      columns: blocks(sd.columns).map((c) => ({ name: String(c.name), type: String(c.type) })),
      partitionKeys: blocks(v.partition_keys).map((c) => ({ name: String(c.name), type: String(c.type) })),
    };
  });

  return {
    context: stacks[0]!.context,
    stacks,
    buckets,
    objects,
    functions,
    aliases,
    streams,
    deliveryStreams,
    mappings,
    queues,
    topics,
    parameters,
    tables,
    httpApis,
    schedules,
    glueTables,
  };
}
