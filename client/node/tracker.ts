/**
 * The tracker: routes each event to its stream, buffers per stream, packs small events into
 * records, and hands full batches to the shared send engine (lib/send.ts), which sends within
 * AWS's call limits, retries only what failed and counts only what AWS confirmed. The tracker
 * bounds memory, bounds time (every call, every retry window, every flush()/close()), and reports
 * every event it could not deliver. See docs/client.md.
 */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { joinLines, LinePacker } from '../../lib/batching';
import { Slots } from '../../lib/deadline';
import { compileProgram, type ContractSchemaNode } from '../../lib/contract-program';
import { linkProgram, validateSerialized, type LinkedNode } from '../../lib/contract-validator';
import { buildEnvelope, envelopeHead } from '../../lib/envelope';
import { firehoseSink } from '../../lib/firehose';
import { kinesisSink } from '../../lib/kinesis';
import { billedUnits } from '../../lib/limits';
import { ERROR_CODES } from '../../lib/retry';
import { sendRecords, type CallReport, type RecordOutcome, type SendWindow } from '../../lib/send';
import type { Sink } from '../../lib/sink';
import { loadCatalog, unknownHint, type Catalog, type CatalogEntry, type EventMap, type EventsOf, type TrackingCatalog } from './catalog';
import {
  BufferFullError,
  CatalogError,
  ContractViolationError,
  DeliveryError,
  EventNotAcceptedError,
  EventTooLargeError,
  InvalidEventError,
  TrackerClosedError,
  UnknownEventTypeError,
  type FailedEvent,
} from './errors';
import {
  resolveOptions,
  shutdownTimeout,
  type AnyTrackerOptions,
  type CallMetrics,
  type CatalogTrackerOptions,
  type ResolvedOptions,
  type ShutdownOptions,
  type TrackerOptions,
} from './options';

/** Error code of an event `validate: 'report'` kept back because it broke its contract. */
export const CONTRACT_VIOLATION = 'ContractViolation';

/** Running totals; `tracker.metrics()` returns a snapshot. Invariant: tracked = delivered + failed + pending + waiting. */
export interface TrackerMetrics {
  /** `track()` calls that returned a promise (accepted at once, or waiting for room). */
  eventsTracked: number;
  /** Events admitted into the buffer. */
  eventsAccepted: number;
  /** Events in records AWS confirmed (a RecordId or a SequenceNumber). */
  eventsDelivered: number;
  /** Events reported failed (onDeliveryFailure or DeliveryError), waiting calls released at a deadline included. */
  eventsFailed: number;
  /** Accepted events neither delivered nor failed yet. */
  eventsPending: number;
  /** Bytes of those pending events (the quantity `maxBufferedBytes` bounds). */
  bufferedBytes: number;
  /** `track()` calls waiting for room (`onBufferFull: 'wait'`). */
  eventsWaiting: number;
  /** Bytes of the events of those calls. */
  waitingBytes: number;
  /** Records AWS confirmed. */
  recordsSent: number;
  /** Data bytes of those records. */
  bytesSent: number;
  /** Firehose billing increments (5 KB = 5,120 bytes) of those records; 0 in root-stream mode. */
  billedUnits: number;
  /** API calls made. */
  calls: number;
  /** Calls that failed as a whole (cut off by a timeout or a deadline included). */
  callErrors: number;
  /** Calls that resent failed records (attempt 2 and later). */
  retries: number;
  /** Records resent. */
  recordsRetried: number;
  /**
   * Events that broke their contract (`validate: 'report'`: reported and counted failed;
   * `'throw'`: refused by `track()`, so not counted as tracked).
   */
  contractViolations: number;
}

/** The public face of the tracker. */
export interface Tracker<M extends EventMap = EventMap> {
  /**
   * Accepts one event for `app/eventType`. Throws synchronously (UnknownEventTypeError,
   * InvalidEventError, ContractViolationError with `validate: 'throw'`, EventTooLargeError,
   * TrackerClosedError, and BufferFullError with `onBufferFull: 'fail'`). Returns a promise that resolves once the event is in the buffer: at
   * once when there is room, later when `onBufferFull: 'wait'` applies backpressure. If a
   * `flush()` / `close()` deadline ends while it waits, it rejects with EventNotAcceptedError
   * (and the event is reported through onDeliveryFailure / DeliveryError); that rejection never
   * becomes an unhandled rejection when the promise is not awaited.
   */
  track<A extends keyof M & string, T extends keyof M[A] & string>(app: A, eventType: T, event: M[A][T]): Promise<void>;
  /**
   * Sends everything tracked so far and waits until each of those events is delivered or reported,
   * for at most `timeoutMs` (default retryDeadlineMs + requestTimeoutMs). Rejects with
   * DeliveryError for failures not given to onDeliveryFailure.
   */
  flush(options?: ShutdownOptions): Promise<void>;
  /**
   * Stops accepting events (later `track` calls throw TrackerClosedError), delivers or reports every
   * event within `timeoutMs` (default retryDeadlineMs + requestTimeoutMs), stops timers and
   * releases the clients it created. Settles within that bound whatever the server does. Rejects
   * with DeliveryError for failures not given to onDeliveryFailure. A second call returns the same
   * promise (its `timeoutMs` can only bring the deadline forward).
   */
  close(options?: ShutdownOptions): Promise<void>;
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
  /** Order of the track() call: flush() covers the events tracked before it. */
  readonly seq: number;
}

interface SealedRecord {
  readonly events: readonly PendingEvent[];
  readonly data: Buffer;
  readonly partitionKey?: string;
  /** What the call limits count (data, + partition key in Kinesis). */
  readonly cost: number;
  /** Sum of the events' bytes: what the buffer bound counts. */
  readonly eventBytes: number;
}

interface Lane {
  readonly destination: string;
  readonly packer: LinePacker<PendingEvent>;
  /** Sealed records waiting for a call, and their limit cost. */
  sealed: SealedRecord[];
  sealedCost: number;
  timer: NodeJS.Timeout | undefined;
}

interface Batch {
  readonly destination: string;
  readonly records: readonly SealedRecord[];
  /** Lowest event seq in the batch: a cutoff covering it covers the batch. */
  readonly minSeq: number;
  readonly abort: AbortController;
  done?: Promise<void>;
  /** The flush()/close() deadline that set this batch's deadline, if one did. */
  cappedBy?: Cutoff;
}

interface TypeRoute {
  readonly entry: CatalogEntry;
  readonly lane: Lane;
  readonly head: string;
  /** The linked contract to check each event against (validate on, contract in enforce mode). */
  readonly contract: LinkedNode | undefined;
}

interface Waiter {
  readonly route: TypeRoute;
  readonly event: PendingEvent;
  readonly promise: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/** A flush()/close() deadline: at `at`, everything tracked up to `seq` is settled one way or the other. */
interface Cutoff {
  at: number;
  readonly seq: number;
  readonly by: 'flush' | 'close';
  timer: NodeJS.Timeout | undefined;
  expired: boolean;
  readonly fired: Promise<void>;
  readonly fire: () => void;
}

/** FIFO with O(1) shift whatever its length (Array#shift copies large arrays). */
class Queue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  public get length(): number {
    return this.items.length - this.head;
  }

  public push(item: T): void {
    this.items.push(item);
  }

  public peek(): T | undefined {
    return this.items[this.head];
  }

  public shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

const RESOLVED: Promise<void> = Promise.resolve();
const noop = (): void => undefined;

/**
 * Creates a tracker from a catalog module (`npx tracking types --out <dir>`): `track()` is typed by
 * the catalog, and `environment` must be one of its environments.
 * Throws typed errors for bad options, catalog, environment, project, region or mode.
 */
export function createTracker<C extends TrackingCatalog>(options: CatalogTrackerOptions<C>): Tracker<EventsOf<C>>;
/**
 * Creates a tracker from a synthesized manifest; `M` (e.g. `TrackingEvents` of a catalog module)
 * types `track()`. Throws typed errors for bad options, manifest, environment, project, region or mode.
 */
export function createTracker<M extends EventMap = EventMap>(options: TrackerOptions): Tracker<M>;
export function createTracker(options: AnyTrackerOptions): Tracker {
  // The implementation checks app and event type at run time whatever the types say; they only type the calls.
  return new TrackerImpl(options);
}

class TrackerImpl implements Tracker {
  public readonly catalog: Catalog;
  public readonly options: ResolvedOptions;

  private readonly sink: Sink;
  private readonly ownedClient: { destroy(): void } | undefined;
  private readonly routes = new Map<string, Map<string, TypeRoute>>();
  private readonly lanes: Lane[] = [];
  private readonly inFlight = new Set<Batch>();
  private readonly waiters = new Queue<Waiter>();
  private readonly unreported: FailedEvent[] = [];
  private readonly cutoffs: Cutoff[] = [];
  private readonly slots: Slots;
  private readonly recordLimit: number;
  private readonly direct: boolean;
  private readonly m: TrackerMetrics = {
    eventsTracked: 0,
    eventsAccepted: 0,
    eventsDelivered: 0,
    eventsFailed: 0,
    eventsPending: 0,
    bufferedBytes: 0,
    eventsWaiting: 0,
    waitingBytes: 0,
    recordsSent: 0,
    bytesSent: 0,
    billedUnits: 0,
    calls: 0,
    callErrors: 0,
    retries: 0,
    recordsRetried: 0,
    contractViolations: 0,
  };
  private nextSeq = 0;
  /** Where events are encoded for the contract check (grows to the largest event checked). */
  private scratch = Buffer.allocUnsafe(4096);
  private closed = false;
  private closing: Promise<void> | undefined;
  private closeCutoff: Cutoff | undefined;

  public constructor(options: AnyTrackerOptions) {
    this.options = resolveOptions(options);
    const o = this.options;
    this.catalog = loadCatalog(o);
    this.direct = o.mode === 'direct';
    this.slots = new Slots(o.maxConcurrentRequests);
    const clientConfig = {
      region: this.catalog.region,
      ...(o.endpoint !== undefined ? { endpoint: o.endpoint } : {}),
      ...(o.credentials !== undefined ? { credentials: o.credentials } : {}),
      // The tracker retries failed entries itself, within retryDeadlineMs.
      maxAttempts: 1,
      // HTTP/1.1 (the Kinesis client would default to HTTP/2, which PutRecords does not need).
      // The tracker's own AbortSignal bounds every call; these timeouts only close sockets early.
      requestHandler: new NodeHttpHandler({
        connectionTimeout: o.requestTimeoutMs,
        requestTimeout: o.requestTimeoutMs,
        throwOnRequestTimeout: true,
      }),
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
    // Contracts are compiled and linked here, once per distinct schema, so that a bad one fails createTracker.
    const linked = new Map<string, LinkedNode>();
    for (const [app, types] of this.catalog.apps) {
      const routes = new Map<string, TypeRoute>();
      for (const [eventType, entry] of types) {
        const contract = o.validate !== 'off' && entry.contract?.mode === 'enforce' ? this.link(entry, linked) : undefined;
        routes.set(eventType, { entry, lane: rootLane ?? this.newLane(entry.deliveryStream), head: envelopeHead(app, eventType), contract });
      }
      this.routes.set(app, routes);
    }
  }

  public track(app: string, eventType: string, event: object): Promise<void> {
    if (this.closed) throw new TrackerClosedError();
    const route = this.routes.get(app)?.get(eventType);
    if (route === undefined) throw new UnknownEventTypeError(app, eventType, unknownHint(this.catalog, app));
    const env = buildEnvelope(app, eventType, event, { head: route.head });
    if (!env.ok) {
      throw new InvalidEventError(`event of ${app}/${eventType} ${env.message}`, env.cause !== undefined ? { cause: env.cause } : undefined);
    }
    const json = env.json;
    const bytes = Buffer.byteLength(json);
    const cost = this.direct ? bytes : bytes + Buffer.byteLength(env.eventId);
    if (cost > this.recordLimit) throw new EventTooLargeError(cost, this.recordLimit, route.lane.destination);

    const m = this.m;
    const o = this.options;
    if (route.contract !== undefined) {
      // The bytes checked are the bytes that would be sent (JSON.stringify wrote them: compact, valid
      // UTF-8), encoded into a reused buffer: no allocation per event.
      if (this.scratch.length < bytes) this.scratch = Buffer.allocUnsafe(Math.max(bytes, this.scratch.length * 2));
      this.scratch.write(json, 0, bytes, 'utf8');
      const result = validateSerialized(this.scratch.subarray(0, bytes), route.contract);
      const first = result.first;
      if (first !== undefined) {
        m.contractViolations++;
        if (o.validate === 'throw') throw new ContractViolationError(app, eventType, first.keyword, first.schemaPath);
        // 'report': never buffered, never sent, never delivered; reported like any failed event.
        m.eventsTracked++;
        m.eventsFailed++;
        this.nextSeq++;
        this.report([
          {
            app,
            eventType,
            eventId: env.eventId,
            data: json,
            errorCode: CONTRACT_VIOLATION,
            errorMessage: `violates the contract of ${app}/${eventType}: ${first.keyword} at ${first.schemaPath}`,
            destination: route.lane.destination,
            attempts: 0,
          },
        ]);
        return RESOLVED;
      }
    }
    const fits = this.waiters.length === 0 && (m.bufferedBytes + bytes <= o.maxBufferedBytes || m.bufferedBytes === 0);
    if (!fits && o.onBufferFull === 'fail') throw new BufferFullError(m.bufferedBytes, o.maxBufferedBytes);
    const pending: PendingEvent = { app, eventType, eventId: env.eventId, json, bytes, seq: this.nextSeq++ };
    m.eventsTracked++;
    if (fits) {
      this.admit(route, pending);
      return RESOLVED;
    }
    // Just filled up with nothing in flight to free room: send what is buffered now rather than
    // when the batch timers fire. (With batches in flight, the last to settle does it.)
    if (this.waiters.length === 0 && this.inFlight.size === 0) this.dispatchAll();
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.waiters.push({ route, event: pending, promise, resolve, reject });
    m.eventsWaiting++;
    m.waitingBytes += bytes;
    return promise;
  }

  /** Compiles and links an event type's contract with the pipeline's own compiler and validator (shared by identical schemas). */
  private link(entry: CatalogEntry, cache: Map<string, LinkedNode>): LinkedNode {
    const contract = entry.contract!;
    const key = JSON.stringify(contract.schema);
    let root = cache.get(key);
    if (root === undefined) {
      try {
        root = linkProgram(compileProgram(contract.schema as unknown as ContractSchemaNode));
      } catch (err) {
        throw new CatalogError(
          `the contract of ${entry.key} in ${this.catalog.source} cannot be compiled (${(err as Error).message}); regenerate the catalog with \`npx tracking types --out <dir>\``,
        );
      }
      cache.set(key, root);
    }
    return root;
  }

  public flush(options?: ShutdownOptions): Promise<void> {
    // Bad options throw at once, as they do for close().
    return this.flushWithin(shutdownTimeout(this.options, options));
  }

  private async flushWithin(timeoutMs: number): Promise<void> {
    const cut = this.addCutoff(Date.now() + timeoutMs, this.nextSeq - 1, 'flush');
    try {
      await this.drain(cut);
    } finally {
      this.removeCutoff(cut);
    }
    if (this.unreported.length > 0) throw new DeliveryError(this.unreported.splice(0));
  }

  public close(options?: ShutdownOptions): Promise<void> {
    const at = Date.now() + shutdownTimeout(this.options, options);
    if (this.closing === undefined) {
      this.closed = true;
      const cut = this.addCutoff(at, Number.POSITIVE_INFINITY, 'close');
      this.closeCutoff = cut;
      this.closing = this.shutdown(cut);
    } else if (this.closeCutoff !== undefined && !this.closeCutoff.expired && at < this.closeCutoff.at) {
      this.arm(this.closeCutoff, at);
    }
    return this.closing;
  }

  public metrics(): TrackerMetrics {
    return { ...this.m };
  }

  private async shutdown(cut: Cutoff): Promise<void> {
    try {
      await this.drain(cut);
    } finally {
      this.removeCutoff(cut);
      for (const lane of this.lanes) this.stopTimer(lane);
      // Also destroys sockets of calls the tracker stopped waiting for.
      this.ownedClient?.destroy();
    }
    if (this.unreported.length > 0) throw new DeliveryError(this.unreported.splice(0));
  }

  // -------------------------------------------------------------------------------------------
  // Deadlines of flush() and close()

  private addCutoff(at: number, seq: number, by: 'flush' | 'close'): Cutoff {
    let fire!: () => void;
    const fired = new Promise<void>((resolve) => (fire = resolve));
    const cut: Cutoff = { at, seq, by, timer: undefined, expired: false, fired, fire };
    this.cutoffs.push(cut);
    this.arm(cut, at);
    return cut;
  }

  private arm(cut: Cutoff, at: number): void {
    cut.at = at;
    if (cut.timer !== undefined) clearTimeout(cut.timer);
    cut.timer = setTimeout(() => this.expire(cut), Math.max(0, at - Date.now()));
    // A tighter deadline applies to batches already in flight: the expiry aborts them.
  }

  private removeCutoff(cut: Cutoff): void {
    if (cut.timer !== undefined) clearTimeout(cut.timer);
    cut.timer = undefined;
    const i = this.cutoffs.indexOf(cut);
    if (i >= 0) this.cutoffs.splice(i, 1);
  }

  /** The deadline of `cut` has come: cut off its batches, send nothing more for it, release its waiters. */
  private expire(cut: Cutoff): void {
    if (cut.timer !== undefined) clearTimeout(cut.timer);
    cut.timer = undefined;
    if (!cut.expired) {
      cut.expired = true;
      for (const batch of this.inFlight) if (batch.minSeq <= cut.seq) batch.abort.abort();
    }
    // Waiting calls it covers (FIFO by seq): released all at once, each reported once.
    const released: Waiter[] = [];
    while (this.waiters.length > 0 && this.waiters.peek()!.event.seq <= cut.seq) released.push(this.waiters.shift()!);
    if (released.length > 0) this.release(released, cut.by);
    // Events admitted since the last dispatch: their batches start past the deadline, so the
    // engine reports them without a call.
    this.dispatchAll();
    cut.fire();
  }

  /**
   * Waits until every event `cut` covers is delivered or reported, or until its deadline, then
   * until the batches it cut off have reported (at once: the engine stops waiting for them).
   */
  private async drain(cut: Cutoff): Promise<void> {
    for (;;) {
      this.dispatchAll();
      const covered = this.coveredBatches(cut);
      const waiting = this.waiters.length > 0 && this.waiters.peek()!.event.seq <= cut.seq;
      if (covered.length === 0 && !waiting) break;
      if (cut.expired) {
        await Promise.all(covered);
        continue;
      }
      if (covered.length === 0) {
        // Cannot happen (a covered waiter waits only for covered batches), but never spin.
        this.admitWaiters(true);
        continue;
      }
      // Any batch settling may admit waiters and dispatch them: look again.
      await Promise.race([...covered, cut.fired]);
    }
  }

  /** A flush()/close() deadline that has come (timer run or not) and covers `seq`. */
  private dueCutoff(seq: number): Cutoff | undefined {
    if (this.cutoffs.length === 0) return undefined;
    const now = Date.now();
    for (const cut of this.cutoffs) if (seq <= cut.seq && (cut.expired || cut.at <= now)) return cut;
    return undefined;
  }

  private coveredBatches(cut: Cutoff): Promise<void>[] {
    const out: Promise<void>[] = [];
    for (const b of this.inFlight) if (b.minSeq <= cut.seq && b.done !== undefined) out.push(b.done);
    return out;
  }

  /**
   * Rejects waiting track() calls and reports their events (DeadlineExceeded, never sent). All of
   * them reject with one EventNotAcceptedError: tens of thousands may be released at once, and one
   * error (rather than one stack trace each) keeps that to milliseconds.
   */
  private release(waiters: readonly Waiter[], by: 'flush' | 'close'): void {
    const m = this.m;
    const error = new EventNotAcceptedError(waiters.length, by);
    const failures: FailedEvent[] = [];
    const message = `still waiting for buffer room at the ${by}() deadline; never sent`;
    for (const w of waiters) {
      const e = w.event;
      m.eventsWaiting--;
      m.waitingBytes -= e.bytes;
      m.eventsFailed++;
      failures.push({
        app: e.app,
        eventType: e.eventType,
        eventId: e.eventId,
        data: e.json,
        errorCode: ERROR_CODES.deadline,
        errorMessage: message,
        destination: w.route.lane.destination,
        attempts: 0,
      });
      // Handled here, so that a track() promise nobody awaits cannot crash the process.
      w.promise.catch(noop);
      w.reject(error);
    }
    this.report(failures);
  }

  // -------------------------------------------------------------------------------------------
  // Buffering

  private newLane(destination: string): Lane {
    const lane: Lane = {
      destination,
      packer: new LinePacker<PendingEvent>(this.options.packing ? this.options.packedRecordBytes : 1),
      sealed: [],
      sealedCost: 0,
      timer: undefined,
    };
    this.lanes.push(lane);
    return lane;
  }

  private admit(route: TypeRoute, event: PendingEvent): void {
    const m = this.m;
    m.eventsAccepted++;
    m.eventsPending++;
    m.bufferedBytes += event.bytes;
    const lane = route.lane;
    if (!this.options.packing) this.seal(lane, [event]);
    else {
      const sealed = lane.packer.add(event, event.bytes);
      if (sealed !== undefined) this.seal(lane, sealed);
    }
    if (lane.timer === undefined && (lane.packer.size > 0 || lane.sealed.length > 0)) {
      lane.timer = setTimeout(() => {
        lane.timer = undefined;
        this.dispatchLane(lane);
      }, this.options.maxBatchDelayMs);
    }
  }

  private seal(lane: Lane, events: readonly PendingEvent[]): void {
    let eventBytes = 0;
    for (const e of events) eventBytes += e.bytes;
    const data = joinLines(
      events.map((e) => e.json),
      eventBytes,
    );
    const record: SealedRecord = this.direct
      ? { events, data, cost: data.length, eventBytes }
      : { events, data, partitionKey: events[0]!.eventId, cost: data.length + Buffer.byteLength(events[0]!.eventId), eventBytes };
    const limits = this.sink.limits;
    if (lane.sealed.length >= limits.maxRecordsPerCall || lane.sealedCost + record.cost > limits.maxBytesPerCall) this.dispatchSealed(lane);
    lane.sealed.push(record);
    lane.sealedCost += record.cost;
    if (lane.sealed.length >= limits.maxRecordsPerCall || lane.sealedCost >= limits.maxBytesPerCall) this.dispatchSealed(lane);
  }

  /** Sends everything a lane holds, including the record being packed. */
  private dispatchLane(lane: Lane): void {
    const open = lane.packer.seal();
    if (open !== undefined) this.seal(lane, open);
    this.dispatchSealed(lane);
    this.stopTimer(lane);
  }

  private dispatchAll(): void {
    for (const lane of this.lanes) if (lane.packer.size > 0 || lane.sealed.length > 0) this.dispatchLane(lane);
  }

  private dispatchSealed(lane: Lane): void {
    if (lane.sealed.length === 0) return;
    const records = lane.sealed;
    lane.sealed = [];
    lane.sealedCost = 0;
    if (lane.packer.size === 0) this.stopTimer(lane);
    let minSeq = Number.POSITIVE_INFINITY;
    for (const r of records) for (const e of r.events) if (e.seq < minSeq) minSeq = e.seq;
    const batch: Batch = { destination: lane.destination, records, minSeq, abort: new AbortController() };
    this.inFlight.add(batch);
    batch.done = this.deliver(batch);
  }

  private stopTimer(lane: Lane): void {
    if (lane.timer !== undefined) {
      clearTimeout(lane.timer);
      lane.timer = undefined;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Delivery

  /** The batch's time: its own retry window, brought forward by any flush()/close() deadline covering it. */
  private windowOf(batch: Batch): SendWindow {
    const o = this.options;
    const now = Date.now();
    let retryUntil = now + o.retryDeadlineMs;
    let deadline = retryUntil + o.requestTimeoutMs;
    for (const cut of this.cutoffs) {
      if (batch.minSeq <= cut.seq && cut.at <= deadline) {
        deadline = cut.at;
        retryUntil = Math.min(retryUntil, cut.at);
        batch.cappedBy = cut;
      }
    }
    return { retryUntil, deadline, signal: batch.abort.signal };
  }

  /** Sends one batch through the engine until every record is confirmed or reported. Never rejects. */
  private async deliver(batch: Batch): Promise<void> {
    // Let the caller finish registering the batch (done) before anything can settle.
    await RESOLVED;
    const o = this.options;
    let outcomes: RecordOutcome<SealedRecord>[] = [];
    try {
      outcomes = await sendRecords(batch.destination, batch.records, {
        sink: this.sink,
        policy: { requestTimeoutMs: o.requestTimeoutMs, baseDelayMs: o.retryBaseDelayMs, maxDelayMs: o.retryMaxDelayMs },
        window: this.windowOf(batch),
        slots: this.slots,
        onCall: (report) => this.onCall(report),
        onOutcome: (outcome) => {
          if (outcome.status === 'confirmed') this.delivered(outcome.record);
        },
      });
    } finally {
      const failed = outcomes.filter((x): x is Extract<RecordOutcome<SealedRecord>, { status: 'failed' }> => x.status === 'failed');
      if (outcomes.length !== batch.records.length) {
        // The engine never rejects; should it ever, report rather than lose.
        const seen = new Set(outcomes.map((x) => x.record));
        for (const record of batch.records) {
          if (!seen.has(record)) failed.push({ status: 'failed', record, code: 'UnknownError', message: 'no outcome', retryable: true, attempts: 0 });
        }
      }
      this.inFlight.delete(batch);
      // This batch ran out of the time a flush()/close() deadline gave it: that deadline has come,
      // even if its own timer has not run yet (timers may fire a few ms apart). Expire it first, so
      // that the room freed below releases the calls still waiting instead of admitting them
      // into batches that could only fail.
      const cut = batch.cappedBy;
      if (cut !== undefined && !cut.expired && failed.some((f) => f.code === ERROR_CODES.deadline)) this.expire(cut);
      if (failed.length > 0) this.failed(batch.destination, failed);
      // Waiters admitted as this batch settled sit in lanes below their thresholds: when nothing
      // else is in flight, or while a flush()/close() drains, send them now rather than at the timer.
      if (this.waiters.length > 0 || this.cutoffs.length > 0) {
        if (this.inFlight.size === 0 || this.cutoffs.length > 0) this.dispatchAll();
      }
    }
  }

  private onCall(report: CallReport<SealedRecord>): void {
    const m = this.m;
    m.calls++;
    if (report.attempt > 1) {
      m.retries++;
      m.recordsRetried += report.records.length;
    }
    let bytes = 0;
    let events = 0;
    for (const r of report.records) {
      bytes += r.data.length;
      events += r.events.length;
    }
    let accepted = 0;
    let units = 0;
    if (report.results !== undefined) {
      report.results.forEach((res, i) => {
        if (!res.ok) return;
        accepted++;
        if (this.direct) units += billedUnits(report.records[i]!.data.length);
      });
    } else m.callErrors++;
    this.emit({
      destination: report.destination,
      attempt: report.attempt,
      records: report.records.length,
      events,
      bytes,
      acceptedRecords: accepted,
      failedRecords: report.records.length - accepted,
      billedUnits: units,
      ...(report.error !== undefined ? { callError: report.error.code } : {}),
    });
  }

  private delivered(record: SealedRecord): void {
    const m = this.m;
    m.recordsSent++;
    m.bytesSent += record.data.length;
    if (this.direct) m.billedUnits += billedUnits(record.data.length);
    m.eventsDelivered += record.events.length;
    this.settle(record);
  }

  private failed(destination: string, outcomes: readonly Extract<RecordOutcome<SealedRecord>, { status: 'failed' }>[]): void {
    const failures: FailedEvent[] = [];
    for (const outcome of outcomes) {
      const record = outcome.record;
      for (const e of record.events) {
        failures.push({
          app: e.app,
          eventType: e.eventType,
          eventId: e.eventId,
          data: e.json,
          errorCode: outcome.code,
          errorMessage: outcome.message,
          destination,
          attempts: outcome.attempts,
        });
      }
      this.m.eventsFailed += record.events.length;
      this.settle(record);
    }
    this.report(failures);
  }

  /** Gives failures to onDeliveryFailure, or keeps them for flush()/close() to reject with. */
  private report(failures: FailedEvent[]): void {
    if (failures.length === 0) return;
    const callback = this.options.onDeliveryFailure;
    if (callback === undefined) {
      for (const f of failures) this.unreported.push(f);
      return;
    }
    try {
      callback(failures);
    } catch (err) {
      // The callback failed: keep the events so that flush()/close() still report them.
      for (const f of failures) this.unreported.push(f);
      process.emitWarning(`tracker onDeliveryFailure threw: ${(err as Error)?.name ?? 'Error'}`, 'TrackerWarning');
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
    const m = this.m;
    while (this.waiters.length > 0) {
      const w = this.waiters.peek()!;
      if (!force && m.bufferedBytes + w.event.bytes > max && m.bufferedBytes !== 0) return;
      // Room came at or after a deadline that covers this call (its timer may not have run yet):
      // release it and the others that deadline covers now, rather than admit them into batches
      // that could only fail.
      const due = this.dueCutoff(w.event.seq);
      if (due !== undefined) {
        this.expire(due);
        continue;
      }
      this.waiters.shift();
      m.eventsWaiting--;
      m.waitingBytes -= w.event.bytes;
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
      process.emitWarning(`tracker onMetrics threw: ${(err as Error)?.name ?? 'Error'}`, 'TrackerWarning');
    }
  }
}
