/**
 * The collector's settings: one JSON file shipped next to the bundle (`settings.json`), written
 * at synth by modules/collector.ts from the environment's CollectorSpec. It names no application
 * and no event type: those come at run time from Parameter Store (write keys) and from the catalog
 * objects in the events bucket, so adding either never changes the collector (issue #11).
 */
import { readFileSync } from 'node:fs';
import { TrackingPipelineError } from '../../config/errors';

export const SETTINGS_FILE = 'settings.json';
export const SETTINGS_VERSION = 1;

export type Destination =
  | { readonly kind: 'root-stream'; readonly streamName: string }
  | { readonly kind: 'delivery-streams'; readonly packedRecordBytes: number };

/**
 * The edge in front of the collector (CloudFront and AWS WAF, docs/collector.md "Protection").
 * CloudFront adds a secret header to every request it sends to the API; the secret itself is not
 * in this file (Terraform generates it at apply time): the function reads it from an environment
 * variable.
 */
export interface EdgeSettings {
  /** Name of the header CloudFront adds (lowercase). */
  readonly secretHeader: string;
  /** Environment variable holding the secret's value. */
  readonly secretVariable: string;
  /**
   * Refuse requests without the secret (they did not pass the rate rules) and write keys that only
   * the body carries (the rate rules cannot count them). False while clients move to the edge.
   */
  readonly enforce: boolean;
}

export interface CollectorSettings {
  readonly version: typeof SETTINGS_VERSION;
  /** Environment name: the `Environment` dimension of the collector's metrics. */
  readonly environment: string;
  readonly bucketName: string;
  /** `catalog/`. */
  readonly catalogPrefix: string;
  /** SSM path of the write-key parameters. */
  readonly writeKeysPath: string;
  readonly destination: Destination;
  readonly limits: { readonly maxBodyBytes: number; readonly maxEventsPerRequest: number; readonly maxEventBytes: number };
  /** How long writes are retried before events are answered "retry later". */
  readonly writeDeadlineMs: number;
  /** Longest single PutRecords / PutRecordBatch call. */
  readonly requestTimeoutMs: number;
  /** Catalog and write keys are read again after this long. */
  readonly refreshSeconds: number;
  readonly ipAddress: 'none' | 'truncated';
  readonly corsMaxAgeSeconds: number;
  /** CloudFront and AWS WAF in front of the API. @default none (requests come straight from clients) */
  readonly edge?: EdgeSettings;
}

/** The settings file is missing or malformed: a packaging bug. */
export class CollectorSettingsError extends TrackingPipelineError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CollectorSettingsError';
  }
}

const positive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/** Checks a parsed settings document (every field; nothing half-used). */
export function checkSettings(raw: unknown, source = SETTINGS_FILE): CollectorSettings {
  const fail = (what: string): never => {
    throw new CollectorSettingsError(`${source}: ${what}`);
  };
  if (raw === null || typeof raw !== 'object') return fail('not a JSON object');
  const s = raw as Record<string, unknown>;
  if (s.version !== SETTINGS_VERSION) fail(`version is not ${SETTINGS_VERSION}`);
  for (const k of ['environment', 'bucketName', 'catalogPrefix', 'writeKeysPath'] as const) {
    if (typeof s[k] !== 'string' || s[k] === '') fail(`"${k}" is missing`);
  }
  const d = s.destination as Record<string, unknown> | undefined;
  if (d === undefined || d === null || typeof d !== 'object') fail('"destination" is missing');
  else if (d.kind === 'root-stream') {
    if (typeof d.streamName !== 'string' || d.streamName === '') fail('"destination.streamName" is missing');
  } else if (d.kind === 'delivery-streams') {
    if (!positive(d.packedRecordBytes)) fail('"destination.packedRecordBytes" is not a positive number');
  } else fail('"destination.kind" is neither root-stream nor delivery-streams');
  const l = s.limits as Record<string, unknown> | undefined;
  if (l === undefined || l === null || typeof l !== 'object' || !positive(l.maxBodyBytes) || !positive(l.maxEventsPerRequest) || !positive(l.maxEventBytes)) {
    fail('"limits" is incomplete');
  }
  for (const k of ['writeDeadlineMs', 'requestTimeoutMs', 'refreshSeconds'] as const) if (!positive(s[k])) fail(`"${k}" is not a positive number`);
  if (s.ipAddress !== 'none' && s.ipAddress !== 'truncated') fail('"ipAddress" is neither none nor truncated');
  if (typeof s.corsMaxAgeSeconds !== 'number' || s.corsMaxAgeSeconds < 0) fail('"corsMaxAgeSeconds" is not a number');
  if (s.edge !== undefined) {
    const e = s.edge as Record<string, unknown> | null;
    if (e === null || typeof e !== 'object') fail('"edge" is not an object');
    else {
      if (typeof e.secretHeader !== 'string' || !/^[a-z0-9-]+$/.test(e.secretHeader)) fail('"edge.secretHeader" is not a lowercase header name');
      if (typeof e.secretVariable !== 'string' || !/^[A-Z][A-Z0-9_]*$/.test(e.secretVariable)) fail('"edge.secretVariable" is not an environment variable name');
      if (typeof e.enforce !== 'boolean') fail('"edge.enforce" is not a boolean');
    }
  }
  return raw as CollectorSettings;
}

/** Reads the settings shipped next to the bundle. */
export function readSettings(file: string): CollectorSettings {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CollectorSettingsError(`cannot read ${file}: the function was packaged without its settings`, { cause: err });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new CollectorSettingsError(`${file} is not valid JSON`, { cause: err });
  }
  return checkSettings(raw, file);
}
