/**
 * The Node.js tracker (`@tracking-pipeline/node-tracker`): sends events from services to the
 * pipeline's Firehose delivery streams (or its Kinesis root stream), typed and optionally checked
 * by the catalog module `npx tracking types --out <dir>` writes.
 *
 *   import { createTracker } from '@tracking-pipeline/node-tracker';
 *   import { catalog } from './tracking/index.js';
 *   const tracker = createTracker({ catalog, environment: 'prod', validate: 'report' });
 *   await tracker.track('web-shop', 'page_view', { path: '/' });
 *   process.once('SIGTERM', () => void tracker.close().catch((err: Error) => console.error(String(err))));
 *
 * Built into the package by client/node/build.mjs: this folder, the shared runtime layer lib/
 * (limits, retry rules, envelope, packing, the send engine, the contract compiler and validator)
 * and the dependency-free config/errors and config/manifest are bundled; the AWS SDK clients stay
 * dependencies. See docs/client.md.
 */
export { createTracker, CONTRACT_VIOLATION, type Tracker, type TrackerMetrics } from './tracker';
export {
  TRACKER_DEFAULTS,
  type CallMetrics,
  type CatalogTrackerOptions,
  type OnBufferFull,
  type ShutdownOptions,
  type TrackerMode,
  type TrackerOptions,
  type TrackerSettings,
  type ValidateMode,
} from './options';
export {
  CATALOG_FORMAT,
  CATALOG_VERSION,
  type Catalog,
  type CatalogContract,
  type CatalogEntry,
  type CatalogEnvironment,
  type CatalogEventType,
  type EnvironmentOf,
  type EventMap,
  type EventsOf,
  type TrackingCatalog,
} from './catalog';
export {
  BufferFullError,
  CatalogError,
  ContractViolationError,
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
export { FIREHOSE_BILLING_INCREMENT_BYTES, FIREHOSE_LIMITS, KINESIS_LIMITS, billedUnits } from '../../lib/limits';
export { TrackingPipelineError } from '../../config/errors';
export { ManifestError, type TrackingManifest } from '../../config/manifest';
