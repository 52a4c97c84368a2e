/**
 * The config reference, docs/config.md, generated from the same source as the editor JSON Schema:
 * the zod schema and its `.describe()` texts. `npm run schema` writes both files, and a test fails
 * when either is stale.
 *
 * `renderConfigReference` is pure: a JSON Schema (draft 7, as `z.toJSONSchema` writes it) in,
 * markdown out. It walks the schema in its own key order and makes
 * - one section per object with many or nested keys (its heading is the key's full path, with
 *   `[]` for list items and `<env>`-style placeholders for map keys);
 * - one table row per key: type with the allowed values and bounds, default, description. The
 *   default is the text after `@default` in the description; a key the schema requires says so;
 * - rows in the parent's table for a small object (at most four plain keys), as `parent.key`;
 * - one section per named part (a zod schema used in several places, such as a hot-path
 *   condition), linked from every key that uses it.
 * The intro and the few notes between sections are hand-written, here.
 */
import { z } from 'zod';
import { trackingJsonSchema } from './json-schema';
import { comparisonSchema, conditionSchema } from './hot-path';

export const CONFIG_REFERENCE_PATH = 'docs/config.md';

/** The parts of draft-7 JSON Schema that `z.toJSONSchema` writes for the tracking config. */
export interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly description?: string;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: JsonSchema | boolean;
  readonly propertyNames?: JsonSchema;
  readonly items?: JsonSchema;
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly format?: string;
  readonly minItems?: number;
  readonly maxItems?: number;
}

/** A schema used in several places, documented once in a section of its own. */
export interface NamedPart {
  /** Section title and link text, such as "condition". */
  readonly name: string;
  readonly schema: JsonSchema;
}

export interface ReferenceOptions {
  /** Markdown before the first section (title included). */
  readonly intro: string;
  readonly named?: readonly NamedPart[];
  /** Placeholder of a map's keys, by the map's key name (`environments` → `env`). @default "name" */
  readonly placeholders?: Readonly<Record<string, string>>;
  /** Hand-written markdown placed after a section's description, by section path. */
  readonly notes?: Readonly<Record<string, string>>;
  /** Title of the section of the top-level keys. @default "Top level" */
  readonly rootTitle?: string;
}

/** One key of the reference: where it is, what it takes, its default and what it does. */
export interface ReferenceEntry {
  /** Full path from the config root, such as `environments.<env>.bucket.name`. */
  readonly path: string;
  /** Path relative to its section (what the table shows). */
  readonly key: string;
  readonly type: string;
  readonly required: boolean;
  /** The `@default` text; undefined when the description gives none. */
  readonly default?: string;
  readonly description: string;
  /** The values the key allows, when it lists them (a default among them is shown as a value). */
  readonly values?: readonly string[];
  /** The named part this row stands for (an alternative of a union), instead of a key. */
  readonly named?: string;
  /** A block of keys (an object, or a list or map of objects): its keys carry the defaults. */
  readonly block?: boolean;
  /** Links to the sections of its keys (markdown). */
  readonly see?: string;
  /** A key of one form of a union (`all` of a condition): neither required nor defaulted. */
  readonly alternative?: boolean;
}

interface Section {
  readonly path: string;
  readonly title: string;
  readonly anchor: string;
  readonly depth: number;
  readonly description: string;
  readonly rows: ReferenceEntry[];
}

/** Keys with at most this many plain keys are listed in their parent's table. */
const INLINE_MAX_KEYS = 4;

// ---------------------------------------------------------------------------------------------
// Reading a schema node
// ---------------------------------------------------------------------------------------------

const isObjectNode = (n: JsonSchema): boolean => n.properties !== undefined;

/** The node's description split into the text and its `@default`. */
export function splitDefault(description: string | undefined): { text: string; dflt?: string } {
  const d = (description ?? '').trim();
  const at = d.search(/(^|\s)@default(\s|$)/);
  if (at < 0) return { text: d };
  const text = d.slice(0, at).trim();
  const dflt = d.slice(at).trim().replace(/^@default\s*/, '').trim();
  return dflt === '' ? { text } : { text, dflt };
}

/** Deep equality of two JSON values, ignoring the top-level `description`. */
function sameShape(a: JsonSchema, b: JsonSchema): boolean {
  const strip = (n: JsonSchema): unknown => ({ ...n, description: undefined });
  return canonical(strip(a)) === canonical(strip(b));
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

function anchorOf(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** 10240 → "10,240"; keeps decimals. */
function num(n: number): string {
  const [int = '', frac] = String(n).split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac === undefined ? grouped : `${grouped}.${frac}`;
}

const code = (s: string): string => `\`${s}\``;
const literal = (v: unknown): string => code(typeof v === 'string' ? v : JSON.stringify(v));

/** Numeric bounds, such as "1–128", "≥ 60", "> 0". */
function bounds(n: JsonSchema): string | undefined {
  const max = n.maximum !== undefined && n.maximum < Number.MAX_SAFE_INTEGER ? n.maximum : undefined;
  const min = n.minimum;
  if (min !== undefined && max !== undefined) return `${num(min)}–${num(max)}`;
  const parts: string[] = [];
  if (min !== undefined) parts.push(`≥ ${num(min)}`);
  if (n.exclusiveMinimum !== undefined) parts.push(`> ${num(n.exclusiveMinimum)}`);
  if (max !== undefined) parts.push(`≤ ${num(max)}`);
  if (n.exclusiveMaximum !== undefined) parts.push(`< ${num(n.exclusiveMaximum)}`);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

function countRange(min: number | undefined, max: number | undefined, unit: string): string | undefined {
  if (min !== undefined && max !== undefined) return min === max ? `${num(min)} ${unit}` : `${num(min)}–${num(max)} ${unit}`;
  if (min !== undefined) return min === 1 && unit === 'characters' ? 'not empty' : `at least ${num(min)} ${unit}`;
  if (max !== undefined) return `at most ${num(max)} ${unit}`;
  return undefined;
}

class Renderer {
  public readonly sections: Section[] = [];
  private readonly usedNamed = new Set<string>();

  constructor(private readonly opts: ReferenceOptions) {}

  private named(n: JsonSchema): NamedPart | undefined {
    return this.opts.named?.find((p) => sameShape(p.schema, n));
  }

  private namedLink(p: NamedPart): string {
    this.usedNamed.add(p.name);
    return `[${p.name}](#${anchorOf(p.name)})`;
  }

  /** A short type expression, with allowed values and bounds. */
  typeOf(n: JsonSchema): string {
    const named = this.named(n);
    if (named !== undefined) return this.namedLink(named);
    const alts = n.anyOf ?? n.oneOf;
    if (alts !== undefined) {
      if (alts.every((a) => a.const !== undefined)) return `one of ${alts.map((a) => literal(a.const)).join(', ')}`;
      return [...new Set(alts.map((a) => this.typeOf(a)))].join(' or ');
    }
    if (n.const !== undefined) return literal(n.const);
    if (n.enum !== undefined) return `one of ${n.enum.map(literal).join(', ')}`;
    if (Array.isArray(n.type)) return n.type.join(' or ');
    const type = n.type as string | undefined;
    switch (type) {
      case 'integer':
      case 'number': {
        // An integer above 0 is an integer from 1.
        const b = bounds(type === 'integer' && n.exclusiveMinimum !== undefined && n.minimum === undefined ? { ...n, minimum: Math.floor(n.exclusiveMinimum) + 1, exclusiveMinimum: undefined } : n);
        return b === undefined ? type : `${type}, ${b}`;
      }
      case 'string': {
        const extras = [countRange(n.minLength, n.maxLength, 'characters'), n.pattern !== undefined ? `pattern ${code(n.pattern)}` : undefined, n.format];
        const e = extras.filter((x): x is string => x !== undefined);
        return e.length > 0 ? `string (${e.join(', ')})` : 'string';
      }
      case 'boolean':
        return 'boolean';
      case 'array': {
        const itemType = n.items === undefined ? 'any' : this.typeOf(n.items);
        const item = / or /.test(itemType) ? `(${itemType})` : itemType;
        const c = n.minItems === 1 && n.maxItems === undefined ? 'not empty' : countRange(n.minItems, n.maxItems, 'items');
        return `list${c !== undefined ? ` (${c})` : ''} of ${item}`;
      }
      case 'object': {
        if (n.properties !== undefined) {
          const keys = Object.keys(n.properties);
          if (keys.length === 1) return code(`{ ${keys[0]}: … }`);
          return 'object';
        }
        const value = n.additionalProperties;
        if (value === undefined || value === true || (typeof value === 'object' && Object.keys(value).length === 0)) return 'object';
        if (value === false) return 'object (no keys)';
        return `map of ${this.typeOf(n.propertyNames ?? { type: 'string' })} to ${this.typeOf(value)}`;
      }
      default:
        return 'any';
    }
  }

  /** The alternatives' own descriptions, as "a string: …; an object: …". */
  private alternativesText(n: JsonSchema): string {
    const alts = n.anyOf ?? n.oneOf ?? [];
    const described = alts.filter((a) => a.description !== undefined && this.named(a) === undefined);
    if (described.length === 0) return '';
    return ` ${described.map((a) => `As ${a.type === 'object' ? 'an object' : `a ${String(a.type)}`}: ${splitDefault(a.description).text}`).join(' ')}`;
  }

  private placeholder(key: string): string {
    return `<${this.opts.placeholders?.[key] ?? 'name'}>`;
  }

  /** Whether an object is listed in its parent's table rather than in a section of its own. */
  private isSmall(n: JsonSchema): boolean {
    const props = Object.values(n.properties ?? {});
    return props.length <= INLINE_MAX_KEYS && props.every((p) => this.objectsOf(p).length === 0);
  }

  /**
   * The objects (with keys) a value holds, looking through lists, maps and alternatives; named
   * parts are not looked into. With where they sit: `suffix` is what the path gains (`[]`, `.<env>`).
   */
  private objectsOf(n: JsonSchema, key = ''): { node: JsonSchema; suffix: string }[] {
    if (this.named(n) !== undefined) return [];
    if (isObjectNode(n)) return [{ node: n, suffix: '' }];
    if (n.type === 'array' && n.items !== undefined) return this.objectsOf(n.items, key).map((o) => ({ ...o, suffix: `[]${o.suffix}` }));
    if (n.type === 'object' && typeof n.additionalProperties === 'object') {
      return this.objectsOf(n.additionalProperties, key).map((o) => ({ ...o, suffix: `.${this.placeholder(key)}${o.suffix}` }));
    }
    const alts = n.anyOf ?? n.oneOf;
    if (alts !== undefined) return alts.flatMap((a) => this.objectsOf(a, key));
    return [];
  }

  /** The discriminating key of alternatives that each fix it to a different constant (`type: lambda`). */
  private discriminator(objects: readonly JsonSchema[]): string | undefined {
    if (objects.length < 2) return undefined;
    const first = objects[0]!.properties ?? {};
    return Object.keys(first).find((k) => objects.every((o) => o.properties?.[k]?.const !== undefined));
  }

  section(path: string, title: string, n: JsonSchema, depth: number, description: string): Section {
    const s: Section = { path, title, anchor: anchorOf(title), depth, description, rows: [] };
    this.sections.push(s);
    this.rows(s, '', n);
    return s;
  }

  /** The rows of an object's keys (or an alternative's) into section `s`, with keys prefixed by `prefix`. */
  private rows(s: Section, prefix: string, n: JsonSchema, alternative = false): void {
    const alts = n.anyOf ?? n.oneOf;
    if (!isObjectNode(n) && alts !== undefined) {
      for (const a of alts) {
        const p = this.named(a);
        if (p !== undefined) {
          const { text } = splitDefault(a.description);
          s.rows.push({ path: s.path, key: '', named: p.name, type: 'object', required: false, description: text, alternative: true });
          this.namedLink(p);
        } else this.rows(s, prefix, a, true);
      }
      return;
    }
    const required = new Set(n.required ?? []);
    for (const [k, child] of Object.entries(n.properties ?? {})) {
      const key = prefix === '' ? k : `${prefix}.${k}`;
      const path = s.path === '' ? key : `${s.path}.${key}`;
      const { text, dflt } = splitDefault(child.description);
      const objects = this.objectsOf(child, k);
      const values = valuesOf(child);
      const entry = (description: string): ReferenceEntry => ({
        path,
        key,
        type: this.typeOf(child),
        required: required.has(k) && !alternative,
        ...(alternative ? { alternative } : {}),
        ...(dflt !== undefined ? { default: dflt } : {}),
        description: `${description}${this.alternativesText(child)}`,
        ...(values !== undefined ? { values } : {}),
      });
      if (objects.length === 0) {
        s.rows.push(entry(text));
        continue;
      }
      const disc = this.discriminator(objects.map((o) => o.node));
      if (disc === undefined && objects.length === 1 && this.isSmall(objects[0]!.node)) {
        s.rows.push({ ...entry(text), block: true });
        this.rows(s, `${key}${objects[0]!.suffix}`, objects[0]!.node, alternative);
        continue;
      }
      const links: string[] = [];
      for (const o of objects) {
        const at = `${path}${o.suffix}`;
        const variant = disc === undefined ? '' : ` (${disc}: ${String(o.node.properties?.[disc]?.const)})`;
        const title = `${at}${variant}`;
        const sub = this.section(at, title, o.node, s.depth + 1, splitDefault(o.node.description).text || (objects.length === 1 ? text : ''));
        links.push(`[${code(title)}](#${sub.anchor})`);
      }
      s.rows.push({ ...entry(text), block: true, see: `See ${links.join(', ')}.` });
    }
  }

  render(root: JsonSchema): string {
    const rootTitle = this.opts.rootTitle ?? 'Top level';
    const top: Section = { path: '', title: rootTitle, anchor: anchorOf(rootTitle), depth: 1, description: '', rows: [] };
    this.sections.push(top);
    this.rows(top, '', root);
    // Named parts, in the order given, once each and only when used.
    const done = new Set<string>();
    for (let i = 0; i < (this.opts.named ?? []).length; i++) {
      for (const p of this.opts.named ?? []) {
        if (done.has(p.name) || !this.usedNamed.has(p.name)) continue;
        done.add(p.name);
        this.section(p.name, p.name, p.schema, 1, splitDefault(p.schema.description).text);
      }
    }
    return this.markdown();
  }

  private markdown(): string {
    const out: string[] = [this.opts.intro.trim(), '', '## Contents', ''];
    for (const s of this.sections) out.push(`${'  '.repeat(s.depth - 1)}- [${s.depth === 1 && s.path === '' ? s.title : code(s.title)}](#${s.anchor})`);
    for (const s of this.sections) {
      out.push('', `<a id="${s.anchor}"></a>`, '', `${'#'.repeat(Math.min(s.depth + 1, 4))} ${s.path === '' ? s.title : code(s.title)}`, '');
      if (s.description !== '') out.push(prose(s.description), '');
      const note = this.opts.notes?.[s.path];
      if (note !== undefined) out.push(note.trim(), '');
      out.push('| Key | Type | Default | Description |', '| --- | --- | --- | --- |');
      for (const r of s.rows) {
        const key = r.named !== undefined ? `a [${r.named}](#${anchorOf(r.named)})` : code(r.key);
        out.push(`| ${cell(key)} | ${cell(r.type)} | ${cell(r.required ? '**required**' : r.alternative === true ? '—' : defaultText(r.default, r.values))} | ${cell(`${prose(r.description)}${r.see !== undefined ? ` ${r.see}` : ''}`.trim())} |`);
      }
    }
    return `${out.join('\n')}\n`;
  }
}

/** The values of an enum or a union of constants, as text. */
function valuesOf(n: JsonSchema): string[] | undefined {
  const alts = n.anyOf ?? n.oneOf;
  const raw = n.enum ?? (alts?.every((a) => a.const !== undefined) ? alts.map((a) => a.const) : undefined);
  return raw?.map((v) => String(v));
}

/** A default as the reader should see it: values in code, prose as prose. */
function defaultText(d: string | undefined, values: readonly string[] = []): string {
  if (d === undefined) return '';
  // The first word, without the punctuation that follows it ("5000, 2000 or 100").
  const m = /^(\S+?)([,;:]?(?:\s.*)?)$/s.exec(d);
  const [first = '', rest = ''] = m === null ? [d, ''] : [m[1], m[2]];
  const isValue =
    values.includes(first) || /^(-?\d[\d.]*|true|false|\[.*\]|\{.*\}|[A-Z][A-Z0-9_]*|[A-Za-z]+_[A-Za-z0-9_]+)$/.test(first) || /[/<$]/.test(first);
  if (/^\[.*\]$/.test(d) || /^\{.*\}$/.test(d)) return code(d);
  if (/^\[/.test(d)) {
    const close = d.indexOf(']');
    return `${code(d.slice(0, close + 1))}${prose(d.slice(close + 1))}`;
  }
  return isValue ? `${code(first)}${prose(rest)}` : prose(d);
}

/**
 * Markdown-safe prose: `<`, `>` and `*` outside code spans escaped (placeholders such as
 * `<project>` would otherwise vanish as HTML), `docs/<page>.md` linked (this page is in docs/).
 */
function prose(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part, i) => {
      if (i % 2 === 1) return part;
      return part
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;')
        .replace(/\*/g, '\\*')
        .replace(/\bdocs\/([a-z0-9-]+\.md)\b/g, '[docs/$1]($1)');
    })
    .join('');
}

/** A table cell: no line breaks, `|` escaped (also inside code spans, as GitHub tables need). */
function cell(text: string): string {
  return text.replace(/\n+/g, ' ').replace(/\|/g, '\\|');
}

/** The reference of a JSON Schema: pure, the same schema gives the same bytes. */
export function renderConfigReference(schema: JsonSchema, opts: ReferenceOptions): string {
  return new Renderer(opts).render(schema);
}

/** Every key the reference lists, in order (for tests: every key described, every optional key defaulted). */
export function referenceEntries(schema: JsonSchema, opts: Omit<ReferenceOptions, 'intro'>): ReferenceEntry[] {
  const r = new Renderer({ ...opts, intro: '' });
  r.render(schema);
  return r.sections.flatMap((s) => s.rows);
}

// ---------------------------------------------------------------------------------------------
// The tracking config's reference
// ---------------------------------------------------------------------------------------------

const INTRO = `
# Config reference

<!-- Generated from the zod schema (config/*.ts) by \`npm run schema\` (config/reference.ts). Do not edit: change the .describe() texts and run \`npm run schema\`. -->

The tracking config is one YAML file: the project, its environments, its applications and their
event types. \`npm run synth\` reads \`config/tracking.yaml\` (or \`$TRACKING_CONFIG\`). This page lists
every key, generated from the zod schema that the loader validates with
([config/schema.ts](../config/schema.ts) and the modules it includes), so it cannot drift from
what the loader accepts. Examples to start from: [examples/](../examples/README.md).

**Editors.** The same schema is written as JSON Schema to
[config/tracking.schema.json](../config/tracking.schema.json). Start the file with
\`# yaml-language-server: $schema=./tracking.schema.json\` (a path relative to the YAML file) and
editors with the YAML language server complete keys and flag typos as you type.

**Reading the tables.** A key's path is its section's heading followed by the key: \`[]\` is an
item of a list, \`<env>\` and \`<application>\` stand for keys you choose. "Default" is what an
optional key means when it is left out; **required** keys have none. Unknown keys are errors (a
misspelled key is never silently ignored).

**Defaults** are merged in one order: the built-in defaults, then the top-level \`defaults\`, then
the event type's own keys (key by key inside \`buffering\`). An environment's \`logRetentionDays\`,
\`stacks\` (key by key) and \`tags\` (added to the top-level tags) override the top-level ones for
that environment.

**Validation.** The loader reports every problem at once, each with its file, line and column, the
value, what is wrong and how to fix it: unknown keys (with "did you mean"), wrong types, values out
of bounds, names that collide or exceed an AWS limit once joined, more delivery streams than the
region's quota, declared peaks above one stream's throughput, and contract schemas outside the
supported subset. Some rules span several keys (a transition at least 30 days after another, a
write deadline shorter than the function timeout): the descriptions below state them.
`;

const NOTES: Readonly<Record<string, string>> = {
  'environments.<env>':
    'Each key of `environments` is an environment name (lowercase letters, digits, `_` and `-`); ' +
    'it becomes part of every physical name, and one environment name may not extend another (`dev` and `dev-eu` would share an IAM namespace).',
  'applications[].eventTypes[]':
    'Each entry is an event type name (`- page_view`), or an object with the name and options. Every event type gets a Firehose delivery stream, ' +
    'its log stream and an Athena table in each environment. A **contract** (`schema`) is a JSON Schema, draft 2020-12, of the subset ' +
    'listed in [contracts.md](contracts.md#the-supported-json-schema-subset): events are validated at ingest, the table gets typed columns, ' +
    'and `npm run types` generates TypeScript types.',
  'environments.<env>.rootStream.hotPath':
    'Design, semantics and examples: [hot-path.md](hot-path.md). Conditions (`match`, `rate.where`): [condition](#condition).',
  'environments.<env>.collector': 'Design, security and operations: [collector.md](collector.md).',
  condition: [
    'Used by `match` and `rate.where` of a hot-path rule ([hot-path.md](hot-path.md)). For example:',
    '',
    '```yaml',
    "match: { field: amount, op: '>=', value: 1000 }",
    'match:',
    '  all:',
    '    - { field: currency, op: in, value: [EUR, USD] }',
    "    - any: [{ field: amount, op: '>', value: 5000 }, { field: customer.tier, op: '=', value: new }]",
    '```',
  ].join('\n'),
};

function schemaOf(s: z.ZodType): JsonSchema {
  const schema = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any', target: 'draft-7' }) as JsonSchema & { $schema?: string };
  return { ...schema, $schema: undefined } as JsonSchema;
}

/** docs/config.md, from the tracking config's zod schema. */
export function trackingConfigReference(): string {
  const root = JSON.parse(trackingJsonSchema()) as JsonSchema;
  return renderConfigReference(root, { intro: INTRO, ...REFERENCE_OPTIONS });
}

/** The options of the tracking config's reference, without the intro. */
export const REFERENCE_OPTIONS: Omit<ReferenceOptions, 'intro'> = {
  named: [
    { name: 'condition', schema: schemaOf(conditionSchema) },
    { name: 'comparison', schema: schemaOf(comparisonSchema) },
  ],
  placeholders: { environments: 'env', applications: 'application' },
  notes: NOTES,
};

/** Every key of the tracking config, as the reference lists it. */
export function trackingConfigEntries(): ReferenceEntry[] {
  return referenceEntries(JSON.parse(trackingJsonSchema()) as JsonSchema, REFERENCE_OPTIONS);
}
