/**
 * Classification of event contract changes for `npm run review` (pure: no I/O).
 *
 * A change is COMPATIBLE when (1) every event the old contract accepted is still accepted (the
 * producers keep working: Confluent Schema Registry's BACKWARD rule, "new schema reads old data")
 * and (2) every field and value the old contract guaranteed is still there (queries on the Athena
 * table keep working: FORWARD's "old readers still find their fields"). Otherwise it is BREAKING.
 *
 *   compatible: a new optional field; a widened type (integer -> number, T -> [T, "null"]); a
 *               looser constraint (bound raised or removed, enum value added, pattern or format
 *               removed); a field no longer required; enforce -> observe.
 *   breaking:   a removed or renamed field; a narrowed or changed type; a tighter constraint; a
 *               newly required field (new or existing); a field added to an open object (old events
 *               may carry it with any value); a contract added to or removed from an existing type
 *               (its table's columns change); observe -> enforce.
 *
 * Transitive: the compatible changes compose (each is a widening, and widenings of widenings
 * are widenings), so a chain of reviewed compatible changes is compatible with every earlier
 * version: checking each change against its base is the "full, transitive" check. A breaking
 * change merged with an explicit allow starts a new baseline. See docs/contracts.md ("Compatibility").
 */
import { canonicalJson, ENVELOPE_FIELD_NAMES, type EventContract, type SchemaNode } from '../config/contracts';

export type Compatibility = 'compatible' | 'breaking';

export type ChangeKind =
  | 'contract-added'
  | 'contract-removed'
  | 'mode-enforced'
  | 'mode-relaxed'
  | 'field-added'
  | 'field-removed'
  | 'field-renamed'
  | 'field-required'
  | 'field-optional'
  | 'type-widened'
  | 'type-narrowed'
  | 'type-changed'
  | 'constraint-widened'
  | 'constraint-narrowed';

export interface SchemaChange {
  /** `<application>/<eventType>`. */
  readonly eventType: string;
  /** Dotted field path (`cart.items[].sku`), or '' for the whole contract. */
  readonly field: string;
  readonly kind: ChangeKind;
  readonly compatibility: Compatibility;
  /** One sentence: what changed, in words a reviewer acts on. */
  readonly message: string;
  /**
   * What the classification cannot see, for the reviewer to check: a new optional field of a
   * contract in observe mode (`observeModeWarning`).
   */
  readonly warning?: string;
}

/** The contracts of a config, keyed by `<application>/<eventType>` (types without a schema are absent). */
export type ContractSet = ReadonlyMap<string, Pick<EventContract, 'mode' | 'schema'>>;

/**
 * Classifies the contract changes between two configs, for the event types present in both (an
 * added type has nothing to be compatible with; a removed type removes its delivery stream, which
 * the review already flags as destructive). `typesBefore` / `typesAfter` list every event type
 * key of each config, with or without a contract.
 */
export function classifySchemaChanges(
  before: ContractSet,
  after: ContractSet,
  typesBefore: Iterable<string>,
  typesAfter: Iterable<string>,
): SchemaChange[] {
  const inBoth = [...new Set(typesBefore)].filter((k) => new Set(typesAfter).has(k)).sort();
  const changes: SchemaChange[] = [];
  for (const key of inBoth) {
    const a = before.get(key);
    const b = after.get(key);
    if (a === undefined && b === undefined) continue;
    if (a === undefined) {
      changes.push({
        eventType: key,
        field: '',
        kind: 'contract-added',
        compatibility: 'breaking',
        message: `contract added to an existing event type: its table's "raw" column becomes typed columns (queries on raw break)${b!.mode === 'enforce' ? ', and events that do not match now go to the error prefix' : ''}`,
      });
      continue;
    }
    if (b === undefined) {
      changes.push({
        eventType: key,
        field: '',
        kind: 'contract-removed',
        compatibility: 'breaking',
        message: 'contract removed: the typed columns of its table become one "raw" column (queries on them break)',
      });
      continue;
    }
    if (a.mode !== b.mode) {
      changes.push(
        b.mode === 'enforce'
          ? {
              eventType: key,
              field: '',
              kind: 'mode-enforced',
              compatibility: 'breaking',
              message: 'schemaMode observe -> enforce: events that violate the schema now go to the error prefix (check the SchemaViolations metric is 0 first)',
            }
          : { eventType: key, field: '', kind: 'mode-relaxed', compatibility: 'compatible', message: 'schemaMode enforce -> observe: violations are counted and let through' },
      );
    }
    const from = changes.length;
    compareNode(key, '', a.schema, b.schema, true, changes);
    if (a.mode === 'observe') {
      for (let i = from; i < changes.length; i++) {
        const c = changes[i]!;
        if (c.kind === 'field-added' && c.compatibility === 'compatible') changes[i] = { ...c, warning: observeModeWarning(key, c.field, fieldType(b.schema, c.field)) };
      }
    }
  }
  return changes;
}

/**
 * A new optional field is compatible for the events the contract checked. In observe mode the
 * contract checked nothing: events that carried an undeclared field (a violation of the closed
 * object) were counted and stored anyway, so stored events may already hold the new field's name
 * with another type, which the new typed column may not read. Athena fails such a query with
 * HIVE_BAD_DATA when "the data type defined in the table definition doesn't match the actual source
 * data" (AWS Knowledge Center, "Why does my Amazon Athena query fail with the error HIVE_BAD_DATA:
 * Error parsing field value for field X", https://repost.aws/knowledge-center/athena-hive-bad-data-parsing-field-value).
 * Trino's Hive JSON deserializer (trinodb/trino, lib/trino-hive-formats/.../json/JsonDeserializer.java)
 * refuses a non-scalar value in a scalar column, a string in a bigint or double column, a scalar in
 * a struct or array column; it reads any scalar as text into a string column, and a boolean column
 * parses the text, so anything but `true` reads as false.
 */
export function observeModeWarning(eventType: string, field: string, type: string | undefined): string {
  return (
    `\`${eventType}\` was in observe mode, which stores events that violate the contract: events stored before this change may already ` +
    `carry \`${field}\` with another type than ${type ?? 'the new one'}, which the new column may not read (Athena queries that read it fail with HIVE_BAD_DATA, ` +
    'or a boolean column reads such a value as false). ' +
    'Before merging, check that the SchemaViolations metric of its delivery stream never counted a violation while it was in observe mode, ' +
    'or give the field a name no producer has sent.'
  );
}

/** The JSON Schema type of a dotted field path (`cart.items[].sku`) in a schema, for messages. */
function fieldType(schema: SchemaNode, field: string): string | undefined {
  let node: SchemaNode | undefined = schema;
  for (const part of field.split('.')) {
    const arrays = /(\[\])*$/.exec(part)?.[0] ?? '';
    node = node?.properties?.[part.slice(0, part.length - arrays.length)];
    for (let i = 0; i < arrays.length / 2; i++) node = node?.items;
  }
  return node === undefined ? undefined : show(typeOf(node));
}

/** The breaking ones. */
export function breakingChanges(changes: readonly SchemaChange[]): SchemaChange[] {
  return changes.filter((c) => c.compatibility === 'breaking');
}

// ---------------------------------------------------------------------------------------------

type Base = 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array';

function typeOf(node: SchemaNode): { base: Base; nullable: boolean } {
  const t = node.type as string | readonly string[];
  if (typeof t === 'string') return { base: t as Base, nullable: false };
  return { base: t.find((x) => x !== 'null') as Base, nullable: t.includes('null') };
}

function fieldName(parent: string, name: string): string {
  return parent === '' ? name : `${parent}.${name}`;
}

function show(t: { base: Base; nullable: boolean }): string {
  return t.nullable ? `${t.base} or null` : t.base;
}

/** Annotation-free canonical form, to tell a rename (same schema, new name) from a change. */
function shape(node: SchemaNode): string {
  const strip = (n: SchemaNode): unknown => {
    const { title: _t, description: _d, $comment: _c, examples: _e, deprecated: _x, ...rest } = n;
    void [_t, _d, _c, _e, _x];
    const out: Record<string, unknown> = { ...rest };
    if (rest.properties) out.properties = Object.fromEntries(Object.entries(rest.properties).map(([k, v]) => [k, strip(v)]));
    if (rest.items) out.items = strip(rest.items);
    return out;
  };
  return canonicalJson(strip(node));
}

function compareNode(key: string, field: string, a: SchemaNode, b: SchemaNode, root: boolean, out: SchemaChange[]): void {
  const push = (kind: ChangeKind, compatibility: Compatibility, message: string, at = field): void => {
    out.push({ eventType: key, field: at, kind, compatibility, message });
  };
  const ta = typeOf(a);
  const tb = typeOf(b);
  const label = field === '' ? 'the event' : `\`${field}\``;
  if (ta.base !== tb.base) {
    if (ta.base === 'integer' && tb.base === 'number') {
      push('type-widened', 'compatible', `${label} widened from integer to number`);
    } else if (ta.base === 'number' && tb.base === 'integer') {
      push('type-narrowed', 'breaking', `${label} narrowed from number to integer: events with fractions no longer match, and stored ones no longer read as bigint`);
    } else {
      push('type-changed', 'breaking', `${label} changed type from ${show(ta)} to ${show(tb)}: old events no longer match and its column changes type`);
      return;
    }
  }
  if (ta.nullable !== tb.nullable) {
    if (tb.nullable) push('type-widened', 'compatible', `${label} may now be null`);
    else push('type-narrowed', 'breaking', `${label} may no longer be null`);
  }
  compareConstraints(a, b, label, push);

  if (ta.base === 'object') compareObject(key, field, a, b, root, out, push);
  if (ta.base === 'array' && a.items && b.items) compareNode(key, `${field}[]`, a.items, b.items, false, out);
}

function compareObject(
  key: string,
  field: string,
  a: SchemaNode,
  b: SchemaNode,
  root: boolean,
  out: SchemaChange[],
  push: (kind: ChangeKind, compatibility: Compatibility, message: string, at?: string) => void,
): void {
  const pa = a.properties ?? {};
  const pb = b.properties ?? {};
  const reqA = new Set(a.required ?? []);
  const reqB = new Set(b.required ?? []);
  const envelope = new Set<string>(root ? ENVELOPE_FIELD_NAMES : []);
  const removed = Object.keys(pa).filter((n) => !(n in pb) && !envelope.has(n));
  const added = Object.keys(pb).filter((n) => !(n in pa) && !envelope.has(n));

  // A removed and an added field with the same schema: a rename.
  const renamed = new Map<string, string>();
  for (const r of removed) {
    const match = added.find((n) => !([...renamed.values()] as string[]).includes(n) && shape(pa[r]!) === shape(pb[n]!));
    if (match !== undefined) renamed.set(r, match);
  }
  for (const r of removed) {
    const to = renamed.get(r);
    if (to !== undefined) {
      push('field-renamed', 'breaking', `\`${fieldName(field, r)}\` renamed to \`${fieldName(field, to)}\`: a rename removes the old field (and column) for every reader`, fieldName(field, r));
    } else {
      push('field-removed', 'breaking', `\`${fieldName(field, r)}\` removed: queries and consumers that read it break`, fieldName(field, r));
    }
  }
  const renamedTo = new Set(renamed.values());
  for (const n of added) {
    if (renamedTo.has(n)) continue;
    const at = fieldName(field, n);
    if (reqB.has(n)) {
      push('field-required', 'breaking', `\`${at}\` added as required: events without it (every existing producer's) no longer match`, at);
    } else if (a.additionalProperties === true) {
      push('field-added', 'breaking', `\`${at}\` added to an open object: events may already carry it with any value, which may not match (the object allowed undeclared fields)`, at);
    } else {
      push('field-added', 'compatible', `\`${at}\` added as an optional field`, at);
    }
  }
  for (const n of Object.keys(pa)) {
    if (!(n in pb) || envelope.has(n)) continue;
    const at = fieldName(field, n);
    if (!reqA.has(n) && reqB.has(n)) push('field-required', 'breaking', `\`${at}\` is now required: events without it no longer match`, at);
    if (reqA.has(n) && !reqB.has(n)) push('field-optional', 'compatible', `\`${at}\` is no longer required`, at);
    compareNode(key, at, pa[n]!, pb[n]!, false, out);
  }
  const label = field === '' ? 'the event' : `\`${field}\``;
  if (a.additionalProperties !== b.additionalProperties) {
    if (b.additionalProperties === true) push('constraint-widened', 'compatible', `${label} now accepts undeclared fields`);
    else push('constraint-narrowed', 'breaking', `${label} no longer accepts undeclared fields: events that carry one no longer match`);
  }
}

type Push = (kind: ChangeKind, compatibility: Compatibility, message: string) => void;

/** Compares one bound: `lower` bounds tighten when raised, upper ones when lowered. */
function bound(name: string, label: string, before: number | undefined, after: number | undefined, lower: boolean, push: Push): void {
  if (before === after) return;
  if (after === undefined) {
    push('constraint-widened', 'compatible', `${label}: ${name} ${before} removed`);
  } else if (before === undefined) {
    push('constraint-narrowed', 'breaking', `${label}: ${name} ${after} added`);
  } else if (lower ? after < before : after > before) {
    push('constraint-widened', 'compatible', `${label}: ${name} ${before} -> ${after}`);
  } else {
    push('constraint-narrowed', 'breaking', `${label}: ${name} ${before} -> ${after}`);
  }
}

function compareConstraints(a: SchemaNode, b: SchemaNode, label: string, push: Push): void {
  bound('minLength', label, a.minLength, b.minLength, true, push);
  bound('maxLength', label, a.maxLength, b.maxLength, false, push);
  bound('minimum', label, a.minimum, b.minimum, true, push);
  bound('exclusiveMinimum', label, a.exclusiveMinimum, b.exclusiveMinimum, true, push);
  bound('maximum', label, a.maximum, b.maximum, false, push);
  bound('exclusiveMaximum', label, a.exclusiveMaximum, b.exclusiveMaximum, false, push);
  bound('minItems', label, a.minItems, b.minItems, true, push);
  bound('maxItems', label, a.maxItems, b.maxItems, false, push);
  for (const key of ['pattern', 'format'] as const) {
    if (a[key] === b[key]) continue;
    if (b[key] === undefined) push('constraint-widened', 'compatible', `${label}: ${key} ${JSON.stringify(a[key])} removed`);
    else push('constraint-narrowed', 'breaking', `${label}: ${key} ${a[key] === undefined ? 'added' : 'changed'} (${JSON.stringify(b[key])})`);
  }
  if ((a.uniqueItems ?? false) !== (b.uniqueItems ?? false)) {
    if (b.uniqueItems === true) push('constraint-narrowed', 'breaking', `${label}: uniqueItems added`);
    else push('constraint-widened', 'compatible', `${label}: uniqueItems removed`);
  }
  // enum and const: the set of allowed values.
  const allowed = (n: SchemaNode): Set<string> | undefined =>
    n.const !== undefined ? new Set([canonicalJson(n.const)]) : n.enum !== undefined ? new Set(n.enum.map((v) => canonicalJson(v))) : undefined;
  const va = allowed(a);
  const vb = allowed(b);
  if (va === undefined && vb === undefined) return;
  if (vb === undefined) {
    push('constraint-widened', 'compatible', `${label}: allowed values no longer restricted`);
  } else if (va === undefined) {
    push('constraint-narrowed', 'breaking', `${label}: values restricted to ${[...vb].join(', ')}`);
  } else {
    const lost = [...va].filter((v) => !vb.has(v));
    const gained = [...vb].filter((v) => !va.has(v));
    if (lost.length > 0) push('constraint-narrowed', 'breaking', `${label}: allowed value(s) ${lost.join(', ')} removed`);
    else if (gained.length > 0) push('constraint-widened', 'compatible', `${label}: allowed value(s) ${gained.join(', ')} added`);
  }
}

/** The review's Markdown section (empty string when nothing changed). */
export function renderSchemaChanges(changes: readonly SchemaChange[]): string {
  if (changes.length === 0) return '';
  const breaking = breakingChanges(changes);
  const lines: string[] = [];
  if (breaking.length > 0) {
    lines.push(`### ⚠ Breaking contract changes (${breaking.length})`, '');
    for (const c of breaking) lines.push(`- **${c.eventType}**${c.field !== '' ? ` \`${c.field}\`` : ''}: ${c.message}`);
    lines.push(
      '',
      'Producers or queries of these event types break. Make the change compatible (add an optional field instead, ' +
        'keep the old one until its readers moved), or rerun the review with `--allow-breaking-contracts` ' +
        '(in CI: add the `allow-breaking-contracts` label).',
      '',
    );
  }
  const warned = changes.filter((c) => c.warning !== undefined);
  if (warned.length > 0) {
    lines.push(`### ⚠ Contract warnings (${warned.length})`, '');
    for (const c of warned) lines.push(`- **${c.eventType}** \`${c.field}\`: ${c.warning!}`);
    lines.push('');
  }
  lines.push('### Contract changes', '', '| Event type | Field | Change | Compatibility |', '| --- | --- | --- | --- |');
  for (const c of changes) {
    const compatibility = c.warning !== undefined ? `${c.compatibility} (see the warning)` : c.compatibility;
    lines.push(`| \`${c.eventType}\` | ${c.field !== '' ? `\`${c.field}\`` : '(contract)'} | ${c.message.replace(/\|/g, '\\|')} | ${compatibility} |`);
  }
  lines.push('');
  return lines.join('\n');
}
