/**
 * A local HTTP stand-in for Amazon Data Firehose's `PutRecordBatch` and `PutRecord`, speaking the
 * service's awsJson1_1 protocol, so the real AWS SDK can be pointed at it through `endpoint`.
 *
 *   const standIn = new FirehoseStandIn();
 *   const { endpoint, close } = await standIn.start();
 *   const client = standInFirehoseClient(endpoint);
 *   ... send ...
 *   standIn.records('acme-dev-web-shop-page_view'); // accepted records, decoded
 *   standIn.calls;                                  // one CallStats per request
 *   await close();
 *
 * Faults are injected per call through `fault` (constructor option or `setFault`): whole-call
 * errors (HTTP 400/500 JSON `{"__type": ...}`), per-record partial failures (`FailedPutCount`),
 * delays (to trigger client timeouts), connection resets, answers trickled one byte at a time,
 * requests never answered, and entries with neither `RecordId` nor `ErrorCode`. `startBlackHole()`
 * is a TCP server that accepts connections and never reads nor answers.
 *
 * Protocol (https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html):
 * POST /, `X-Amz-Target: Firehose_20150804.PutRecordBatch`, body
 * `{"DeliveryStreamName": "...", "Records": [{"Data": "<base64>"}]}`, response
 * `{"FailedPutCount": n, "Encrypted": false, "RequestResponses": [{"RecordId"} | {"ErrorCode", "ErrorMessage"}]}`.
 *
 * Limits (checked unless `enforceLimits: false`; a violation is answered with
 * `InvalidArgumentException` and recorded in `violations`): 500 records and 4 MiB of decoded data
 * per call, 1,000 KiB (1,024,000 bytes) per record.
 *
 * Only listens on 127.0.0.1. The API below is shared with the router's tests: keep it stable.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Firehose's documented limits on one call, which cannot be raised. */
export const FIREHOSE_LIMITS = {
  maxRecordsPerCall: 500,
  maxBytesPerCall: 4 * 1024 * 1024,
  maxRecordBytes: 1_000 * 1024,
} as const;

export type FirehoseOperation = 'PutRecordBatch' | 'PutRecord';

/** What the stand-in received in one call, passed to the fault hook. */
export interface IncomingCall {
  /** 0-based index of the call since start (or the last `reset`). */
  readonly index: number;
  readonly operation: FirehoseOperation;
  readonly stream: string;
  /** Decoded record data, in request order. */
  readonly records: readonly Buffer[];
}

/** How the stand-in answers one call. */
export type Fault =
  /** Whole-call error: HTTP `status` (default 400) with `{"__type": type, "message": ...}`. */
  | { readonly kind: 'error'; readonly type: string; readonly status?: number; readonly message?: string }
  /**
   * HTTP 200 with some records failed (`FailedPutCount` > 0). `failed` lists request indexes, or
   * decides per record. Failed records are not stored. `errorCode` defaults to
   * `ServiceUnavailableException`.
   */
  | {
      readonly kind: 'partial';
      readonly failed: readonly number[] | ((index: number, data: Buffer) => boolean);
      readonly errorCode?: string;
      readonly errorMessage?: string;
    }
  /**
   * Waits `ms` before answering with `then` (default: success). The records are processed (and,
   * on success, stored) when the call arrives, as a slow service would: a client that times out
   * and retries produces duplicates, which at-least-once delivery allows.
   */
  | { readonly kind: 'delay'; readonly ms: number; readonly then?: Fault }
  /** Destroys the connection without an answer; nothing is stored. */
  | { readonly kind: 'reset' }
  /**
   * Processes the call (stores the records, as `then`, default success), sends the status line and
   * headers at once, then the body one byte every `intervalMs`: the answer is correct but arrives
   * too slowly for any client timeout that is reset by every byte.
   */
  | { readonly kind: 'trickle'; readonly intervalMs: number; readonly then?: Extract<Fault, { kind: 'partial' }> }
  /** Reads the request and never answers (the connection stays open until the client gives up); nothing is stored. */
  | { readonly kind: 'hang' }
  /**
   * HTTP 200 in which the chosen entries (default: all) have neither `RecordId` nor `ErrorCode`
   * and `FailedPutCount` is 0: those records are NOT stored. The others are stored normally.
   */
  | { readonly kind: 'unconfirmed'; readonly entries?: (index: number) => boolean };

/** Decides the fault of a call; `undefined` answers normally. */
export type FaultHook = (call: IncomingCall) => Fault | undefined;

/** Statistics of one call. */
export interface CallStats {
  readonly index: number;
  readonly operation: FirehoseOperation | 'unknown';
  readonly stream: string;
  readonly records: number;
  /** Sum of decoded record bytes. */
  readonly bytes: number;
  /** Largest decoded record. */
  readonly maxRecordBytes: number;
  /** Records stored (accepted). */
  readonly accepted: number;
  /** Records answered with an ErrorCode. */
  readonly failed: number;
  /** HTTP status sent, or 0 when the connection was reset. */
  readonly status: number;
  /** Error type of a whole-call error. */
  readonly errorType?: string;
  /** Which fault was applied, if any. */
  readonly fault?: Fault['kind'];
}

/** One accepted record. */
export interface ReceivedRecord {
  readonly stream: string;
  readonly data: Buffer;
  /** Index of the call that delivered it. */
  readonly callIndex: number;
}

export interface FirehoseStandInOptions {
  /**
   * Fault injection hook, called once per call.
   * @default undefined (every call succeeds)
   */
  readonly fault?: FaultHook;
  /**
   * Names of the existing delivery streams; a call to another name fails with
   * `ResourceNotFoundException`.
   * @default undefined (every name exists)
   */
  readonly streams?: readonly string[];
  /**
   * Answer calls over Firehose's limits with `InvalidArgumentException` and record them in `violations`.
   * @default true
   */
  readonly enforceLimits?: boolean;
  /**
   * Port on 127.0.0.1.
   * @default 0 (any free port)
   */
  readonly port?: number;
}

/** What `start()` resolves to. */
export interface StartedStandIn {
  /** `http://127.0.0.1:<port>`: pass as the SDK's `endpoint`. */
  readonly endpoint: string;
  /** Stops listening, drops open connections and pending delayed answers. */
  readonly close: () => Promise<void>;
}

const DEFAULTS = { enforceLimits: true, port: 0 } as const;

/** Decoded error of a `PutRecordBatch` request the stand-in could not parse. */
class BadRequest extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'BadRequest';
  }
}

export class FirehoseStandIn {
  /** One entry per call, in arrival order. */
  public readonly calls: CallStats[] = [];
  /** Limit violations seen (each also answered with `InvalidArgumentException`). */
  public readonly violations: string[] = [];

  private readonly options: Required<Omit<FirehoseStandInOptions, 'fault' | 'streams'>> &
    Pick<FirehoseStandInOptions, 'fault' | 'streams'>;
  private fault: FaultHook | undefined;
  private readonly byStream = new Map<string, ReceivedRecord[]>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private server: Server | undefined;
  private nextIndex = 0;

  public constructor(options: FirehoseStandInOptions = {}) {
    this.options = { ...DEFAULTS, ...options };
    this.fault = options.fault;
  }

  /** Starts listening on 127.0.0.1. */
  public async start(): Promise<StartedStandIn> {
    if (this.server !== undefined) throw new Error('FirehoseStandIn already started');
    const server = createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 1_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return { endpoint: `http://127.0.0.1:${port}`, close: () => this.close() };
  }

  /** Replaces the fault hook (`undefined`: every call succeeds). */
  public setFault(hook: FaultHook | undefined): void {
    this.fault = hook;
  }

  /** Accepted records of one delivery stream, in arrival order. */
  public records(stream: string): readonly ReceivedRecord[] {
    return this.byStream.get(stream) ?? [];
  }

  /** Names of the streams that accepted at least one record, sorted. */
  public streams(): string[] {
    return [...this.byStream.keys()].sort();
  }

  /** Every accepted record of every stream. */
  public allRecords(): ReceivedRecord[] {
    return [...this.byStream.values()].flat();
  }

  /** Forgets calls, records and violations (the fault hook stays). */
  public reset(): void {
    this.calls.length = 0;
    this.violations.length = 0;
    this.byStream.clear();
    this.nextIndex = 0;
  }

  private async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => this.answer(req, res, Buffer.concat(chunks)));
    req.on('error', () => res.destroy());
  }

  private answer(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const index = this.nextIndex++;
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation: FirehoseOperation | undefined = target.endsWith('.PutRecordBatch')
      ? 'PutRecordBatch'
      : target.endsWith('.PutRecord')
        ? 'PutRecord'
        : undefined;
    const base: Pick<CallStats, 'index' | 'operation'> = { index, operation: operation ?? 'unknown' };
    if (req.method !== 'POST' || operation === undefined) {
      this.calls.push({ ...base, stream: '', records: 0, bytes: 0, maxRecordBytes: 0, accepted: 0, failed: 0, status: 400, errorType: 'UnknownOperationException' });
      sendError(res, 400, 'UnknownOperationException', `unsupported operation "${target}"`);
      return;
    }
    let stream: string;
    let records: Buffer[];
    try {
      ({ stream, records } = decode(operation, body));
    } catch (err) {
      this.calls.push({ ...base, stream: '', records: 0, bytes: 0, maxRecordBytes: 0, accepted: 0, failed: 0, status: 400, errorType: 'SerializationException' });
      sendError(res, 400, 'SerializationException', (err as Error).message);
      return;
    }
    const bytes = records.reduce((n, r) => n + r.length, 0);
    const maxRecordBytes = records.reduce((n, r) => Math.max(n, r.length), 0);
    const stats = { ...base, stream, records: records.length, bytes, maxRecordBytes };

    const violation = this.options.enforceLimits ? limitViolation(records.length, bytes, maxRecordBytes) : undefined;
    if (violation !== undefined) {
      this.violations.push(`call ${index} to ${stream}: ${violation}`);
      this.calls.push({ ...stats, accepted: 0, failed: 0, status: 400, errorType: 'InvalidArgumentException' });
      sendError(res, 400, 'InvalidArgumentException', violation);
      return;
    }
    if (this.options.streams !== undefined && !this.options.streams.includes(stream)) {
      this.calls.push({ ...stats, accepted: 0, failed: 0, status: 400, errorType: 'ResourceNotFoundException' });
      sendError(res, 400, 'ResourceNotFoundException', `Firehose stream ${stream} not found`);
      return;
    }

    const fault = this.fault?.({ index, operation, stream, records });
    this.apply(res, operation, stream, records, stats, fault, fault?.kind);
  }

  private apply(
    res: ServerResponse,
    operation: FirehoseOperation,
    stream: string,
    records: Buffer[],
    stats: Omit<CallStats, 'accepted' | 'failed' | 'status'>,
    fault: Fault | undefined,
    faultKind: Fault['kind'] | undefined,
  ): void {
    const tag = faultKind !== undefined ? { fault: faultKind } : {};
    if (fault?.kind === 'hang') {
      this.calls.push({ ...stats, accepted: 0, failed: 0, status: 0, ...tag });
      return;
    }
    if (fault?.kind === 'trickle') {
      const payload = this.accept(operation, stream, records, stats, fault.then, tag);
      this.trickle(res, payload, fault.intervalMs);
      return;
    }
    if (fault?.kind === 'unconfirmed') {
      sendJson(res, 200, this.accept(operation, stream, records, stats, undefined, tag, fault.entries ?? (() => true)));
      return;
    }
    if (fault?.kind === 'reset') {
      this.calls.push({ ...stats, accepted: 0, failed: 0, status: 0, ...tag });
      res.socket?.destroy();
      return;
    }
    if (fault?.kind === 'error') {
      const status = fault.status ?? 400;
      this.calls.push({ ...stats, accepted: 0, failed: 0, status, errorType: fault.type, ...tag });
      sendError(res, status, fault.type, fault.message ?? `${fault.type} (injected)`);
      return;
    }
    if (fault?.kind === 'delay') {
      // Process now, answer later: the answer may reach a client that has given up.
      const then = fault.then;
      if (then?.kind === 'delay') throw new Error('nested delay faults are not supported');
      const inner = then ?? undefined;
      if (inner === undefined || inner.kind === 'partial') {
        const payload = this.accept(operation, stream, records, stats, inner, tag);
        this.later(fault.ms, () => sendJson(res, 200, payload));
      } else if (inner.kind === 'trickle' || inner.kind === 'hang' || inner.kind === 'unconfirmed') {
        throw new Error(`delay then ${inner.kind} is not supported`);
      } else {
        this.later(fault.ms, () => this.apply(res, operation, stream, records, stats, inner, 'delay'));
      }
      return;
    }
    sendJson(res, 200, this.accept(operation, stream, records, stats, fault, tag));
  }

  /** Stores the accepted records and builds the 200 answer. */
  private accept(
    operation: FirehoseOperation,
    stream: string,
    records: Buffer[],
    stats: Omit<CallStats, 'accepted' | 'failed' | 'status'>,
    partial: Extract<Fault, { kind: 'partial' }> | undefined,
    tag: { fault?: Fault['kind'] },
    unconfirmed?: (index: number) => boolean,
  ): unknown {
    const failedSet =
      partial === undefined ? undefined : Array.isArray(partial.failed) ? new Set(partial.failed as readonly number[]) : undefined;
    const isFailed = (i: number, data: Buffer): boolean =>
      partial === undefined
        ? false
        : failedSet !== undefined
          ? failedSet.has(i)
          : (partial.failed as (index: number, data: Buffer) => boolean)(i, data);
    let list = this.byStream.get(stream);
    if (list === undefined) {
      list = [];
      this.byStream.set(stream, list);
    }
    const responses: ({ RecordId: string } | { ErrorCode: string; ErrorMessage: string } | Record<string, never>)[] = [];
    let failed = 0;
    let unanswered = 0;
    records.forEach((data, i) => {
      if (unconfirmed?.(i) === true) {
        unanswered++;
        responses.push({});
      } else if (isFailed(i, data)) {
        failed++;
        responses.push({
          ErrorCode: partial?.errorCode ?? 'ServiceUnavailableException',
          ErrorMessage: partial?.errorMessage ?? 'Slow down. (injected)',
        });
      } else {
        list.push({ stream, data, callIndex: stats.index });
        responses.push({ RecordId: recordId() });
      }
    });
    this.calls.push({ ...stats, accepted: records.length - failed - unanswered, failed, status: 200, ...tag });
    if (operation === 'PutRecord') {
      // PutRecord has no per-record status: a failed record is a whole-call error.
      const first = responses[0];
      if (first !== undefined && 'ErrorCode' in first) return { __error: first };
      return { RecordId: (first as { RecordId: string }).RecordId, Encrypted: false };
    }
    return { FailedPutCount: failed, Encrypted: false, RequestResponses: responses };
  }

  /** Sends a 200 answer's headers now and its body one byte per `intervalMs`. */
  private trickle(res: ServerResponse, payload: unknown, intervalMs: number): void {
    const body = Buffer.from(JSON.stringify(payload));
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'content-length': body.length });
    res.flushHeaders();
    let offset = 0;
    const step = (): void => {
      if (res.destroyed || res.writableEnded) return;
      res.write(body.subarray(offset, offset + 1));
      offset++;
      if (offset >= body.length) res.end();
      else this.later(intervalMs, step);
    };
    this.later(intervalMs, step);
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }
}

/** What `startBlackHole()` resolves to. */
export interface BlackHole {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** Connections accepted so far. */
  readonly connections: () => number;
  /** Stops listening and destroys every connection. */
  readonly close: () => Promise<void>;
}

/**
 * A TCP server on 127.0.0.1 that accepts connections and then never reads nor writes a byte: a
 * black-holed endpoint as seen from the client (its request body stalls once the socket buffers
 * are full; no answer ever comes).
 */
export async function startBlackHole(): Promise<BlackHole> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createNetServer((socket) => {
    accepted++;
    socket.pause();
    socket.on('error', () => undefined);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** An SDK Firehose client for the stand-in: dummy credentials, HTTP/1.1, no SDK retries. */
export function standInFirehoseClient(
  endpoint: string,
  options: { readonly requestTimeoutMs?: number; readonly maxAttempts?: number } = {},
): FirehoseClient {
  return new FirehoseClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDSTANDIN', secretAccessKey: 'standin-secret' },
    maxAttempts: options.maxAttempts ?? 1,
    requestHandler: new NodeHttpHandler({
      requestTimeout: options.requestTimeoutMs ?? 5_000,
      throwOnRequestTimeout: true,
    }),
  });
}

function decode(operation: FirehoseOperation, body: Buffer): { stream: string; records: Buffer[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new BadRequest('body is not JSON');
  }
  const p = parsed as { DeliveryStreamName?: unknown; Records?: unknown; Record?: unknown };
  if (typeof p.DeliveryStreamName !== 'string') throw new BadRequest('DeliveryStreamName is required');
  const list = operation === 'PutRecord' ? [p.Record] : p.Records;
  if (!Array.isArray(list)) throw new BadRequest('Records must be a list');
  const records = list.map((r: unknown, i) => {
    const data = (r as { Data?: unknown } | null)?.Data;
    if (typeof data !== 'string') throw new BadRequest(`Records[${i}].Data must be a base64 string`);
    return Buffer.from(data, 'base64');
  });
  return { stream: p.DeliveryStreamName, records };
}

function limitViolation(records: number, bytes: number, maxRecordBytes: number): string | undefined {
  if (records === 0) return 'Records must contain at least 1 record';
  if (records > FIREHOSE_LIMITS.maxRecordsPerCall) return `${records} records exceed ${FIREHOSE_LIMITS.maxRecordsPerCall} per call`;
  if (bytes > FIREHOSE_LIMITS.maxBytesPerCall) return `${bytes} bytes exceed ${FIREHOSE_LIMITS.maxBytesPerCall} per call`;
  if (maxRecordBytes > FIREHOSE_LIMITS.maxRecordBytes) {
    return `a record of ${maxRecordBytes} bytes exceeds ${FIREHOSE_LIMITS.maxRecordBytes} per record`;
  }
  return undefined;
}

const RECORD_ID_PREFIX = randomBytes(12).toString('hex');
let recordCounter = 0;

/** Unique per process; cheap (the benchmark counts the stand-in's CPU too). */
function recordId(): string {
  return `${RECORD_ID_PREFIX}${(recordCounter++).toString(36).padStart(12, '0')}`;
}

function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  if (res.destroyed || res.writableEnded) return;
  const err = (payload as { __error?: { ErrorCode: string; ErrorMessage: string } }).__error;
  if (err !== undefined) {
    sendError(res, 500, err.ErrorCode, err.ErrorMessage);
    return;
  }
  const body = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  if (res.destroyed || res.writableEnded) return;
  const body = JSON.stringify({ __type: type, message });
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'x-amzn-errortype': type,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}
