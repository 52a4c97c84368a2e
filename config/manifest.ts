/**
 * The manifest synth writes to `cdktf.out/tracking-manifest.json`: the known applications,
 * event types and physical names of every environment. The tracker client and the router read
 * it instead of the YAML when they should not depend on the config loader.
 * Dependency-free on purpose.
 */
import { TrackingPipelineError } from './errors';
import type { TrackingConfig } from './model';

export const MANIFEST_FILE = 'tracking-manifest.json';
export const MANIFEST_VERSION = 1;

export interface ManifestEventType {
  readonly application: string;
  readonly eventType: string;
  readonly deliveryStream: string;
  /** The stack (and so the Terraform state) that holds the event type's delivery stream. */
  readonly stack: string;
}

export interface ManifestEnvironment {
  readonly region: string;
  readonly bucket: string;
  /** Name of the Kinesis root stream, or null when the environment has none. */
  readonly rootStream: string | null;
  /** Keyed by `<application>/<eventType>`, sorted. */
  readonly eventTypes: Readonly<Record<string, ManifestEventType>>;
}

export interface TrackingManifest {
  readonly version: typeof MANIFEST_VERSION;
  readonly project: string;
  readonly environments: Readonly<Record<string, ManifestEnvironment>>;
}

/** The manifest is not one this version can read. */
export class ManifestError extends TrackingPipelineError {
  public constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

/** Checks the shape of a parsed manifest. */
export function parseManifest(data: unknown, source = MANIFEST_FILE): TrackingManifest {
  const m = data as Partial<TrackingManifest> | null;
  if (m === null || typeof m !== 'object' || m.version !== MANIFEST_VERSION || typeof m.project !== 'string') {
    throw new ManifestError(
      `${source} is not a tracking manifest of version ${MANIFEST_VERSION}; run \`npm run synth\` to write a new one`,
    );
  }
  if (m.environments === null || typeof m.environments !== 'object') {
    throw new ManifestError(`${source} has no environments; run \`npm run synth\` to write a new one`);
  }
  return m as TrackingManifest;
}

/** Builds the manifest from a resolved config (sorted, so it is byte-stable). */
export function buildManifest(config: TrackingConfig): TrackingManifest {
  const environments: Record<string, ManifestEnvironment> = {};
  for (const env of config.environments) {
    const eventTypes: Record<string, ManifestEventType> = {};
    const stackOf = new Map(env.stacks.shards.flatMap((s) => s.eventTypeKeys.map((k) => [k, s.stackId] as const)));
    for (const t of env.eventTypes) {
      eventTypes[t.key] = { application: t.application, eventType: t.name, deliveryStream: t.deliveryStreamName, stack: stackOf.get(t.key) ?? env.stackId };
    }
    environments[env.name] = {
      region: env.region,
      bucket: env.bucket.name,
      rootStream: env.rootStream.enabled ? env.rootStream.streamName : null,
      eventTypes,
    };
  }
  return { version: MANIFEST_VERSION, project: config.project, environments };
}
