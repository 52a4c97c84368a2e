/**
 * Factories shared by the tracker client tests: a small config, its manifest, tracker options and
 * events of a given serialized size.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseConfig } from '../../config/loader';
import { buildManifest, type TrackingManifest } from '../../config/manifest';
import { deliveryStreamName, rootStreamName } from '../../config/naming';
import type { TrackerOptions, TrackingCatalog } from '../../client/node/index';
import { catalogData } from '../../cli/types/catalog';
import { catalogModel } from '../../cli/types/types';

export const PROJECT = 'acme';

/** dev has a root stream, prod does not. */
export const CONFIG_YAML = `
project: ${PROJECT}
environments:
  dev:
    region: eu-central-1
    rootStream:
      enabled: true
  prod:
    region: us-east-1
applications:
  - name: web-shop
    eventTypes: [page_view, checkout_completed, add_to_cart]
  - name: mobile-app
    eventTypes: [app_open, screen_view]
`;

export const EVENT_TYPES: readonly (readonly [string, string])[] = [
  ['web-shop', 'page_view'],
  ['web-shop', 'checkout_completed'],
  ['web-shop', 'add_to_cart'],
  ['mobile-app', 'app_open'],
  ['mobile-app', 'screen_view'],
];

export function manifest(): TrackingManifest {
  return buildManifest(parseConfig(CONFIG_YAML, 'test.yaml'));
}

/** The catalog module's data (`tracking types --out <dir>`) of the config. */
export function catalog(): TrackingCatalog {
  const files = configFiles();
  try {
    return catalogData(catalogModel(files.configPath)) as unknown as TrackingCatalog;
  } finally {
    files.cleanup();
  }
}

export function streamOf(app: string, eventType: string, environment = 'prod'): string {
  return deliveryStreamName({ project: PROJECT, environment }, app, eventType);
}

export function rootStreamOf(environment = 'dev'): string {
  return rootStreamName({ project: PROJECT, environment });
}

/** Writes the YAML config and the manifest to a temporary folder; `cleanup` removes it. */
export function configFiles(): { configPath: string; manifestPath: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'tracker-test-'));
  const configPath = path.join(dir, 'tracking.yaml');
  const manifestPath = path.join(dir, 'tracking-manifest.json');
  writeFileSync(configPath, CONFIG_YAML);
  writeFileSync(manifestPath, JSON.stringify(manifest()));
  return { configPath, manifestPath, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Options for the prod environment (direct mode) with fast retries; override anything. */
export function trackerOptions(overrides: Partial<TrackerOptions> = {}): TrackerOptions {
  return {
    project: PROJECT,
    environment: 'prod',
    manifest: manifest(),
    mode: 'direct',
    maxBatchDelayMs: 20,
    retryBaseDelayMs: 1,
    retryMaxDelayMs: 5,
    retryDeadlineMs: 2_000,
    ...overrides,
  };
}

/** An event whose own JSON (before the envelope) is `bytes` bytes long. */
export function eventOfSize(bytes: number, seq = 0): Record<string, unknown> {
  const base = { seq, pad: '' };
  const overhead = Buffer.byteLength(JSON.stringify(base));
  return { seq, pad: 'x'.repeat(Math.max(0, bytes - overhead)) };
}

/** Splits a record's data into its JSON objects (the transform's packed-record contract). */
export function unpack(data: Uint8Array | Buffer): Record<string, unknown>[] {
  return Buffer.from(data)
    .toString('utf8')
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
