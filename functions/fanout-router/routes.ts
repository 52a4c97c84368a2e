/**
 * The routing table: `<application>/<eventType>` -> Firehose delivery stream name.
 *
 * Built at synth from the resolved config (stream names come from `EventTypeSpec.deliveryStreamName`,
 * i.e. `config/naming`) and shipped as `routes.json` inside the Lambda asset: at 5,000 event types
 * it is far larger than the 4 KB Lambda allows for all environment variables together.
 */
import { readFileSync } from 'node:fs';
import { TrackingPipelineError } from '../../config/errors';
import { eventTypeKey } from '../../config/naming';

/** File name of the routing table inside the asset, next to index.js. */
export const ROUTES_FILE = 'routes.json';

/** Serialized form of routes.json. */
export interface RoutesDocument {
  readonly version: 1;
  /** `<application>/<eventType>` -> delivery stream name, keys sorted. */
  readonly routes: Readonly<Record<string, string>>;
}

/** Lookup used by the router. */
export type RouteTable = ReadonlyMap<string, string>;

/** routes.json is missing or malformed: a deployment bug, raised at cold start. */
export class RoutesFileError extends TrackingPipelineError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RoutesFileError';
  }
}

/** The parts of an event type the table needs (structurally an `EventTypeSpec`). */
export interface RoutableEventType {
  readonly application: string;
  readonly name: string;
  readonly deliveryStreamName: string;
}

/** Builds the routes.json text: deterministic (sorted keys), so the asset hash only moves with the config. */
export function buildRoutesDocument(eventTypes: readonly RoutableEventType[]): string {
  const entries = eventTypes
    .map((t) => [eventTypeKey(t.application, t.name), t.deliveryStreamName] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const doc: RoutesDocument = { version: 1, routes: Object.fromEntries(entries) };
  return `${JSON.stringify(doc)}\n`;
}

/** Parses routes.json text into a lookup table. */
export function parseRoutes(text: string, source = ROUTES_FILE): RouteTable {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new RoutesFileError(`${source} is not valid JSON`, { cause: err });
  }
  const routes = (doc as Partial<RoutesDocument> | null)?.routes;
  if ((doc as Partial<RoutesDocument> | null)?.version !== 1 || routes === null || typeof routes !== 'object') {
    throw new RoutesFileError(`${source} must be {"version":1,"routes":{...}}`);
  }
  const table = new Map<string, string>();
  for (const [key, stream] of Object.entries(routes)) {
    if (typeof stream !== 'string' || stream.length === 0) throw new RoutesFileError(`${source}: route "${key}" has no stream name`);
    table.set(key, stream);
  }
  return table;
}

/** Reads and parses routes.json (once per cold start: the handler caches the result). */
export function loadRoutes(file: string): RouteTable {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RoutesFileError(`cannot read ${file}`, { cause: err });
  }
  return parseRoutes(text, file);
}
