/**
 * docs/config.md is generated from the zod schema (config/reference.ts, `npm run schema`): it must
 * be up to date, list every key the schema has, and every key must say what it does and, when
 * optional, what leaving it out means.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { trackingJsonSchema } from '../../config/json-schema';
import { CONFIG_REFERENCE_PATH, renderConfigReference, splitDefault, trackingConfigEntries, trackingConfigReference, type JsonSchema } from '../../config/reference';

const ROOT = path.join(__dirname, '..', '..');

/** Every key path of a JSON Schema, with `[]` for list items and `<…>` for map keys. */
function schemaKeys(node: JsonSchema, prefix: string, out: Set<string>): Set<string> {
  for (const [k, child] of Object.entries(node.properties ?? {})) {
    const p = prefix === '' ? k : `${prefix}.${k}`;
    out.add(p);
    schemaKeys(child, p, out);
  }
  if (node.items !== undefined) schemaKeys(node.items, `${prefix}[]`, out);
  if (typeof node.additionalProperties === 'object') schemaKeys(node.additionalProperties, `${prefix}.<*>`, out);
  for (const alt of node.anyOf ?? node.oneOf ?? []) schemaKeys(alt, prefix, out);
  return out;
}

describe('docs/config.md, the config reference', () => {
  it('is up to date with the zod schema (run `npm run schema` after changing a .describe() text or a key)', () => {
    expect(readFileSync(path.join(ROOT, CONFIG_REFERENCE_PATH), 'utf8')).toBe(trackingConfigReference());
  });

  it('lists every key of the schema (hot-path conditions in their own sections)', () => {
    // Prepare
    const schema = JSON.parse(trackingJsonSchema()) as JsonSchema;
    const documented = new Set(trackingConfigEntries().map((e) => e.path.replace(/<[a-z]+>/g, '<*>')));
    // Act
    const missing = [...schemaKeys(schema, '', new Set())]
      // Conditions are documented once (sections `condition` and `comparison`), not under every rule.
      .filter((k) => !/\.(match|where)(\.|\[|$)/.test(k))
      .filter((k) => !documented.has(k));
    // Assess
    expect(missing).toEqual([]);
    for (const k of ['project', 'environments.<*>.bucket.expireAfterDays', 'environments.<*>.rootStream.hotPath.rules[].rate.windowSeconds', 'applications[].eventTypes[].schema']) {
      expect(documented).toContain(k);
    }
    expect(trackingConfigEntries().map((e) => e.path)).toEqual(expect.arrayContaining(['condition.all', 'comparison.op']));
  });

  it('describes every key, and says what every optional key defaults to', () => {
    const entries = trackingConfigEntries();
    const undescribed = entries.filter((e) => e.description.trim() === '' && e.named === undefined).map((e) => e.path);
    // A block's keys carry the defaults (an absent block is all of them).
    const noDefault = entries.filter((e) => !e.required && e.default === undefined && e.alternative !== true && e.block !== true).map((e) => e.path);
    expect({ undescribed, noDefault }).toEqual({ undescribed: [], noDefault: [] });
  });

  it('renders bounds, allowed values, defaults and placeholders as a reader needs them', () => {
    const doc = trackingConfigReference();
    // A bounded integer with its default as a value.
    expect(doc).toMatch(/^\| `buffering\.sizeMiB` \| integer, 1–128 \| `64` \| /m);
    // An enum's default is a value; a default in prose stays prose.
    expect(doc).toMatch(/^\| `stacks\.layout` \| one of `auto`, `single`, `sharded` \| `auto` \| /m);
    expect(doc).toMatch(/^\| `expireAfterDays` \| integer, ≥ 1 \| never \| /m);
    // Placeholders survive as text (a bare <project> would be dropped as an HTML tag).
    expect(doc).toContain('`<project>-<environment>-tracking-events`');
    expect(doc).not.toMatch(/^[^`\n]*<project>/m);
    // A required key says so.
    expect(doc).toMatch(/^\| `region` \| string[^|]* \| \*\*required\*\* \| /m);
  });
});

describe('renderConfigReference', () => {
  const schema: JsonSchema = {
    type: 'object',
    properties: {
      name: { type: 'string', pattern: '^[a|b]$', description: 'A name | with a pipe.' },
      small: { type: 'object', properties: { a: { type: 'integer', minimum: 0, maximum: 9, description: 'A. @default 3' } }, description: 'Small.' },
      big: {
        type: 'object',
        description: 'Big.',
        properties: Object.fromEntries(['a', 'b', 'c', 'd', 'e'].map((k) => [k, { type: 'boolean', description: `${k}. @default false` }])),
      },
      envs: {
        type: 'object',
        additionalProperties: {
          type: 'object',
          properties: Object.fromEntries(['a', 'b', 'c', 'd', 'e'].map((k) => [k, { type: 'string', description: `${k}.` }])),
          required: ['a'],
        },
      },
      tiny: { type: 'object', additionalProperties: { type: 'object', properties: { x: { type: 'string', description: 'X.' } } } },
    },
    required: ['name'],
  };

  it('is pure: the same schema gives the same text', () => {
    const opts = { intro: '# T', placeholders: { envs: 'env' } };
    expect(renderConfigReference(schema, opts)).toBe(renderConfigReference(structuredClone(schema), opts));
  });

  it('lists small objects in the parent table, big ones and maps in their own sections, and escapes pipes', () => {
    const doc = renderConfigReference(schema, { intro: '# T', placeholders: { envs: 'env' } });
    expect(doc).toMatch(/^\| `small\.a` \| integer, 0–9 \| `3` \| A\. \|$/m);
    expect(doc).toMatch(/^#+ `big`$/m);
    expect(doc).toMatch(/^#+ `envs\.<env>`$/m);
    expect(doc).toMatch(/^\| `tiny\.<name>\.x` \| string \| {2}\| X\. \|$/m);
    expect(doc).toMatch(/^\| `name` \| string \(pattern `\^\[a\\\|b\]\$`\) \| \*\*required\*\* \| A name \\\| with a pipe\. \|$/m);
  });

  it('splits the default off the description', () => {
    expect(splitDefault('Text. @default 5 (five)')).toEqual({ text: 'Text.', dflt: '5 (five)' });
    expect(splitDefault('@default LATEST')).toEqual({ text: '', dflt: 'LATEST' });
    expect(splitDefault('No default.')).toEqual({ text: 'No default.' });
  });
});

describe('docs/README.md, the index of docs/', () => {
  it('links every page of docs/ (add a line for a new page)', () => {
    const index = readFileSync(path.join(ROOT, 'docs', 'README.md'), 'utf8');
    const linked = new Set([...index.matchAll(/\]\(([a-z0-9-]+\.md)(#[^)]*)?\)/g)].map((m) => m[1]!));
    const pages = readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md') && f !== 'README.md');
    expect(pages.filter((p) => !linked.has(p))).toEqual([]);
    expect([...linked]).toEqual(expect.arrayContaining(['config.md', 'aws-rules.md', 'versioning.md', 'local.md', 'upgrading.md']));
  });
});
