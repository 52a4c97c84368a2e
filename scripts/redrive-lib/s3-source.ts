/**
 * Units from the events bucket: Firehose's error-output objects under `errors/` (source `errors`)
 * or the router's `unroutable/` objects (source `unroutable`).
 *
 * A finished object is marked, never deleted unless `--delete`:
 * - `--mark tag` (default): tags `tracking-redrive=done` and `tracking-redrive-at=<ISO time>`,
 *   merged with the object's own tags (S3 allows 10 per object); tagged objects are skipped later.
 * - `--mark move`: copied to `redriven/<key>` (same metadata and tags), then deleted from its key.
 * An object whose sendable lines were sent but which also holds lines that cannot be sent now
 * (malformed, an event type still missing) is split: those lines are written, unchanged, to a
 * remainder object next to it (`<key>.rest-<hash>.jsonl`), then the object is marked. Nothing is
 * ever dropped.
 */
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
  type Tag,
} from '@aws-sdk/client-s3';
import type { EnvironmentSpec } from '../../config/model';
import { ERROR_ROOT, errorPrefix, eventTypeKey, UNROUTABLE_ROOT } from '../../config/naming';
import type { Journal } from './journal';
import { objectLines, parseDeadLetter, parseErrorKey, parseFirehoseErrorLine, routeAction, routeEnvelope, sha256, type RouteTarget } from './records';
import { callWithRetries, type CallPolicy } from './retry-call';
import type { StreamReader } from './stream-reader';
import { RedriveError, UNKNOWN_TYPE, type Item, type Source, type SourceContext, type Unit, type UnitDone } from './types';

/** Prefix finished objects are moved under with `--mark move`. */
export const REDRIVEN_ROOT = 'redriven/';
/** Tags of a finished object (`--mark tag`). */
export const DONE_TAG = 'tracking-redrive';
export const DONE_AT_TAG = 'tracking-redrive-at';
/** S3's limit of tags per object. */
export const MAX_OBJECT_TAGS = 10;

export interface S3Unit extends Unit {
  readonly key: string;
  readonly etag: string;
  readonly lastModified?: number;
}

export interface S3SourceOptions {
  readonly kind: 'errors' | 'unroutable';
  readonly s3: Pick<S3Client, 'send'>;
  readonly bucket: string;
  readonly env: EnvironmentSpec;
  readonly journal: Journal;
  /** `app/type` keys to redrive. @default all */
  readonly types?: readonly string[];
  /** Objects last modified before this (epoch ms) cannot hold newer failures: not even read. @default none */
  readonly since?: number;
  /** @default 'tag' */
  readonly mark?: 'tag' | 'move';
  /** Delete finished objects instead of marking them. @default false */
  readonly deleteObjects?: boolean;
  /** unroutable: where routable records go. @default 'delivery' */
  readonly to?: RouteTarget;
  /** unroutable: reads records whose data a dead letter omitted. @default none (reported as failed) */
  readonly streams?: StreamReader;
  /** At most this many objects. @default all */
  readonly limit?: number;
  readonly policy?: CallPolicy;
  readonly now?: () => number;
}

export class S3Source implements Source<S3Unit> {
  public readonly name: 'errors' | 'unroutable';
  public readonly unitNoun = 'object';
  public readonly location: string;
  private count: number | undefined;

  public constructor(private readonly o: S3SourceOptions) {
    this.name = o.kind;
    this.location = `s3://${o.bucket}/${o.kind === 'errors' ? ERROR_ROOT : UNROUTABLE_ROOT}`;
  }

  public total(): number | undefined {
    return this.count;
  }

  /** The prefixes listed: the whole root, or one per `--type` for errors (their keys start with the type). */
  public prefixes(): string[] {
    if (this.o.kind === 'unroutable') return [UNROUTABLE_ROOT];
    if (this.o.types === undefined) return [ERROR_ROOT];
    return this.o.types.map((key) => {
      const [app, type] = key.split('/') as [string, string];
      // errorPrefix ends with the `!{firehose:error-output-type}` expression: list above it.
      return errorPrefix(app, type).replace(/!\{firehose:error-output-type\}\/$/, '');
    });
  }

  public async *units(ctx: SourceContext): AsyncIterable<S3Unit> {
    const listed: S3Unit[] = [];
    for (const prefix of this.prefixes()) listed.push(...(await this.list(prefix, ctx.signal)));
    const units = this.o.limit !== undefined ? listed.slice(0, this.o.limit) : listed;
    this.count = units.length;
    for (const unit of units) {
      if (ctx.signal.aborted) return;
      if (this.o.kind === 'errors' && parseErrorKey(unit.key) === undefined) {
        ctx.onSkipUnit(unit, 'not an error-output key (errors/application=<app>/event_type=<type>/<error type>/...)');
        continue;
      }
      if (this.o.journal.done(unit.id) !== undefined) {
        ctx.onSkipUnit(unit, 'already redriven (checkpoint)');
        continue;
      }
      if (this.o.since !== undefined && unit.lastModified !== undefined && unit.lastModified < this.o.since) {
        ctx.onSkipUnit(unit, 'older than --since');
        continue;
      }
      if ((this.o.mark ?? 'tag') === 'tag' && !this.o.deleteObjects) {
        const tags = await this.tags(unit.key, ctx.signal);
        if (tags.some((t) => t.Key === DONE_TAG)) {
          ctx.onSkipUnit(unit, 'already redriven (tagged)');
          continue;
        }
      }
      yield unit;
    }
  }

  public async load(unit: S3Unit, signal: AbortSignal): Promise<Item[]> {
    const body = await callWithRetries(
      `GetObject s3://${this.o.bucket}/${unit.key}`,
      async (s) => {
        const r = await this.o.s3.send(new GetObjectCommand({ Bucket: this.o.bucket, Key: unit.key, IfMatch: `"${unit.etag}"` }), { abortSignal: s });
        if (r.Body === undefined) throw new RedriveError('empty response body');
        return Buffer.from(await r.Body.transformToByteArray());
      },
      { signal, ...(this.o.policy !== undefined ? { policy: this.o.policy } : {}), isFinal: (e) => e.code === 'NoSuchKey' || e.code === 'PreconditionFailed' },
    );
    let lines: string[];
    try {
      lines = objectLines(body);
    } catch (err) {
      throw new RedriveError(`s3://${this.o.bucket}/${unit.key} cannot be read: ${(err as Error).message}`, { cause: err });
    }
    return this.o.kind === 'errors' ? this.errorItems(unit, lines) : this.unroutableItems(lines, signal);
  }

  private errorItems(unit: S3Unit, lines: readonly string[]): Item[] {
    const k = parseErrorKey(unit.key)!;
    const key = eventTypeKey(k.app, k.eventType);
    const spec = this.o.env.eventTypes.find((t) => t.key === key);
    return lines.map((line, i): Item => {
      const id = `L${i}`;
      const p = parseFirehoseErrorLine(line);
      if (!p.ok) return { id, eventType: key, reason: 'malformed-line', action: { kind: 'keep', why: p.why }, keepAs: line };
      const r = p.value;
      const time = r.attemptEndingTimestamp ?? r.arrivalTimestamp;
      return {
        id,
        eventType: key,
        reason: `${k.errorType}/${r.errorCode ?? 'unknown'}`,
        ...(time !== undefined ? { time } : {}),
        action:
          spec === undefined
            ? { kind: 'keep', why: 'event type not in the config' }
            : { kind: 'send', data: r.rawData, destination: { service: 'firehose', name: spec.deliveryStreamName } },
        keepAs: line,
      };
    });
  }

  private async unroutableItems(lines: readonly string[], signal: AbortSignal): Promise<Item[]> {
    const items: Item[] = [];
    for (const [i, line] of lines.entries()) {
      const id = `L${i}`;
      const p = parseDeadLetter(line);
      if (!p.ok) {
        items.push({ id, eventType: UNKNOWN_TYPE, reason: 'malformed-line', action: { kind: 'keep', why: p.why }, keepAs: line });
        continue;
      }
      const { doc } = p.value;
      let data = p.value.data;
      const time = doc.kinesis.approximateArrivalTimestamp * 1000;
      const docType = doc.app !== undefined && doc.eventType !== undefined ? eventTypeKey(doc.app, doc.eventType) : UNKNOWN_TYPE;
      if (data === undefined) {
        const read = this.o.streams !== undefined ? await this.o.streams.readDeadLetter(p.value, signal) : undefined;
        if (read === undefined) {
          items.push({ id, eventType: docType, reason: doc.reason, time, action: { kind: 'fail', why: 'data-expired: omitted and no longer in the stream' }, keepAs: line });
          continue;
        }
        data = read;
      }
      const route = routeEnvelope(data, this.o.env, this.o.to ?? 'delivery', doc.kinesis.partitionKey);
      items.push({
        id,
        eventType: route.eventType,
        reason: doc.reason,
        time,
        action: routeAction(route, data),
        keepAs: line,
      });
    }
    return items;
  }

  public async finish(units: readonly S3Unit[], signal: AbortSignal): Promise<Map<string, UnitDone | Error>> {
    const out = new Map<string, UnitDone | Error>();
    // A few at a time: each is one to three calls.
    for (let i = 0; i < units.length; i += 4) {
      await Promise.all(
        units.slice(i, i + 4).map(async (u) => {
          try {
            out.set(u.id, await this.finishOne(u, signal));
          } catch (err) {
            out.set(u.id, err instanceof Error ? err : new RedriveError(String(err)));
          }
        }),
      );
    }
    return out;
  }

  public async split(unit: S3Unit, kept: readonly Item[], signal: AbortSignal): Promise<UnitDone> {
    const body = Buffer.from(`${kept.map((k) => k.keepAs ?? '').join('\n')}\n`, 'utf8');
    const key = remainderKey(unit.key, body);
    await this.call(`PutObject s3://${this.o.bucket}/${key}`, (s) =>
      this.o.s3.send(new PutObjectCommand({ Bucket: this.o.bucket, Key: key, Body: body, ContentType: 'application/x-ndjson' }), { abortSignal: s }), signal);
    await this.finishOne(unit, signal);
    return 'split';
  }

  public async release(): Promise<void> {
    // Objects stay where they are.
  }

  private async finishOne(u: S3Unit, signal: AbortSignal): Promise<UnitDone> {
    const where = `s3://${this.o.bucket}/${u.key}`;
    if (this.o.deleteObjects === true) {
      await this.call(`DeleteObject ${where}`, (s) => this.o.s3.send(new DeleteObjectCommand({ Bucket: this.o.bucket, Key: u.key }), { abortSignal: s }), signal);
      return 'deleted';
    }
    if ((this.o.mark ?? 'tag') === 'move') {
      const to = `${REDRIVEN_ROOT}${u.key}`;
      await this.call(`CopyObject ${where} to ${to}`, (s) =>
        this.o.s3.send(
          new CopyObjectCommand({
            Bucket: this.o.bucket,
            Key: to,
            CopySource: copySource(this.o.bucket, u.key),
            MetadataDirective: 'COPY',
            TaggingDirective: 'COPY',
          }),
          { abortSignal: s },
        ), signal);
      await this.call(`DeleteObject ${where}`, (s) => this.o.s3.send(new DeleteObjectCommand({ Bucket: this.o.bucket, Key: u.key }), { abortSignal: s }), signal);
      return 'moved';
    }
    const own = (await this.tags(u.key, signal)).filter((t) => t.Key !== DONE_TAG && t.Key !== DONE_AT_TAG);
    const at = new Date(this.o.now?.() ?? Date.now()).toISOString();
    const tags: Tag[] = [...own, { Key: DONE_TAG, Value: 'done' }, { Key: DONE_AT_TAG, Value: at }];
    if (tags.length > MAX_OBJECT_TAGS) {
      throw new RedriveError(`${where} already has ${own.length} tags and S3 allows ${MAX_OBJECT_TAGS}: rerun with --mark move`);
    }
    await this.call(`PutObjectTagging ${where}`, (s) =>
      this.o.s3.send(new PutObjectTaggingCommand({ Bucket: this.o.bucket, Key: u.key, Tagging: { TagSet: tags } }), { abortSignal: s }), signal);
    return 'tagged';
  }

  private async tags(key: string, signal: AbortSignal): Promise<Tag[]> {
    const r = await this.call(`GetObjectTagging s3://${this.o.bucket}/${key}`, (s) =>
      this.o.s3.send(new GetObjectTaggingCommand({ Bucket: this.o.bucket, Key: key }), { abortSignal: s }), signal);
    return r.TagSet ?? [];
  }

  private async list(prefix: string, signal: AbortSignal): Promise<S3Unit[]> {
    const out: S3Unit[] = [];
    let token: string | undefined;
    do {
      const page = await this.call(`ListObjectsV2 s3://${this.o.bucket}/${prefix}`, (s) =>
        this.o.s3.send(new ListObjectsV2Command({ Bucket: this.o.bucket, Prefix: prefix, ...(token !== undefined ? { ContinuationToken: token } : {}) }), { abortSignal: s }), signal);
      for (const c of page.Contents ?? []) {
        if (c.Key === undefined || c.Key.endsWith('/')) continue;
        const etag = (c.ETag ?? '').replace(/^"|"$/g, '');
        out.push({
          id: `s3://${this.o.bucket}/${c.Key}#${etag}`,
          label: c.Key,
          key: c.Key,
          etag,
          ...(c.LastModified !== undefined ? { lastModified: c.LastModified.getTime() } : {}),
        });
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return out;
  }

  private call<T>(operation: string, fn: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T> {
    return callWithRetries(operation, fn, { signal, ...(this.o.policy !== undefined ? { policy: this.o.policy } : {}) });
  }
}

/**
 * `x-amz-copy-source`: URL-encoded bucket/key. Each segment is percent-encoded except `=`, which a
 * path may carry as it is (the Hive partitions `application=…`): some S3 implementations decode
 * the header with decodeURI, which leaves `%3D` alone.
 */
export function copySource(bucket: string, key: string): string {
  return `${bucket}/${key
    .split('/')
    .map((seg) => encodeURIComponent(seg).replace(/%3D/gi, '='))
    .join('/')}`;
}

/** Key of the remainder of `key` holding `body`: next to it, deterministic (a retried split overwrites its own). */
export function remainderKey(key: string, body: Buffer): string {
  const base = key.replace(/\.rest-[0-9a-f]{12}\.jsonl$/, '');
  return `${base}.rest-${sha256(body).slice(0, 12)}.jsonl`;
}
