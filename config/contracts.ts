/**
 * Event contracts: the `schema` and `schemaMode` keys of an event type, the supported JSON Schema
 * subset, its validation, schema files, and the resolved plain-data form the stacks, the transform
 * compiler, `npm run types` and the review use. See docs/contracts.md.
 *
 * Dependencies: zod, yaml, Node built-ins and lib/linear-regexp.ts (ours, dependency-free) only (the tracker client reaches this module through
 * the config loader, and its bundle may hold nothing else). The 2020-12 meta-schema is not loaded
 * at run time: the subset below is closed (every keyword not listed is rejected), and for every
 * listed keyword the checks here are the meta-schema's rule for it plus our own restrictions. A
 * test checks, with ajv and the official meta-schema, that every schema accepted here is valid.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { documentData, parseYamlDocument } from './yaml-document';
import { z } from 'zod';
import { analyzePattern, MAX_PATTERN_WORK, patternWork } from '../lib/linear-regexp';
import { ConfigError } from './errors';
import * as naming from './naming';

// ---------------------------------------------------------------------------------------------
// Constants

/** The only dialect: JSON Schema draft 2020-12. */
export const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

export const SCHEMA_MODES = ['enforce', 'observe'] as const;
export type SchemaMode = (typeof SCHEMA_MODES)[number];
/** The mode of a type with a schema when neither the type nor `defaults` sets one. */
export const DEFAULT_SCHEMA_MODE: SchemaMode = 'enforce';

export const JSON_TYPES = ['string', 'integer', 'number', 'boolean', 'object', 'array'] as const;
export type JsonType = (typeof JSON_TYPES)[number];

/** `format` values the transform checks (see functions/jsonl-transform/formats.ts). */
export const SCHEMA_FORMATS = ['date-time', 'date', 'time', 'uuid', 'email', 'uri', 'ipv4', 'ipv6'] as const;
export type SchemaFormat = (typeof SCHEMA_FORMATS)[number];

/** Property names: Athena column and struct field names are lowercase letters, digits and "_". */
export const PROPERTY_NAME = /^[a-z_][a-z0-9_]*$/;
/** Glue's limit on a column name. */
export const MAX_PROPERTY_NAME_LENGTH = 255;
/** Deepest nesting of objects and arrays below the event itself. */
export const MAX_DEPTH = 10;

/** Partition keys of every event table: a property of that name would collide with them. */
export const PARTITION_COLUMNS = ['year', 'month', 'day', 'hour'] as const;

export type Primitive = string | number | boolean | null;

/** One node of a schema in the supported subset (after `normalizeEventSchema`, every field below is explicit where noted). */
export interface SchemaNode {
  /** One type, or one type and "null" (normalized to `[type, "null"]`). */
  readonly type: JsonType | readonly [JsonType, 'null'];
  readonly title?: string;
  readonly description?: string;
  readonly $comment?: string;
  readonly examples?: readonly unknown[];
  readonly deprecated?: boolean;
  readonly enum?: readonly Primitive[];
  readonly const?: Primitive;
  // string
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly format?: SchemaFormat;
  // integer, number
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  // object (normalized: `required` and `additionalProperties` always present)
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean;
  // array
  readonly items?: SchemaNode;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly uniqueItems?: boolean;
}

/** The schema of one event type: an object at the top. */
export interface EventSchema extends SchemaNode {
  readonly $schema?: string;
  readonly type: 'object';
  readonly properties: Readonly<Record<string, SchemaNode>>;
}

/** The resolved contract of one event type: what EventTypeSpec carries as `contract`. */
export interface EventContract {
  readonly mode: SchemaMode;
  /**
   * The normalized schema: `$schema` set, the envelope fields declared first (`app` and
   * `event_type` as constants of this type), and `required` / `additionalProperties` explicit on
   * every object (`additionalProperties` defaults to false: objects are closed).
   */
  readonly schema: EventSchema;
  /** `inline`, or the schema file's path as written in the config (relative to the config file). */
  readonly source: string;
  /** SHA-256 (hex) of the normalized schema's canonical JSON. */
  readonly hash: string;
}

/** A problem inside a schema: `path` is the path in the schema (a JSON pointer's segments). */
export interface SchemaProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** A problem located in the config (structurally the loader's `Located`). */
export interface ContractIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * The envelope fields every event may carry and need not declare. The tracker client adds `app`,
 * `event_type`, `event_id` and `sent_at`; the HTTP collector adds `received_at`. In a contract,
 * `app` and `event_type` must equal the event type's own names (a misrouted event is a violation).
 */
export function envelopeProperties(application: string, eventType: string): Record<string, SchemaNode> {
  return {
    app: { type: 'string', const: application, description: 'Application (envelope, set by the producer library)' },
    event_type: { type: 'string', const: eventType, description: 'Event type (envelope, set by the producer library)' },
    event_id: { type: 'string', minLength: 1, maxLength: 256, description: 'Unique event id (envelope); deduplicate on it' },
    sent_at: { type: 'string', format: 'date-time', description: 'When the producer sent the event, RFC 3339 (envelope)' },
    received_at: { type: 'string', format: 'date-time', description: 'When the collector received the event, RFC 3339 (envelope)' },
  };
}

/** Names of the envelope fields, in column order. */
export const ENVELOPE_FIELD_NAMES = ['app', 'event_type', 'event_id', 'sent_at', 'received_at'] as const;

// ---------------------------------------------------------------------------------------------
// zod pieces (wired into config/schema.ts)

export const schemaModeSchema = z
  .enum(SCHEMA_MODES)
  .describe(
    'What happens to an event that violates its schema: "enforce" sends its record to the error prefix ' +
      '(ProcessingFailed); "observe" counts it in the SchemaViolations metric and lets it through. ' +
      `@default ${DEFAULT_SCHEMA_MODE} (for types with a schema)`,
  );

export const eventSchemaSchema = z
  .union([
    z
      .string()
      .regex(/\.(json|ya?ml)$/i, 'must be a path to a .json, .yaml or .yml file (relative to the config file), or an inline JSON Schema object')
      .describe('Path of a JSON Schema file (.json, .yaml, .yml), relative to the config file.'),
    z
      .record(z.string(), z.unknown())
      .describe('Inline JSON Schema (draft 2020-12, the subset in docs/contracts.md): { type: object, properties: {...}, required: [...] }.'),
  ])
  .describe(
    'Contract of the event type: a JSON Schema (draft 2020-12 subset) inline or in a file. Events are validated ' +
      'at ingest, typed columns appear in the Athena table, and `npm run types` generates TypeScript types. @default none',
  );

// ---------------------------------------------------------------------------------------------
// Schema validation: the meta-schema's rules for the supported keywords, plus our restrictions

const ANNOTATIONS = ['title', 'description', '$comment', 'examples', 'deprecated'] as const;
const COMMON = ['type', 'enum', 'const', ...ANNOTATIONS] as const;
const BY_TYPE: Readonly<Record<JsonType, readonly string[]>> = {
  string: ['minLength', 'maxLength', 'pattern', 'format'],
  integer: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'],
  number: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'],
  boolean: [],
  object: ['properties', 'required', 'additionalProperties'],
  array: ['items', 'minItems', 'maxItems', 'uniqueItems'],
};
const ALL_KEYWORDS = new Set<string>(['$schema', ...COMMON, ...Object.values(BY_TYPE).flat()]);

/** Why some well-known keywords are left out, for the error message. */
const UNSUPPORTED_HINTS: Readonly<Record<string, string>> = {
  $ref: 'references are not supported: write the definition inline',
  $defs: 'definitions are not supported: write each definition inline where it is used',
  definitions: 'definitions are not supported: write each definition inline where it is used',
  $id: 'schema ids are not supported (the event type identifies the schema)',
  $anchor: 'anchors are not supported',
  $dynamicRef: 'dynamic references are not supported',
  oneOf: 'combinators are not supported: a column needs one type (use type: [<type>, "null"] for an optional value)',
  anyOf: 'combinators are not supported: a column needs one type (use type: [<type>, "null"] for an optional value)',
  allOf: 'combinators are not supported: merge the schemas into one',
  not: 'negation is not supported',
  if: 'conditionals are not supported',
  then: 'conditionals are not supported',
  else: 'conditionals are not supported',
  default: 'defaults are not applied at ingest; describe the default in `description`',
  nullable: 'use type: [<type>, "null"] for a value that may be null',
  patternProperties: 'pattern properties are not supported: declare each property',
  unevaluatedProperties: 'use additionalProperties: false',
  propertyNames: 'property names are fixed by `properties`',
  dependentRequired: 'dependencies between properties are not supported',
  dependentSchemas: 'dependencies between properties are not supported',
  prefixItems: 'tuples are not supported: use items with one schema',
  contains: '`contains` is not supported',
  multipleOf: '`multipleOf` is not supported',
  minProperties: '`minProperties` is not supported: use required',
  maxProperties: '`maxProperties` is not supported',
  contentEncoding: '`contentEncoding` is not supported',
  contentMediaType: '`contentMediaType` is not supported',
};

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isNonNegativeInteger = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The value, as JSON, shortened for messages. */
export function show(value: unknown, max = 60): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The types of a node's `type`, or undefined when `type` is not valid. */
function typesOf(type: unknown): { base: JsonType; nullable: boolean } | undefined {
  if (typeof type === 'string') return (JSON_TYPES as readonly string[]).includes(type) ? { base: type as JsonType, nullable: false } : undefined;
  if (Array.isArray(type) && type.length === 2 && type.includes('null')) {
    const other = type.find((t) => t !== 'null');
    if (typeof other === 'string' && (JSON_TYPES as readonly string[]).includes(other)) return { base: other as JsonType, nullable: true };
  }
  return undefined;
}

function matchesType(value: unknown, base: JsonType, nullable: boolean): boolean {
  if (value === null) return nullable;
  switch (base) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return isFiniteNumber(value);
    case 'boolean':
      return typeof value === 'boolean';
    default:
      return false;
  }
}

const PRIMITIVE_TYPES: readonly JsonType[] = ['string', 'integer', 'number', 'boolean'];

/**
 * Checks a schema against the supported subset. Returns every problem (none: the schema is
 * valid), each with its path in the schema and a message naming the offending value.
 */
export function checkEventSchema(schema: unknown): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const add = (p: readonly (string | number)[], message: string): void => {
    problems.push({ path: p, message });
  };
  if (!isPlainObject(schema)) {
    add([], `must be a JSON Schema object with type: object, got ${show(schema)}`);
    return problems;
  }
  if (schema.type !== 'object') {
    add(['type'], `an event schema describes a JSON object: type must be "object", got ${show(schema.type)}`);
  }
  if (schema.$schema !== undefined && schema.$schema !== JSON_SCHEMA_DIALECT) {
    add(['$schema'], `only JSON Schema draft 2020-12 is supported: use "${JSON_SCHEMA_DIALECT}" or leave $schema out, got ${show(schema.$schema)}`);
  }
  if (schema.properties === undefined && schema.type === 'object') {
    add([], 'declare `properties` (an empty mapping is allowed when the event has only envelope fields)');
  }
  checkNode(schema, [], 0, true, add);
  return problems;
}

function checkNode(
  node: Record<string, unknown>,
  at: readonly (string | number)[],
  depth: number,
  root: boolean,
  add: (p: readonly (string | number)[], message: string) => void,
): void {
  if (depth > MAX_DEPTH) {
    add(at, `nested more than ${MAX_DEPTH} levels deep; flatten the event`);
    return;
  }
  const t = typesOf(node.type);
  if (node.type === undefined) {
    add(at, 'needs a `type` (string, integer, number, boolean, object, array, or [<type>, "null"])');
  } else if (t === undefined) {
    add(
      [...at, 'type'],
      `${show(node.type)} is not a supported type: use one of ${JSON_TYPES.join(', ')}, or a two-element list of one of them and "null"`,
    );
  }
  const applicable = new Set<string>([...COMMON, ...(t ? BY_TYPE[t.base] : []), ...(root ? ['$schema'] : [])]);
  for (const key of Object.keys(node)) {
    if (applicable.has(key)) continue;
    if (ALL_KEYWORDS.has(key)) {
      const owners = JSON_TYPES.filter((jt) => BY_TYPE[jt].includes(key));
      add([...at, key], key === '$schema' ? '$schema is only allowed at the top of the schema' : `\`${key}\` applies to ${owners.join('/')} values only, not to ${t ? `type ${show(node.type)}` : 'this node'}`);
    } else {
      add([...at, key], `\`${key}\` is not supported${UNSUPPORTED_HINTS[key] ? `: ${UNSUPPORTED_HINTS[key]}` : ''} (see docs/contracts.md for the supported keywords)`);
    }
  }

  // Annotations.
  for (const key of ['title', 'description', '$comment'] as const) {
    if (node[key] !== undefined && typeof node[key] !== 'string') add([...at, key], `must be a string, got ${show(node[key])}`);
  }
  if (node.examples !== undefined && !Array.isArray(node.examples)) add([...at, 'examples'], `must be a list, got ${show(node.examples)}`);
  if (node.deprecated !== undefined && typeof node.deprecated !== 'boolean') add([...at, 'deprecated'], `must be true or false, got ${show(node.deprecated)}`);
  if (t === undefined) return;

  // enum / const.
  if (node.enum !== undefined) {
    if (!PRIMITIVE_TYPES.includes(t.base)) {
      add([...at, 'enum'], `enum is supported on string, integer, number and boolean values only, not on ${t.base}`);
    } else if (!Array.isArray(node.enum) || node.enum.length === 0) {
      add([...at, 'enum'], `must be a non-empty list of values, got ${show(node.enum)}`);
    } else {
      const seen = new Set<string>();
      node.enum.forEach((v, i) => {
        if (!matchesType(v, t.base, t.nullable)) add([...at, 'enum', i], `${show(v)} is not a value of type ${show(node.type)}`);
        const k = canonicalJson(v);
        if (seen.has(k)) add([...at, 'enum', i], `${show(v)} is listed twice (enum values must be unique)`);
        seen.add(k);
      });
    }
  }
  if (node.const !== undefined) {
    if (!PRIMITIVE_TYPES.includes(t.base)) add([...at, 'const'], `const is supported on string, integer, number and boolean values only, not on ${t.base}`);
    else if (!matchesType(node.const, t.base, t.nullable)) add([...at, 'const'], `${show(node.const)} is not a value of type ${show(node.type)}`);
  }

  switch (t.base) {
    case 'string':
      checkString(node, at, add);
      break;
    case 'integer':
    case 'number':
      checkNumber(node, at, add);
      break;
    case 'object':
      checkObject(node, at, depth, root, add);
      break;
    case 'array':
      checkArray(node, at, depth, add);
      break;
    default:
      break;
  }
}

function checkString(node: Record<string, unknown>, at: readonly (string | number)[], add: (p: readonly (string | number)[], m: string) => void): void {
  for (const key of ['minLength', 'maxLength'] as const) {
    if (node[key] !== undefined && !isNonNegativeInteger(node[key])) add([...at, key], `must be a non-negative integer, got ${show(node[key])}`);
  }
  if (isNonNegativeInteger(node.minLength) && isNonNegativeInteger(node.maxLength) && node.minLength > node.maxLength) {
    add([...at, 'minLength'], `minLength ${node.minLength} is greater than maxLength ${node.maxLength}: no string can match`);
  }
  if (node.pattern !== undefined) {
    if (typeof node.pattern !== 'string') {
      add([...at, 'pattern'], `must be a regular expression string, got ${show(node.pattern)}`);
    } else {
      let valid = true;
      try {
        new RegExp(node.pattern, 'u');
      } catch (err) {
        valid = false;
        add([...at, 'pattern'], `${show(node.pattern)} is not a valid regular expression (${(err as Error).message})`);
      }
      // A pattern runs on untrusted input, on the linear-time engine (lib/linear-regexp.ts): it must
      // be one that engine runs, and maxLength times its size bounds the work of one value.
      if (node.maxLength === undefined) add([...at, 'pattern'], 'a pattern needs a maxLength on the same string (it bounds the regular expression\'s work on untrusted input)');
      if (valid) {
        const analysis = analyzePattern(node.pattern);
        if ('rule' in analysis) {
          add([...at, 'pattern'], `pattern ${show(node.pattern)} breaks the rule "${analysis.rule}": ${analysis.message}; patterns run on untrusted values in linear time, without backreferences or lookaround (docs/contracts.md, "Patterns")`);
        } else if (isNonNegativeInteger(node.maxLength) && patternWork(analysis.states, node.maxLength) > MAX_PATTERN_WORK) {
          add(
            [...at, 'pattern'],
            `pattern ${show(node.pattern)} breaks the rule "work-bound": ${analysis.states} automaton states times (maxLength ${node.maxLength} + 1) is ` +
              `${patternWork(analysis.states, node.maxLength)} steps per value, above ${MAX_PATTERN_WORK}; lower maxLength to at most ` +
              `${Math.floor(MAX_PATTERN_WORK / analysis.states) - 1} or simplify the pattern (docs/contracts.md, "Patterns")`,
          );
        }
      }
    }
  }
  if (node.format !== undefined && !(SCHEMA_FORMATS as readonly unknown[]).includes(node.format)) {
    add([...at, 'format'], `${show(node.format)} is not a supported format: use one of ${SCHEMA_FORMATS.join(', ')}`);
  }
}

function checkNumber(node: Record<string, unknown>, at: readonly (string | number)[], add: (p: readonly (string | number)[], m: string) => void): void {
  for (const key of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'] as const) {
    if (node[key] !== undefined && !isFiniteNumber(node[key])) add([...at, key], `must be a number, got ${show(node[key])}`);
  }
  const lows = [node.minimum, node.exclusiveMinimum].filter(isFiniteNumber);
  const highs = [node.maximum, node.exclusiveMaximum].filter(isFiniteNumber);
  if (lows.length > 0 && highs.length > 0 && Math.max(...lows) > Math.min(...highs)) {
    add([...at, 'minimum' in node ? 'minimum' : 'exclusiveMinimum'], `the lower bound ${Math.max(...lows)} is above the upper bound ${Math.min(...highs)}: no number can match`);
  }
}

function checkObject(
  node: Record<string, unknown>,
  at: readonly (string | number)[],
  depth: number,
  root: boolean,
  add: (p: readonly (string | number)[], m: string) => void,
): void {
  const props = node.properties;
  if (props === undefined) {
    if (!root) add(at, 'an object needs `properties` with at least one property (its fields become the columns of a struct)');
  } else if (!isPlainObject(props)) {
    add([...at, 'properties'], `must be a mapping of property names to schemas, got ${show(props)}`);
  } else {
    if (!root && Object.keys(props).length === 0) add([...at, 'properties'], 'declare at least one property (an empty struct cannot be a column type)');
    for (const [name, child] of Object.entries(props)) {
      const p = [...at, 'properties', name];
      if (!PROPERTY_NAME.test(name) || name.length > MAX_PROPERTY_NAME_LENGTH) {
        add(p, `property name ${show(name)} is not allowed: use lowercase letters, digits and "_", starting with a letter or "_", at most ${MAX_PROPERTY_NAME_LENGTH} characters (they become Athena column names)`);
      }
      if (root && (ENVELOPE_FIELD_NAMES as readonly string[]).includes(name)) {
        add(p, `"${name}" is an envelope field: every event may carry it with a fixed type and it is always a column; remove it from properties`);
      }
      if (root && (PARTITION_COLUMNS as readonly string[]).includes(name)) {
        add(p, `"${name}" is a partition column of every event table (year, month, day, hour of arrival); rename the property`);
      }
      if (isPlainObject(child)) checkNode(child, p, depth + 1, false, add);
      else add(p, `must be a schema object, got ${show(child)}`);
    }
  }
  if (node.required !== undefined) {
    if (!Array.isArray(node.required)) {
      add([...at, 'required'], `must be a list of property names, got ${show(node.required)}`);
    } else {
      const seen = new Set<unknown>();
      node.required.forEach((name, i) => {
        if (typeof name !== 'string') add([...at, 'required', i], `must be a property name, got ${show(name)}`);
        else if (seen.has(name)) add([...at, 'required', i], `"${name}" is listed twice`);
        else if (!isPlainObject(props) || !(name in props)) {
          add([...at, 'required', i], root && (ENVELOPE_FIELD_NAMES as readonly string[]).includes(name)
            ? `"${name}" is an envelope field: the producer libraries always set it; remove it from required`
            : `"${name}" is not declared in properties`);
        }
        seen.add(name);
      });
    }
  }
  if (node.additionalProperties !== undefined && typeof node.additionalProperties !== 'boolean') {
    add([...at, 'additionalProperties'], `must be true or false (a schema for extra properties is not supported), got ${show(node.additionalProperties)}`);
  }
}

function checkArray(
  node: Record<string, unknown>,
  at: readonly (string | number)[],
  depth: number,
  add: (p: readonly (string | number)[], m: string) => void,
): void {
  if (node.items === undefined) add(at, 'an array needs `items` (one schema for every element: it is the element type of the column)');
  else if (!isPlainObject(node.items)) add([...at, 'items'], `must be one schema object (tuples are not supported), got ${show(node.items)}`);
  else checkNode(node.items, [...at, 'items'], depth + 1, false, add);
  for (const key of ['minItems', 'maxItems'] as const) {
    if (node[key] !== undefined && !isNonNegativeInteger(node[key])) add([...at, key], `must be a non-negative integer, got ${show(node[key])}`);
  }
  if (isNonNegativeInteger(node.minItems) && isNonNegativeInteger(node.maxItems) && node.minItems > node.maxItems) {
    add([...at, 'minItems'], `minItems ${node.minItems} is greater than maxItems ${node.maxItems}: no list can match`);
  }
  if (node.uniqueItems !== undefined) {
    if (typeof node.uniqueItems !== 'boolean') add([...at, 'uniqueItems'], `must be true or false, got ${show(node.uniqueItems)}`);
    else if (node.uniqueItems && isPlainObject(node.items)) {
      const it = typesOf(node.items.type);
      if (it && !PRIMITIVE_TYPES.includes(it.base)) {
        add([...at, 'uniqueItems'], `uniqueItems is supported for lists of strings, numbers and booleans only, not of ${it.base}`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Normalization and hashing

/** JSON with object keys sorted at every level: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function normalizeNode(node: SchemaNode): SchemaNode {
  const t = typesOf(node.type)!;
  const out: Record<string, unknown> = { ...node, type: t.nullable ? [t.base, 'null'] : t.base };
  if (t.base === 'object') {
    const props = node.properties ?? {};
    out.properties = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, normalizeNode(v)]));
    out.required = [...(node.required ?? [])];
    out.additionalProperties = node.additionalProperties ?? false;
  }
  if (t.base === 'array' && node.items !== undefined) out.items = normalizeNode(node.items);
  return out as unknown as SchemaNode;
}

/**
 * The normalized form of a valid schema (see `EventContract.schema`). Pure: the input is not
 * changed. Only call it on a schema `checkEventSchema` accepted.
 */
export function normalizeEventSchema(schema: Record<string, unknown>, application: string, eventType: string): EventSchema {
  const user = normalizeNode(schema as unknown as SchemaNode) as EventSchema;
  const { $schema: _ignored, ...rest } = user;
  void _ignored;
  return {
    $schema: JSON_SCHEMA_DIALECT,
    ...rest,
    type: 'object',
    properties: { ...envelopeProperties(application, eventType), ...user.properties },
  };
}

/** SHA-256 (hex) of a value's canonical JSON. */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Schema files

export interface LoadedSchemaFile {
  /** The parsed schema, when the file could be read and parsed. */
  readonly value?: unknown;
  /** Problems reading or parsing the file, each naming the file. */
  readonly errors: readonly string[];
  /** `file:line:col` of a JSON pointer's segments inside the file, when known. */
  readonly locate: (p: readonly (string | number)[]) => string;
}

/**
 * Reads a schema file: `reference` as written in the config, resolved against the config file's
 * folder. JSON files must be strict JSON; YAML files are YAML 1.2 with unique keys.
 */
export function loadSchemaFile(reference: string, configFile: string): LoadedSchemaFile {
  const shown = reference;
  const none = (): string => shown;
  if (path.isAbsolute(reference) || /^[A-Za-z]:[\\/]/.test(reference)) {
    return { errors: [`${shown}: use a path relative to the config file, so the repository works from any checkout`], locate: none };
  }
  const file = path.resolve(path.dirname(configFile), reference);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a folder' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    return { errors: [`cannot read schema file ${shown} (${why}; resolved to ${file})`], locate: none };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true });
  const locate = (p: readonly (string | number)[]): string => {
    const pos = nodeOffset(doc, p);
    if (pos === undefined) return shown;
    const { line, col } = lineCounter.linePos(pos);
    return `${shown}:${line}:${col}`;
  };
  if (/\.json$/i.test(reference)) {
    try {
      return { value: JSON.parse(text) as unknown, errors: [], locate };
    } catch (err) {
      return { errors: [`schema file ${shown} is not valid JSON (${(err as Error).message})`], locate: none };
    }
  }
  if (doc.errors.length > 0) {
    return {
      errors: doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return `schema file ${pos ? `${shown}:${pos.line}:${pos.col}` : shown} is not valid YAML (${e.message.split('\n')[0]})`;
      }),
      locate: none,
    };
  }
  return { value: doc.toJS() as unknown, errors: [], locate };
}

function nodeOffset(doc: Document, p: readonly (string | number)[]): number | undefined {
  for (let n = p.length; n >= 0; n--) {
    const node = doc.getIn(p.slice(0, n), true) as Node | undefined;
    if (node === undefined || node === null) continue;
    if (n < p.length || !isScalar(node)) {
      // Point at the key of the last segment when the value itself is a collection.
      const parent = n > 0 ? (doc.getIn(p.slice(0, n - 1), true) as Node | undefined) : undefined;
      const last = p[n - 1];
      if (n === p.length && parent && isMap(parent) && typeof last === 'string') {
        const pair = parent.items.find((it) => isPair(it) && isScalar(it.key) && it.key.value === last);
        if (pair && isScalar(pair.key) && pair.key.range) return pair.key.range[0];
      }
    }
    if (node.range) return node.range[0];
  }
  return undefined;
}

/** `/properties/amount/type` */
export function jsonPointer(p: readonly (string | number)[]): string {
  return p.length === 0 ? '/' : p.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

// ---------------------------------------------------------------------------------------------
// Resolution over the raw config (lenient: runs on whatever parts of the file are readable)

export interface ResolvedContracts {
  /** Problems, located in the config (path from the config's root). */
  readonly issues: readonly ContractIssue[];
  /** Contracts of the event types whose schema is valid, keyed by `<application>/<eventType>`. */
  readonly contracts: ReadonlyMap<string, EventContract>;
}

const asObj = (v: unknown): Record<string, unknown> => (isPlainObject(v) ? v : {});

/**
 * Loads, checks and resolves the contracts of every event type of a parsed (not yet validated)
 * config. `configFile` locates schema files and names them in messages.
 */
export function resolveContracts(data: unknown, configFile: string): ResolvedContracts {
  const issues: ContractIssue[] = [];
  const contracts = new Map<string, EventContract>();
  const root = asObj(data);
  const defaults = asObj(root.defaults);
  const defaultMode = (SCHEMA_MODES as readonly unknown[]).includes(defaults.schemaMode) ? (defaults.schemaMode as SchemaMode) : DEFAULT_SCHEMA_MODE;
  const defaultTransform = defaults.transform;
  const files = new Map<string, LoadedSchemaFile>();

  (Array.isArray(root.applications) ? root.applications : []).forEach((app, ai) => {
    const a = asObj(app);
    if (typeof a.name !== 'string') return;
    (Array.isArray(a.eventTypes) ? a.eventTypes : []).forEach((entry, ti) => {
      if (!isPlainObject(entry) || typeof entry.name !== 'string') return;
      const base: (string | number)[] = ['applications', ai, 'eventTypes', ti];
      const key = naming.eventTypeKey(a.name as string, entry.name);
      const schemaValue = entry.schema;
      if (schemaValue === undefined) {
        if (entry.schemaMode !== undefined) {
          issues.push({ path: [...base, 'schemaMode'], message: 'has no effect without a schema: add `schema` to this event type or remove `schemaMode`' });
        }
        return;
      }
      const transform = entry.transform ?? defaultTransform ?? 'lambda';
      if (transform === 'native') {
        issues.push({
          path: [...base, 'schema'],
          message:
            'schemas are enforced by the JSONL transform Lambda, and this event type uses transform: native (nothing would validate its events); ' +
            'set transform: lambda on it or remove the schema',
        });
      }
      let value: unknown;
      let source: string;
      let locate: ((p: readonly (string | number)[]) => string) | undefined;
      if (typeof schemaValue === 'string') {
        if (!/\.(json|ya?ml)$/i.test(schemaValue)) return; // the zod schema reports it
        source = schemaValue;
        let loaded = files.get(schemaValue);
        if (loaded === undefined) {
          loaded = loadSchemaFile(schemaValue, configFile);
          files.set(schemaValue, loaded);
        }
        for (const e of loaded.errors) issues.push({ path: [...base, 'schema'], message: e });
        if (loaded.errors.length > 0) return;
        value = loaded.value;
        locate = loaded.locate;
      } else if (isPlainObject(schemaValue)) {
        source = 'inline';
        value = schemaValue;
      } else {
        return; // the zod schema reports it
      }
      const problems = checkEventSchema(value);
      for (const p of problems) {
        issues.push(
          locate === undefined
            ? { path: [...base, 'schema', ...p.path], message: p.message }
            : { path: [...base, 'schema'], message: `${locate(p.path)} ${jsonPointer(p.path)}: ${p.message}` },
        );
      }
      if (problems.length > 0 || transform === 'native') return;
      const mode = (SCHEMA_MODES as readonly unknown[]).includes(entry.schemaMode) ? (entry.schemaMode as SchemaMode) : defaultMode;
      const schema = normalizeEventSchema(value as Record<string, unknown>, a.name as string, entry.name);
      contracts.set(key, { mode, schema, source, hash: contentHash(schema) });
    });
  });
  return { issues, contracts };
}

/**
 * Reads a config file's contracts on their own (for `npm run types` and the review, which must
 * work on any config the loader accepts). Throws ConfigError listing every contract problem.
 */
export function contractsFromConfigText(text: string, configFile: string): ReadonlyMap<string, EventContract> {
  const doc = parseYamlDocument(text);
  if (doc.errors.length > 0) {
    throw new ConfigError(configFile, doc.errors.map((e) => ({ path: '', message: `YAML syntax error: ${e.message.split('\n')[0]}` })));
  }
  // The loader's alias rules (config/yaml-document.ts), not the yaml library's limit of 100 uses.
  const data = documentData(doc);
  if (data.problem !== undefined) throw new ConfigError(configFile, [{ path: data.problem.path.map(String).join('.'), message: data.problem.message }]);
  const { issues, contracts } = resolveContracts(data.value, configFile);
  if (issues.length > 0) {
    throw new ConfigError(configFile, issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })));
  }
  return contracts;
}

/** Every event type of a parsed config as `[key, application, eventType]`, in config order. */
export function eventTypesOf(data: unknown): { key: string; application: string; eventType: string }[] {
  const out: { key: string; application: string; eventType: string }[] = [];
  for (const app of Array.isArray(asObj(data).applications) ? (asObj(data).applications as unknown[]) : []) {
    const a = asObj(app);
    if (typeof a.name !== 'string') continue;
    for (const t of Array.isArray(a.eventTypes) ? a.eventTypes : []) {
      const name = typeof t === 'string' ? t : isPlainObject(t) && typeof t.name === 'string' ? t.name : undefined;
      if (name !== undefined) out.push({ key: naming.eventTypeKey(a.name, name), application: a.name, eventType: name });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Lake names: Athena's character set, and collisions once "-" became "_"

const LOWER_NAME = /^[a-z0-9][a-z0-9_-]*$/;
const PROJECT_NAME = /^[a-z0-9][a-z0-9-]*$/;

/**
 * Checks the Glue database, Athena workgroup and Glue table names of a parsed config: each within
 * its AWS rule, no two event types mapping to the same table (data and error tables share the
 * database), and no two environments in the same region and account mapping to the same database.
 */
export function lakeNameIssues(data: unknown): ContractIssue[] {
  const issues: ContractIssue[] = [];
  const root = asObj(data);
  const project = typeof root.project === 'string' && PROJECT_NAME.test(root.project) ? root.project : undefined;
  if (project === undefined) return issues;
  const envs = Object.entries(asObj(root.environments))
    .filter(([name]) => LOWER_NAME.test(name))
    .map(([name, e]) => ({ name, region: asObj(e).region, account: asObj(e).account }));

  const databases = new Map<string, { env: string; region: unknown; account: unknown }[]>();
  for (const env of envs) {
    const p: naming.NamePrefix = { project, environment: env.name };
    for (const [kind, name] of [
      ['glueDatabase', naming.glueDatabaseName(p)],
      ['athenaWorkgroup', naming.athenaWorkgroupName(p)],
    ] as const) {
      const problem = naming.checkName(kind, name);
      if (problem) issues.push({ path: ['environments', env.name], message: `${problem}; shorten the project or environment name` });
    }
    const db = naming.glueDatabaseName(p);
    const same = (databases.get(db) ?? []).find(
      (o) => o.region === env.region && (o.account === undefined || env.account === undefined || o.account === env.account),
    );
    if (same !== undefined) {
      issues.push({
        path: ['environments', env.name],
        message: `Glue database "${db}" of environment "${env.name}" is also the database of environment "${same.env}" in ${String(env.region)} ("-" becomes "_" in Athena names); rename one of the environments`,
      });
    }
    databases.set(db, [...(databases.get(db) ?? []), { env: env.name, region: env.region, account: env.account }]);
  }

  const owners = new Map<string, string>();
  (Array.isArray(root.applications) ? root.applications : []).forEach((app, ai) => {
    const a = asObj(app);
    if (typeof a.name !== 'string' || !LOWER_NAME.test(a.name)) return;
    (Array.isArray(a.eventTypes) ? a.eventTypes : []).forEach((t, ti) => {
      const name = typeof t === 'string' ? t : isPlainObject(t) && typeof t.name === 'string' ? t.name : undefined;
      if (name === undefined || !LOWER_NAME.test(name)) return;
      const namePath = typeof t === 'string' ? ['applications', ai, 'eventTypes', ti] : ['applications', ai, 'eventTypes', ti, 'name'];
      const owner = naming.eventTypeKey(a.name as string, name);
      for (const table of [naming.glueTableName(a.name as string, name), naming.glueErrorTableName(a.name as string, name)]) {
        const problem = naming.checkName('glueTable', table);
        if (problem) issues.push({ path: namePath, message: `${problem}; shorten the application or event type name` });
        const prev = owners.get(table);
        if (prev !== undefined && prev !== owner) {
          issues.push({
            path: namePath,
            message: `Glue table name "${table}" of ${owner} collides with the table of ${prev} (Athena names use "_" for "-", and "__" joins the parts); rename one of the event types`,
          });
        } else owners.set(table, owner);
      }
    });
  });
  return issues;
}
