/**
 * The tracker: routes each event to its stream, buffers per stream, packs small events into
 * records, sends within AWS's call limits, retries only what failed, bounds memory, and reports
 * every event it could not deliver. See docs/client.md.
 */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { loadCatalog, unknownHint, type Catalog, type CatalogEntry } from './catalog';
import { envelope, envelopeHead } from './envelope';
import {
  BufferFullError,
  DeliveryError,
  EventTooLargeError,
  TrackerClosedError,
  UnknownEventTypeError,
  type FailedEvent,
} from './errors';
import { billedUnits } from './limits';
import { resolveOptions, type CallMetrics, type ResolvedOptions, type TrackerOptions } from './options';
import { backoffDelay, classifyCallError, isRetryableEntryError } from './retry';
import { firehoseSink, kinesisSink, type EntryOutcome, type Sink } from './sinks';

/** Running totals; `tracker.metrics()` returns a snapshot. */
export interface TrackerMetrics {
  /** Events `track` accepted into the buffer. */
  eventsAccepted: number;
  /** Events in records the service acknowledged. */
  eventsDelivered: number;
  /** Events reported as failed (onDeliveryFailure or DeliveryError). */
  eventsFailed: number;
  /** Accepted events neither delivered nor failed yet. */
  eventsPending: number;
  /** Bytes of those pending events (the quantity `maxBufferedBytes` bounds). */
  bufferedBytes: number;
  /** Records the service acknowledged. */
  recordsSent: number;
  /** Data bytes of those records. */
  bytesSent: number;
  /** Firehose billing increments (5 KB) of those records; 0 in root-stream mode. */
  billedUnits: number;
  /** API calls made. */
  calls: number;
  /** Calls that failed as a whole. */
  callErrors: number;
  /** Calls that resent failed records (attempt 2 and later). */
  retries: number;
  /** Records resent. */
  recordsRetried: number;
}

/** The public face of the tracker. */
export interface Tracker {
  /**
   * Accepts one event for `app/eventType`. Throws synchronously (UnknownEventTypeError,
   * InvalidEventError, EventTooLargeError, TrackerClosedError, and BufferFullError with
   * `onBufferFull: 'fail'`). Returns a promise that resolves once the event is in the buffer:
   * at once when there is room, later when `onBufferFull: 'wait'` applies backpressure. It never rejects.
   */
  track(app: string, eventType: string, event: object): Promise<void>;
  /** Sends everything tracked so far and waits for the outcome; rejects with DeliveryError for unreported failures. */
  flush(): Promise<void>;
  /** Flushes, stops timers, releases the clients it created; later `track` calls throw TrackerClosedError. */
  close(): Promise<void>;
  /** Snapshot of the running totals. */
  metrics(): TrackerMetrics;
  /** Known event types, environment, region and streams. */
  readonly catalog: Catalog;
  /** The resolved options. */
  readonly options: ResolvedOptions;
}

interface PendingEvent {
  readonly app: string;
  readonly eventType: string;
  readonly eventId: string;
  readonly json: string;
  readonly bytes: number;
}

interface Lane {
  readonly destination: string;
  /** Sealed records waiting for a call, and their limit cost. */
  sealed: SealedRecord[];
  sealedCost: number;
  /** Events of the packed record being filled. */
  open: PendingEvent[];
  openBytes: number;
  timer: NodeJS.Timeout | undefined;
}

interface SealedRecord {
  readonly events: readonly PendingEvent[];
  readonly data: Buffer;
  readonly partitionKey?: string;
  /** Data (+ partition key in Kinesis) bytes: what the call limits count. */
  readonly cost: number;
  /** Sum of the events' bytes: what the buffer bound counts. */
  readonly eventBytes: number;
  attempts: number;
}

interface TypeRoute {
  readonly entry: CatalogEntry;
  readonly lane: Lane;
  readonly head: string;
}

interface Waiter {
  readonly route: TypeRoute;
  readonly event: PendingEvent;
  readonly resolve: () => void;
  admitted: boolean;
}

const RESOLVED: Promise<void> = Promise.resolve();

/** Creates a tracker. Throws typed errors for bad options, config, environment, project, region or mode. */
export function createTracker(options: TrackerOptions): Tracker {
  return new TrackerImpl(options);
}

class TrackerImpl implements Tracker {
  public readonly catalog: Catalog;
  public readonly options: ResolvedOptions;

  private readonly sink: Sink;
  private readonly ownedClient: { destroy(): void } | undefined;
  private readonly routes = new Map<string, Map<string, TypeRoute>>();
  private readonly lanes: Lane[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly waiters: Waiter[] = [];
  private readonly unreported: FailedEvent[] = [];
  private readonly recordLimit: number;
  private readonly direct: boolean;
  private readonly m: TrackerMetrics = {
    eventsAccepted: 0,
    eventsDelivered: 0,
    eventsFailed: 0,
    eventsPending: 0,
    bufferedBytes: 0,
    recordsSent: 0,
    bytesSent: 0,
    billedUnits: 0,
    calls: 0,
    callErrors: 0,
    retries: 0,
    recordsRetried: 0,
  };
  private activeCalls = 0;
  /** Batches dispatched and not yet settled. */
  private batches = 0;
  private readonly callQueue: (() => void)[] = [];
  private closed = false;
  private closing: Promise<void> | undefined;

  public constructor(options: TrackerOptions) {
    this.options = resolveOptions(options);
    const o = this.options;
    this.catalog = loadCatalog(o);
    this.direct = o.mode === 'direct';
    const clientConfig = {
      region: this.catalog.region,
      ...(o.endpoint !== undefined ? { endpoint: o.endpoint } : {}),
      ...(o.credentials !== undefined ? { credentials: o.credentials } : {}),
      // The tracker retries failed entries itself, within retryDeadlineMs.
      maxAttempts: 1,
      // HTTP/1.1 (the Kinesis client would default to HTTP/2, which PutRecords does not need).
      requestHandler: new NodeHttpHandler({ requestTimeout: o.requestTimeoutMs, throwOnRequestTimeout: true }),
    };
    if (this.direct) {
      const client = o.firehoseClient ?? new FirehoseClient(clientConfig);
      this.ownedClient = o.firehoseClient === undefined ? client : undefined;
      this.sink = firehoseSink(client);
    } else {
      const client = o.kinesisClient ?? new KinesisClient(clientConfig);
      this.ownedClient = o.kinesisClient === undefined ? client : undefined;
      this.sink = kinesisSink(client);
    }
    this.recordLimit = this.sink.limits.maxRecordBytes;

    const rootLane = this.direct ? undefined : this.newLane(this.catalog.rootStream!);
    for (const [app, types] of this.catalog.apps) {
      const routes = new Map<string, TypeRoute>();
      for (const [eventType, entry] of types) {
        routes.set(eventType, { entry, lane: rootLane ?? this.newLane(entry.deliveryStream), head: envelopeHead(app, eventType) });
      }
      this.routes.set(app, routes);
    }
  }

  public track(app: string, eventType: string, event: object): Promise<void> {
    if (this.closed) throw new TrackerClosedError();
    const route = this.routes.get(app)?.get(eventType);
    if (route === undefined) throw new UnknownEventTypeError(app, eventType, unknownHint(this.catalog, app));
    const { eventId, json } = envelope(app, eventType, route.head, event);
    const bytes = Buffer.byteLength(json);
    const cost = this.direct ? bytes : bytes + Buffer.byteLength(eventId);
    if (cost > this.recordLimit) throw new EventTooLargeError(cost, this.recordLimit, route.lane.destination);
    const pending: PendingEvent = { app, eventType, eventId, json, bytes };

    const m = this.m;
    if (this.waiters.length === 0 && (m.bufferedBytes + bytes <= this.options.maxBufferedBytes || m.bufferedBytes === 0)) {
      this.admit(route, pending);
      return RESOLVED;
    }
    if (this.options.onBufferFull === 'fail') throw new BufferFullError(m.bufferedBytes, this.options.maxBufferedBytes);
    // Just filled up with nothing in flight to free room: send what is buffered now rather than
    // when the batch timers fire. (With batches in flight, the last to settle does it.)
    if (this.waiters.length === 0 && this.batches === 0) this.dispatchAll();
    return new Promise<void>((resolve) => {
      this.waiters.push({ route, event: pending, resolve, admitted: false });
    });
  }

  public async flush(): Promise<void> {
    // Everything tracked before this call: admitted events, and waiters up to the last one queued.
    const last = this.waiters[this.waiters.length - 1];
    for (;;) {
      const lastPending = last !== undefined && !last.admitted;
      this.dispatchAll();
      const snapshot = [...this.inFlight];
      if (snapshot.length === 0 && lastPending) {
        // Cannot happen (waiters exist only while bytes are buffered), but never spin.
        this.admitWaiters(true);
        continue;
      }
      await Promise.all(snapshot);
      if (!lastPending) break;
    }
    if (this.unreported.length > 0) throw new DeliveryError(this.unreported.splice(0));
  }

  public close(): Promise<void> {
    if (this.closing === undefined) {
      this.closed = true;
      this.closing = this.drain();
    }
    return this.closing;
  }

  public metrics(): TrackerMetrics {
    return { ...this.m };
  }

  private async drain(): Promise<void> {
    let failure: unknown;
    try {
      // No new events can arrive; each round admits waiters as deliveries free room.
      while (this.waiters.length > 0 || this.m.eventsPending > 0) {
        try {
          await this.flush();
        } catch (err) {
          failure = err instanceof DeliveryError && failure instanceof DeliveryError ? new DeliveryError([...failure.failures, ...err.failures]) : err;
        }
      }
      if (this.unreported.length > 0) {
        const rest = new DeliveryError(this.unreported.splice(0));
        failure = failure instanceof DeliveryError ? new DeliveryError([...failure.failures, ...rest.failures]) : rest;
      }
    } finally {
      for (const lane of this.lanes) this.stopTimer(lane);
      this.ownedClient?.destroy();
    }
    if (failure !== undefined) throw failure;
  }

  // -------------------------------------------------------------------------------------------
  // Buffering

  private newLane(destination: string): Lane {
    const lane: Lane = { destination, sealed: [], sealedCost: 0, open: [], openBytes: 0, timer: undefined };
    this.lanes.push(lane);
    return lane;
  }

  private admit(route: TypeRoute, event: PendingEvent): void {
    const m = this.m;
    m.eventsAccepted++;
    m.eventsPending++;
    m.bufferedBytes += event.bytes;
    const lane = route.lane;
    const o = this.options;
    if (!o.packing || event.bytes > o.packedRecordBytes) {
      this.seal(lane, [event]);
    } else {
      if (lane.open.length > 0 && lane.openBytes + 1 + event.bytes > o.packedRecordBytes) this.sealOpen(lane);
      lane.openBytes += lane.open.length > 0 ? event.bytes + 1 : event.bytes;
      lane.open.push(event);
    }
    if (lane.timer === undefined && (lane.open.length > 0 || lane.sealed.length > 0)) {
      lane.timer = setTimeout(() => {
        lane.timer = undefined;
        this.dispatchLane(lane);
      }, o.maxBatchDelayMs);
    }
  }

  private sealOpen(lane: Lane): void {
    const events = lane.open;
    lane.open = [];
    lane.openBytes = 0;
    this.seal(lane, events);
  }

  private seal(lane: Lane, events: readonly PendingEvent[]): void {
    const first = events[0]!;
    let eventBytes = 0;
    for (const e of events) eventBytes += e.bytes;
    let data: Buffer;
    if (events.length === 1) data = Buffer.from(first.json);
    else {
      // One allocation of the exact size: each event's bytes are known since track().
      data = Buffer.allocUnsafe(eventBytes + events.length - 1);
      let offset = 0;
      for (const e of events) {
        if (offset > 0) data[offset++] = 0x0a; // '\n'
        offset += data.write(e.json, offset);
      }
    }
    const record: SealedRecord = this.direct
      ? { events, data, cost: data.length, eventBytes, attempts: 0 }
      : { events, data, partitionKey: first.eventId, cost: data.length + Buffer.byteLength(first.eventId), eventBytes, attempts: 0 };
    const limits = this.sink.limits;
    if (lane.sealed.length >= limits.maxRecordsPerCall || lane.sealedCost + record.cost > limits.maxBytesPerCall) this.dispatchSealed(lane);
    lane.sealed.push(record);
    lane.sealedCost += record.cost;
    if (lane.sealed.length >= limits.maxRecordsPerCall || lane.sealedCost >= limits.maxBytesPerCall) this.dispatchSealed(lane);
  }

  /** Sends everything a lane holds, including the record being packed. */
  private dispatchLane(lane: Lane): void {
    if (lane.open.length > 0) this.sealOpen(lane);
    this.dispatchSealed(lane);
    this.stopTimer(lane);
  }

  private dispatchAll(): void {
    for (const lane of this.lanes) if (lane.open.length > 0 || lane.sealed.length > 0) this.dispatchLane(lane);
  }

  private dispatchSealed(lane: Lane): void {
    if (lane.sealed.length === 0) return;
    const batch = lane.sealed;
    lane.sealed = [];
    lane.sealedCost = 0;
    if (lane.open.length === 0) this.stopTimer(lane);
    this.batches++;
    const p = this.deliver(lane.destination, batch);
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private stopTimer(lane: Lane): void {
    if (lane.timer !== undefined) {
      clearTimeout(lane.timer);
      lane.timer = undefined;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Delivery and retries

  /** Sends one batch until every record is acknowledged or reported failed. Never rejects. */
  private async deliver(destination: string, batch: readonly SealedRecord[]): Promise<void> {
    const o = this.options;
    const deadline = Date.now() + o.retryDeadlineMs;
    let pending = batch;
    let lastError = new Map<SealedRecord, { code: string; message: string }>();
    let attempt = 0;
    try {
      while (pending.length > 0) {
        if (attempt > 0) {
          const remaining = deadline - Date.now();
          if (remaining <= 0) break;
          await this.sleep(Math.min(backoffDelay(attempt, o.retryBaseDelayMs, o.retryMaxDelayMs), remaining));
        }
        attempt++;
        const result = await this.call(destination, pending, attempt);
        if (result.kind === 'call-error') {
          lastError = new Map(pending.map((r) => [r, result.error]));
          if (!result.retryable) break;
        } else {
          const next: SealedRecord[] = [];
          const errors = new Map<SealedRecord, { code: string; message: string }>();
          const fatal: SealedRecord[] = [];
          pending.forEach((record, i) => {
            const outcome = result.outcomes[i];
            if (outcome === undefined) this.delivered(record);
            else {
              errors.set(record, outcome);
              if (isRetryableEntryError(outcome.code)) next.push(record);
              else fatal.push(record);
            }
          });
          if (fatal.length > 0) this.failed(destination, fatal, errors);
          pending = next;
          lastError = errors;
        }
        if (pending.length > 0 && Date.now() >= deadline) break;
      }
    } catch (err) {
      // A bug or a throwing callback: still report rather than lose.
      const c = classifyCallError(err);
      for (const r of pending) if (!lastError.has(r)) lastError.set(r, { code: c.code, message: c.message });
    }
    if (pending.length > 0) this.failed(destination, pending, lastError);
    this.batches--;
    // Waiters admitted as this batch settled sit in lanes below their thresholds: when nothing
    // else is in flight to free room, send them now rather than at the batch timer.
    if (this.batches === 0 && this.waiters.length > 0) this.dispatchAll();
  }

  private async call(
    destination: string,
    records: readonly SealedRecord[],
    attempt: number,
  ): Promise<
    | { kind: 'ok'; outcomes: EntryOutcome[] }
    | { kind: 'call-error'; retryable: boolean; error: { code: string; message: string } }
  > {
    await this.acquire();
    const m = this.m;
    m.calls++;
    if (attempt > 1) {
      m.retries++;
      m.recordsRetried += records.length;
    }
    let bytes = 0;
    let events = 0;
    for (const r of records) {
      r.attempts++;
      bytes += r.data.length;
      events += r.events.length;
    }
    const base = { destination, attempt, records: records.length, events, bytes };
    try {
      const outcomes = await this.sink.send(destination, records);
      let failedRecords = 0;
      let units = 0;
      outcomes.forEach((o, i) => {
        if (o !== undefined) failedRecords++;
        else if (this.direct) units += billedUnits(records[i]!.data.length);
      });
      this.emit({ ...base, acceptedRecords: records.length - failedRecords, failedRecords, billedUnits: units });
      return { kind: 'ok', outcomes };
    } catch (err) {
      m.callErrors++;
      const c = classifyCallError(err);
      this.emit({ ...base, acceptedRecords: 0, failedRecords: records.length, billedUnits: 0, callError: c.code });
      return { kind: 'call-error', retryable: c.retryable, error: { code: c.code, message: c.message } };
    } finally {
      this.release();
    }
  }

  private delivered(record: SealedRecord): void {
    const m = this.m;
    m.recordsSent++;
    m.bytesSent += record.data.length;
    if (this.direct) m.billedUnits += billedUnits(record.data.length);
    m.eventsDelivered += record.events.length;
    this.settle(record);
  }

  private failed(destination: string, records: readonly SealedRecord[], errors: ReadonlyMap<SealedRecord, { code: string; message: string }>): void {
    const failures: FailedEvent[] = [];
    for (const record of records) {
      const err = errors.get(record) ?? { code: 'Unknown', message: 'no error recorded' };
      for (const e of record.events) {
        failures.push({
          app: e.app,
          eventType: e.eventType,
          eventId: e.eventId,
          data: e.json,
          errorCode: err.code,
          errorMessage: err.message,
          destination,
          attempts: record.attempts,
        });
      }
      this.m.eventsFailed += record.events.length;
      this.settle(record);
    }
    const callback = this.options.onDeliveryFailure;
    if (callback === undefined) {
      this.unreported.push(...failures);
      return;
    }
    try {
      callback(failures);
    } catch (err) {
      // The callback failed: keep the events so that flush()/close() still report them.
      this.unreported.push(...failures);
      process.emitWarning(`tracker onDeliveryFailure threw: ${(err as Error).message}`, 'TrackerWarning');
    }
  }

  private settle(record: SealedRecord): void {
    const m = this.m;
    m.eventsPending -= record.events.length;
    m.bufferedBytes -= record.eventBytes;
    this.admitWaiters(false);
  }

  private admitWaiters(force: boolean): void {
    const max = this.options.maxBufferedBytes;
    while (this.waiters.length > 0) {
      const w = this.waiters[0]!;
      const bytes = this.m.bufferedBytes;
      if (!force && bytes + w.event.bytes > max && bytes !== 0) return;
      this.waiters.shift();
      w.admitted = true;
      this.admit(w.route, w.event);
      w.resolve();
      force = false;
    }
  }

  private emit(call: CallMetrics): void {
    const cb = this.options.onMetrics;
    if (cb === undefined) return;
    try {
      cb(call);
    } catch (err) {
      process.emitWarning(`tracker onMetrics threw: ${(err as Error).message}`, 'TrackerWarning');
    }
  }

  private acquire(): Promise<void> {
    if (this.activeCalls < this.options.maxConcurrentRequests) {
      this.activeCalls++;
      return RESOLVED;
    }
    return new Promise((resolve) => this.callQueue.push(resolve));
  }

  private release(): void {
    const next = this.callQueue.shift();
    if (next !== undefined) next();
    else this.activeCalls--;
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0) return RESOLVED;
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}
