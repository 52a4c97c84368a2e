/**
 * `tracking types` (`npm run types`): the catalog of event types a producer needs, without
 * cdktf.out, as one small module it commits or publishes. It holds:
 *
 * - the TypeScript types of every event type, from its contract (event types without a contract
 *   get `{ [field: string]: unknown }`, any JSON object), and the map `TrackingEvents`
 *   (application -> event type -> event shape) that types the trackers' `track()`;
 * - per environment: the region, the Kinesis root stream (or null) and each event type's
 *   delivery stream;
 * - the contracts themselves (the normalized JSON Schemas the pipeline validates with).
 *
 * Two forms of the same content (./catalog.ts renders both):
 *
 * - `--out <file>.ts` (default `generated/tracking-events.ts`): one TypeScript module, for a
 *   TypeScript producer that compiles it with its own code;
 * - `--out <dir>`: a folder that is a package on its own (package.json, index.js (ESM),
 *   index.cjs, index.d.ts, index.d.cts), for any producer, plain JavaScript included, to commit or
 *   publish.
 *
 *   import { catalog } from './tracking/index.js';
 *   const tracker = createTracker({ catalog, environment: 'prod' });
 *   await tracker.track('web-shop', 'checkout_completed', { order_id: 'o-1', amount: 12.5 }); // checked
 *
 * The output is reproducible (sorted, no timestamps: the same config gives the same bytes).
 * The command's options and its run are in ./run.ts.
 */
import * as path from 'node:path';
import type { EventContract, SchemaNode } from '../../config/contracts';
import { loadConfig } from '../../config/loader';
import type { TrackingConfig } from '../../config/model';

/** The default output: one TypeScript module (the path `npm run types` has always written). */
export const DEFAULT_TYPES_OUT = 'generated/tracking-events.ts';

export interface TypedEventType {
  /** `<application>/<eventType>`. */
  readonly key: string;
  readonly application: string;
  readonly eventType: string;
  readonly contract?: EventContract;
}

/** One environment of the catalog. */
export interface CatalogModelEnvironment {
  readonly name: string;
  readonly region: string;
  readonly rootStream: string | null;
  /** Event type key -> delivery stream name (from config/naming, through the resolved config). */
  readonly deliveryStreams: Readonly<Record<string, string>>;
}

/** Everything the generated module says, before it is rendered. */
export interface CatalogModel {
  readonly project: string;
  /** The config file, relative to the working directory, for the header. */
  readonly source: string;
  /** Sorted by name. */
  readonly environments: readonly CatalogModelEnvironment[];
  /** Sorted by key. */
  readonly eventTypes: readonly TypedEventType[];
}

const byKey = <T>(key: (x: T) => string) => (a: T, b: T): number => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

/** Reads and checks a config (the full loader: the streams must be the deployed ones) and builds the catalog model. */
export function catalogModel(configFile: string): CatalogModel {
  return catalogModelOf(loadConfig(configFile), path.relative(process.cwd(), configFile).split(path.sep).join('/'));
}

/** The catalog model of a loaded config; `source` names the config in the header. */
export function catalogModelOf(config: TrackingConfig, source: string): CatalogModel {
  const first = config.environments[0];
  // Event types and contracts are the same in every environment; their stream names are not.
  const eventTypes: TypedEventType[] = (first?.eventTypes ?? []).map((t) => ({
    key: t.key,
    application: t.application,
    eventType: t.name,
    ...(t.contract !== undefined ? { contract: t.contract } : {}),
  }));
  const environments = config.environments.map((env) => ({
    name: env.name,
    region: env.region,
    rootStream: env.rootStream.enabled ? env.rootStream.streamName : null,
    deliveryStreams: Object.fromEntries([...env.eventTypes].sort(byKey((t) => t.key)).map((t) => [t.key, t.deliveryStreamName])),
  }));
  return {
    project: config.project,
    source,
    environments: environments.sort(byKey((e) => e.name)),
    eventTypes: eventTypes.sort(byKey((t) => t.key)),
  };
}

/** `web-shop` + `checkout_completed` -> `WebShopCheckoutCompletedEvent`. */
export function typeName(application: string, eventType: string): string {
  const pascal = (s: string): string =>
    s
      .split(/[^A-Za-z0-9]+/)
      .filter((w) => w !== '')
      .map((w) => w[0]!.toUpperCase() + w.slice(1))
      .join('');
  const name = `${pascal(application)}${pascal(eventType)}Event`;
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
export const quoteKey = (k: string): string => (IDENTIFIER.test(k) ? k : `'${k.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`);
const literal = (v: unknown): string => (typeof v === 'string' ? `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : JSON.stringify(v));

export function docComment(text: string | undefined, indent: string): string[] {
  if (text === undefined || text.trim() === '') return [];
  const safe = text.replace(/\*\//g, '*\\/').split(/\r?\n/);
  return safe.length === 1 ? [`${indent}/** ${safe[0]} */`] : [`${indent}/**`, ...safe.map((l) => `${indent} * ${l}`), `${indent} */`];
}

/** The TypeScript type of a normalized schema node. */
export function tsType(node: SchemaNode, indent = ''): string {
  const types = Array.isArray(node.type) ? (node.type as readonly string[]) : [node.type as string];
  const base = types.find((t) => t !== 'null')!;
  const nullable = types.includes('null');
  let t: string;
  if (node.const !== undefined) t = literal(node.const);
  else if (node.enum !== undefined) t = node.enum.map(literal).join(' | ');
  else {
    switch (base) {
      case 'string':
        t = 'string';
        break;
      case 'integer':
      case 'number':
        t = 'number';
        break;
      case 'boolean':
        t = 'boolean';
        break;
      case 'array': {
        const item = node.items ? tsType(node.items, indent) : 'unknown';
        t = /[|&]/.test(item) ? `(${item})[]` : `${item}[]`;
        break;
      }
      case 'object':
        t = objectType(node, indent);
        break;
      default:
        t = 'unknown';
    }
  }
  return nullable && !/\bnull\b/.test(t) ? `${t} | null` : t;
}

function objectType(node: SchemaNode, indent: string): string {
  const inner = `${indent}  `;
  const required = new Set(node.required ?? []);
  const lines: string[] = ['{'];
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    lines.push(...docComment(child.description ?? child.title, inner));
    lines.push(`${inner}${quoteKey(name)}${required.has(name) ? '' : '?'}: ${tsType(child, inner)};`);
  }
  if (node.additionalProperties === true) lines.push(`${inner}[field: string]: unknown;`);
  lines.push(`${indent}}`);
  return lines.join('\n');
}

/** The type name of each event type (unique: a second `WebShopXEvent` becomes `WebShopXEvent2`). */
export function typeNames(eventTypes: readonly TypedEventType[]): ReadonlyMap<string, string> {
  const names = new Map<string, string>();
  const used = new Map<string, number>();
  for (const t of [...eventTypes].sort(byKey((x) => x.key))) {
    const base = typeName(t.application, t.eventType);
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    names.set(t.key, n === 1 ? base : `${base}${n}`);
  }
  return names;
}

/** The event types' interfaces and the `TrackingEvents` map. Pure: sorted by event type key. */
export function eventTypeDeclarations(eventTypes: readonly TypedEventType[]): string[] {
  const sorted = [...eventTypes].sort(byKey((t) => t.key));
  const names = typeNames(sorted);
  const out: string[] = [];
  for (const t of sorted) {
    const name = names.get(t.key)!;
    if (t.contract === undefined) {
      out.push(`/** ${t.key}: no contract, any JSON object. */`, `export type ${name} = { [field: string]: unknown };`, '');
      continue;
    }
    const schema = t.contract.schema;
    out.push(...docComment(`${t.key} (contract ${t.contract.mode}${t.contract.source !== 'inline' ? `, ${t.contract.source}` : ''})${schema.description ? `: ${schema.description}` : ''}`, ''));
    out.push(`export interface ${name} ${objectType(schema, '')}`, '');
  }
  out.push('/** Event shapes by application and event type: what types `track()`. */', 'export type TrackingEvents = {');
  const apps = [...new Set(sorted.map((t) => t.application))];
  for (const app of apps) {
    out.push(`  ${quoteKey(app)}: {`);
    for (const t of sorted.filter((x) => x.application === app)) out.push(`    ${quoteKey(t.eventType)}: ${names.get(t.key)!};`);
    out.push('  };');
  }
  out.push('};', '');
  return out;
}

/** The event types' declarations alone, with a header (no catalog data): for tools that want only the types. */
export function generateEventTypes(eventTypes: readonly TypedEventType[], source: string): string {
  return [
    `// Generated by \`tracking types\` from ${source}. Do not edit: change the contracts in the config and run \`npx tracking types\` again.`,
    '/* eslint-disable */',
    '',
    ...eventTypeDeclarations(eventTypes),
  ].join('\n');
}
