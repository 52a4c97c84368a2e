/**
 * Tracker client for producers. Import this module on its own: it pulls in the AWS SDK clients,
 * the shared runtime layer lib/ (limits, retry rules, envelope, packing, the send engine),
 * config/naming, config/errors, config/manifest and config/loader (yaml + zod), never cdktf.
 *
 *   import { createTracker } from './client';
 *   const tracker = createTracker({ project: 'acme', environment: 'prod', manifest: 'tracking-manifest.json' });
 *   await tracker.track('web-shop', 'page_view', { path: '/' });
 *   process.once('SIGTERM', () => void tracker.close().catch((err: Error) => console.error(String(err))));
 *
 * See docs/client.md.
 */
export { createTracker, type EventMap, type Tracker, type TrackerMetrics } from './tracker';
export {
  TRACKER_DEFAULTS,
  type CallMetrics,
  type OnBufferFull,
  type ShutdownOptions,
  type TrackerMode,
  type TrackerOptions,
} from './options';
export type { Catalog, CatalogEntry } from './catalog';
export {
  BufferFullError,
  DeliveryError,
  EventNotAcceptedError,
  EventTooLargeError,
  InvalidEventError,
  ProjectMismatchError,
  RegionMismatchError,
  RootStreamUnavailableError,
  summarizeFailures,
  TrackerClosedError,
  TrackerError,
  TrackerOptionsError,
  UnknownEnvironmentError,
  UnknownEventTypeError,
  type FailedEvent,
  type FailureSummary,
} from './errors';
export { FIREHOSE_BILLING_INCREMENT_BYTES, FIREHOSE_LIMITS, KINESIS_LIMITS, billedUnits } from '../lib/limits';
export { TrackingPipelineError } from '../config/errors';
export { ManifestError, type TrackingManifest } from '../config/manifest';
