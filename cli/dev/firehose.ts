/**
 * Local Firehose: one delivery stream per evaluated aws_kinesis_firehose_delivery_stream (Direct
 * PUT into S3), with the API producers call and the delivery path as the developer guide
 * describes it.
 *
 * API (Firehose API Reference: PutRecord, PutRecordBatch, DescribeDeliveryStream,
 * ListDeliveryStreams): PutRecordBatch takes 1 to 500 records and at most 4 MiB, a record at most
 * 1,000 KiB (1,024,000 bytes) before base64; an unknown stream is ResourceNotFoundException. Every
 * accepted record gets a RecordId.
 *
 * Delivery ("Transform source data in Amazon Data Firehose", "Required parameters for data
 * transformation", "Handle failure in data transformation", "Configure buffering hints"):
 * 1. With a Lambda processor, records are buffered up to its BufferSizeInMBs or
 *    BufferIntervalInSeconds (defaults 1 MB, 60 s), then the function is invoked synchronously with
 *    `{ invocationId, deliveryStreamArn, region, records: [{ recordId, approximateArrivalTimestamp, data }] }`.
 *    An invocation that fails (an error, a timeout) is retried NumberOfRetries times (default 3);
 *    then its records are processing failures (`Lambda.FunctionError`). A response that does not
 *    follow the status model (a record id missing, repeated or unknown, a result other than Ok,
 *    Dropped or ProcessingFailed, data that is not base64) fails every record of the invocation.
 *    `Ok` records go on with their new data, `Dropped` ones are gone, `ProcessingFailed` ones are
 *    written to the error output.
 * 2. AppendDelimiterToRecord appends its delimiter (a new line by default) to every record.
 * 3. Records are buffered up to the destination's buffering size or interval (defaults 5 MiB,
 *    300 s), then written as one object, compressed as configured (GZIP objects end in `.gz`),
 *    named as in ./prefix.ts, the timestamp being the arrival of the oldest record in the object.
 * 4. Processing failures are written under the error output prefix, with
 *    `!{firehose:error-output-type}` = `processing-failed`, one JSON document per line:
 *    `{ attemptsMade, arrivalTimestamp, errorCode, errorMessage, attemptEndingTimestamp, rawData, lambdaArn }`.
 * `--flush-seconds` replaces both buffering intervals (processor and destination) for quick feedback.
 *
 * Not modelled: throughput quotas and throttling (nothing is refused for rate), server-side
 * encryption, S3 backup, CloudWatch logging of delivery errors (they go to local/logs/runtime.log).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { readBody, sendAwsJson, sendAwsJsonError } from './http';
import type { InvokeResult } from './lambda';
import { compilePrefix, objectSuffix, type CompiledPrefix } from './prefix';
import type { InvokeTarget, LocalDeliveryStream, LocalProcessor } from './resources';
import type { FolderS3 } from './s3';
import { LocalModelError } from './errors';

/** PutRecordBatch: at most 500 records and 4 MiB per call; a record at most 1,000 KiB (Firehose API Reference, PutRecordBatch). */
export const FIREHOSE_API_LIMITS = { maxBatchRecords: 500, maxBatchBytes: 4 * 1024 * 1024, maxRecordBytes: 1_024_000 } as const;

const MIB = 1024 * 1024;

export type Invoke = (target: InvokeTarget, event: unknown) => Promise<InvokeResult>;

export interface FirehoseOptions {
  readonly s3: FolderS3;
  readonly invoke: Invoke;
  readonly region: string;
  readonly account: string;
  /** Replaces every buffering interval (processor and destination). */
  readonly flushSeconds?: number;
  /** Share of PutRecord(Batch) entries answered ServiceUnavailableException (fault injection for tests). @default 0 */
  readonly failRate?: number;
  readonly log: (line: string) => void;
  readonly now?: () => number;
}

interface Incoming {
  readonly recordId: string;
  readonly data: Buffer;
  readonly arrival: number;
}

interface Outgoing {
  readonly data: Buffer;
  readonly arrival: number;
}

/** Counts per stream: what came in and where it went (every record is accounted for). */
export interface StreamCounts {
  accepted: number;
  delivered: number;
  dropped: number;
  failed: number;
  objects: number;
  errorObjects: number;
  invocations: number;
  invocationErrors: number;
}

let counter = 0;
/** A record id shaped like Firehose's (a long decimal string), unique in this process. */
function recordId(now: number): string {
  counter = (counter + 1) % 1_000_000_000;
  return `${String(now).padStart(16, '0')}${String(process.pid % 100_000).padStart(5, '0')}${String(counter).padStart(9, '0')}${'0'.repeat(26)}`;
}

/** A buffer that is flushed when its size reaches `maxBytes` or `intervalMs` after its first entry. */
class Buffered<T extends { readonly data: Buffer }> {
  private items: T[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;

  public constructor(
    private readonly maxBytes: number,
    private readonly intervalMs: number,
    private readonly flush: (items: T[]) => void,
  ) {}

  public add(item: T): void {
    if (this.items.length > 0 && this.bytes + item.data.length > this.maxBytes) this.drain();
    this.items.push(item);
    this.bytes += item.data.length;
    if (this.bytes >= this.maxBytes) this.drain();
    else if (this.timer === undefined) this.timer = setTimeout(() => this.drain(), this.intervalMs);
  }

  public drain(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.items.length === 0) return;
    const items = this.items;
    this.items = [];
    this.bytes = 0;
    this.flush(items);
  }

  public get size(): number {
    return this.items.length;
  }
}

/** One local delivery stream. */
export class DeliveryStream {
  public readonly counts: StreamCounts = { accepted: 0, delivered: 0, dropped: 0, failed: 0, objects: 0, errorObjects: 0, invocations: 0, invocationErrors: 0 };
  private readonly prefix: CompiledPrefix;
  private readonly errorPrefix: CompiledPrefix;
  private readonly processing: Buffered<Incoming> | undefined;
  private readonly destination: Buffered<Outgoing>;
  private readonly errors: Buffered<Outgoing>;
  private readonly lambda: Extract<LocalProcessor, { type: 'Lambda' }> | undefined;
  /** Work in flight (invocations, writes), awaited by flush(). */
  private readonly inFlight = new Set<Promise<void>>();
  private chain: Promise<void> = Promise.resolve();

  public constructor(
    public readonly spec: LocalDeliveryStream,
    private readonly opts: FirehoseOptions,
  ) {
    try {
      this.prefix = compilePrefix(spec.prefix, 'prefix');
      this.errorPrefix = compilePrefix(spec.errorOutputPrefix === '' ? '!{firehose:error-output-type}/' : spec.errorOutputPrefix, 'error');
    } catch (err) {
      throw new LocalModelError(`${spec.address}: ${(err as Error).message}`);
    }
    // "If you specify an expression for Prefix, you must also specify ErrorOutputPrefix" (s3-prefixes).
    if (spec.prefix.includes('!{') && spec.errorOutputPrefix === '') throw new LocalModelError(`${spec.address}: the prefix has expressions but error_output_prefix is empty; Firehose refuses that configuration`);
    const lambdas = spec.processors.filter((p): p is Extract<LocalProcessor, { type: 'Lambda' }> => p.type === 'Lambda');
    if (lambdas.length > 1) throw new LocalModelError(`${spec.address}: more than one Lambda processor`);
    this.lambda = lambdas[0];
    const flush = opts.flushSeconds;
    if (this.lambda !== undefined) {
      const l = this.lambda;
      this.processing = new Buffered<Incoming>(l.bufferSizeMiB * MIB, (flush ?? l.bufferIntervalSeconds) * 1000, (items) => this.track(this.process(items)));
    }
    const interval = (flush ?? spec.bufferingIntervalSeconds) * 1000;
    this.destination = new Buffered<Outgoing>(spec.bufferingSizeMiB * MIB, interval, (items) => this.track(this.write(items, false)));
    this.errors = new Buffered<Outgoing>(spec.bufferingSizeMiB * MIB, interval, (items) => this.track(this.write(items, true)));
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  private track(p: Promise<void>): void {
    const t = p.catch((err: unknown) => this.opts.log(`firehose ${this.spec.name}: ${(err as Error).stack ?? String(err)}`)).finally(() => this.inFlight.delete(t));
    this.inFlight.add(t);
  }

  /** Accepts records (already checked against the API limits); returns their record ids. */
  public put(datas: readonly Buffer[]): string[] {
    const arrival = this.now();
    return datas.map((data) => {
      const id = recordId(arrival);
      this.counts.accepted++;
      const item: Incoming = { recordId: id, data, arrival };
      if (this.processing !== undefined) this.processing.add(item);
      else this.afterLambda([{ data, arrival }]);
      return id;
    });
  }

  /** The processors after the Lambda one, then the destination buffer. */
  private afterLambda(records: readonly Outgoing[]): void {
    for (const r of records) {
      let data = r.data;
      for (const p of this.spec.processors) if (p.type === 'AppendDelimiterToRecord') data = Buffer.concat([data, p.delimiter]);
      this.destination.add({ data, arrival: r.arrival });
    }
  }

  /** Invokes the Lambda processor on one buffered batch (one at a time per stream, in order). */
  private process(items: Incoming[]): Promise<void> {
    const run = async (): Promise<void> => {
      const l = this.lambda!;
      // One invocation carries at most the processor's buffer size (and Lambda's 6 MB request limit).
      for (let start = 0; start < items.length; ) {
        let bytes = 0;
        let end = start;
        while (end < items.length && (end === start || bytes + items[end]!.data.length <= l.bufferSizeMiB * MIB)) bytes += items[end++]!.data.length;
        await this.invokeBatch(l, items.slice(start, end));
        start = end;
      }
    };
    this.chain = this.chain.then(run, run);
    return this.chain;
  }

  private async invokeBatch(l: Extract<LocalProcessor, { type: 'Lambda' }>, batch: Incoming[]): Promise<void> {
    const event = {
      invocationId: randomUUID(),
      deliveryStreamArn: this.spec.arn,
      region: this.opts.region,
      records: batch.map((r) => ({ recordId: r.recordId, approximateArrivalTimestamp: r.arrival, data: r.data.toString('base64') })),
    };
    let attempts = 0;
    let failure: { code: string; message: string } | undefined;
    for (;;) {
      attempts++;
      this.counts.invocations++;
      const result = await this.opts.invoke(l.target, event);
      if (result.ok) {
        const checked = checkResponse(result.payload, batch);
        if ('error' in checked) {
          // The function answered: its answer is final, however malformed.
          failure = checked.error;
          this.opts.log(`firehose ${this.spec.name}: ${l.target.function.name} answered outside the status model (${checked.error.code}: ${checked.error.message}); ${batch.length} record(s) to the error output`);
          break;
        }
        const ended = this.now();
        const ok: Outgoing[] = [];
        for (const r of batch) {
          const out = checked.byId.get(r.recordId)!;
          if (out.result === 'Ok') ok.push({ data: out.data, arrival: r.arrival });
          else if (out.result === 'Dropped') this.counts.dropped++;
          else this.fail(r, attempts, ended, 'Lambda.ProcessingFailed', 'The Lambda function returned ProcessingFailed for this record.', l.target.invokedArn);
        }
        this.afterLambda(ok);
        return;
      }
      this.counts.invocationErrors++;
      failure = { code: 'Lambda.FunctionError', message: 'The Lambda function was successfully invoked but it returned an error result.' };
      this.opts.log(`firehose ${this.spec.name}: invocation ${attempts} of ${l.target.function.name} failed (${result.errorType}: ${result.errorMessage.slice(0, 300)})`);
      if (attempts > l.numberOfRetries) break;
    }
    const ended = this.now();
    for (const r of batch) this.fail(r, attempts, ended, failure.code, failure.message, l.target.invokedArn);
  }

  private fail(r: Incoming, attempts: number, ended: number, code: string, message: string, lambdaArn: string): void {
    this.counts.failed++;
    const doc = { attemptsMade: attempts, arrivalTimestamp: r.arrival, errorCode: code, errorMessage: message, attemptEndingTimestamp: ended, rawData: r.data.toString('base64'), lambdaArn };
    this.errors.add({ data: Buffer.from(`${JSON.stringify(doc)}\n`), arrival: r.arrival });
  }

  /** Writes one object (records or error documents). */
  private async write(items: Outgoing[], errors: boolean): Promise<void> {
    const oldest = new Date(items.reduce((m, i) => Math.min(m, i.arrival), Number.POSITIVE_INFINITY));
    const body = Buffer.concat(items.map((i) => i.data));
    const gzip = this.spec.compression === 'GZIP';
    const extension = this.spec.fileExtension ?? (gzip ? '.gz' : '');
    const prefix = errors ? this.errorPrefix.evaluate(oldest, 'processing-failed') : this.prefix.evaluate(oldest);
    const key = `${prefix}${objectSuffix(this.spec.name, 1, oldest, extension)}`;
    this.opts.s3.put(this.spec.bucket.name, key, gzip ? gzipSync(body) : body, gzip ? { contentType: 'application/octet-stream' } : {});
    if (errors) this.counts.errorObjects++;
    else {
      this.counts.objects++;
      this.counts.delivered += items.length;
    }
  }

  /** Delivers everything buffered now (processor first, then the destination), and waits for it. */
  public async flush(): Promise<void> {
    for (let round = 0; round < 100; round++) {
      this.processing?.drain();
      await Promise.all([...this.inFlight]);
      this.destination.drain();
      this.errors.drain();
      await Promise.all([...this.inFlight]);
      if ((this.processing?.size ?? 0) === 0 && this.destination.size === 0 && this.errors.size === 0 && this.inFlight.size === 0) return;
    }
  }

  /** Records accepted and not yet written (buffered or being processed). */
  public get pending(): number {
    return this.counts.accepted - this.counts.delivered - this.counts.dropped - this.counts.failed;
  }
}

type Checked = { readonly byId: Map<string, { result: 'Ok' | 'Dropped' | 'ProcessingFailed'; data: Buffer }> } | { readonly error: { code: string; message: string } };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A processor's response against the status model ("Required parameters for data transformation"). */
export function checkResponse(payload: unknown, batch: readonly { readonly recordId: string }[]): Checked {
  const json = (message: string): Checked => ({ error: { code: 'Lambda.JsonProcessingException', message } });
  const records = (payload as { records?: unknown } | null)?.records;
  if (!Array.isArray(records)) return json('There was an error parsing returned records from the Lambda function: the response has no "records" array.');
  const expected = new Set(batch.map((r) => r.recordId));
  const byId = new Map<string, { result: 'Ok' | 'Dropped' | 'ProcessingFailed'; data: Buffer }>();
  for (const r of records as Record<string, unknown>[]) {
    const id = r?.recordId;
    if (typeof id !== 'string' || !expected.has(id)) return json(`The Lambda function returned a record id that was not in its input: ${JSON.stringify(id)}.`);
    if (byId.has(id)) return { error: { code: 'Lambda.DuplicatedRecordId', message: 'Multiple records were returned with the same record ID.' } };
    const result = r.result;
    if (result !== 'Ok' && result !== 'Dropped' && result !== 'ProcessingFailed') return json(`Record ${id} has result ${JSON.stringify(result)}; it must be Ok, Dropped or ProcessingFailed.`);
    const data = r.data;
    if (result === 'Ok' && (typeof data !== 'string' || data.length % 4 !== 0 || !BASE64.test(data))) return json(`Record ${id} has no base64 data.`);
    byId.set(id, { result, data: typeof data === 'string' ? Buffer.from(data, 'base64') : Buffer.alloc(0) });
  }
  if (byId.size !== expected.size) return { error: { code: 'Lambda.MissingRecordId', message: 'One or more record IDs were not returned.' } };
  return { byId };
}

/** The Firehose API over the environment's delivery streams. */
export class LocalFirehose {
  public readonly streams: Map<string, DeliveryStream>;

  public constructor(
    specs: readonly LocalDeliveryStream[],
    private readonly opts: FirehoseOptions,
  ) {
    this.streams = new Map(specs.map((s) => [s.name, new DeliveryStream(s, opts)]));
  }

  private failRate = (): number => this.opts.failRate ?? 0;

  public async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const op = String(req.headers['x-amz-target'] ?? '').replace(/^Firehose_20150804\./, '');
    let input: Record<string, unknown>;
    try {
      // 4 MiB of records base64-encoded, plus the JSON around them.
      input = JSON.parse((await readBody(req, 8 * MIB)).toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      sendAwsJsonError(res, 400, 'SerializationException', 'the request body is not JSON or is too large');
      return;
    }
    const name = String(input.DeliveryStreamName ?? '');
    const stream = this.streams.get(name);
    const notFound = (): void => sendAwsJsonError(res, 400, 'ResourceNotFoundException', `Firehose ${name} under account ${this.opts.account} not found.`);
    switch (op) {
      case 'PutRecord': {
        if (stream === undefined) return notFound();
        const data = decode((input.Record as { Data?: unknown } | undefined)?.Data);
        if (data === undefined) return sendAwsJsonError(res, 400, 'InvalidArgumentException', 'Record.Data must be base64 data');
        if (data.length > FIREHOSE_API_LIMITS.maxRecordBytes) return sendAwsJsonError(res, 400, 'ValidationException', `1 validation error detected: Value at 'record.data' failed to satisfy constraint: Member must have length less than or equal to ${FIREHOSE_API_LIMITS.maxRecordBytes}`);
        if (Math.random() < this.failRate()) return sendAwsJsonError(res, 503, 'ServiceUnavailableException', 'Slowdown. (local fault injection)');
        return sendAwsJson(res, { RecordId: stream.put([data])[0], Encrypted: true });
      }
      case 'PutRecordBatch': {
        if (stream === undefined) return notFound();
        const records = Array.isArray(input.Records) ? (input.Records as { Data?: unknown }[]) : [];
        if (records.length === 0 || records.length > FIREHOSE_API_LIMITS.maxBatchRecords) {
          return sendAwsJsonError(res, 400, 'ValidationException', `1 validation error detected: Value at 'records' failed to satisfy constraint: Member must have length between 1 and ${FIREHOSE_API_LIMITS.maxBatchRecords}`);
        }
        const datas: Buffer[] = [];
        for (const r of records) {
          const d = decode(r?.Data);
          if (d === undefined) return sendAwsJsonError(res, 400, 'InvalidArgumentException', 'every record needs base64 Data');
          if (d.length > FIREHOSE_API_LIMITS.maxRecordBytes) return sendAwsJsonError(res, 400, 'ValidationException', `1 validation error detected: a record is larger than ${FIREHOSE_API_LIMITS.maxRecordBytes} bytes`);
          datas.push(d);
        }
        if (datas.reduce((n, d) => n + d.length, 0) > FIREHOSE_API_LIMITS.maxBatchBytes) return sendAwsJsonError(res, 400, 'InvalidArgumentException', `the records add up to more than ${FIREHOSE_API_LIMITS.maxBatchBytes} bytes`);
        const answers: Record<string, string>[] = [];
        let failed = 0;
        for (const d of datas) {
          if (Math.random() < this.failRate()) {
            failed++;
            answers.push({ ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slowdown. (local fault injection)' });
          } else answers.push({ RecordId: stream.put([d])[0]! });
        }
        return sendAwsJson(res, { FailedPutCount: failed, Encrypted: true, RequestResponses: answers });
      }
      case 'DescribeDeliveryStream': {
        if (stream === undefined) return notFound();
        return sendAwsJson(res, {
          DeliveryStreamDescription: {
            DeliveryStreamName: name,
            DeliveryStreamARN: stream.spec.arn,
            DeliveryStreamStatus: 'ACTIVE',
            DeliveryStreamType: 'DirectPut',
            VersionId: '1',
            HasMoreDestinations: false,
            Destinations: [],
          },
        });
      }
      case 'ListDeliveryStreams':
        return sendAwsJson(res, { DeliveryStreamNames: [...this.streams.keys()].sort(), HasMoreDeliveryStreams: false });
      default:
        return sendAwsJsonError(res, 400, 'UnknownOperationException', `the local Firehose does not implement ${op}`);
    }
  }

  /** Delivers every buffered record of every stream. */
  public async flush(): Promise<void> {
    await Promise.all([...this.streams.values()].map((s) => s.flush()));
  }
}

function decode(v: unknown): Buffer | undefined {
  if (typeof v !== 'string' || v.length % 4 !== 0 || !BASE64.test(v)) return undefined;
  return Buffer.from(v, 'base64');
}
