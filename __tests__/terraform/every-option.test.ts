/**
 * __tests__/fixtures/every-option.yaml really turns on every option: every key of the config's
 * schema is set somewhere in it, every string choice is used, every switch is used both ways, and
 * it passes the loader. When config/schema.ts gains an option, this fails until the fixture uses it,
 * so the Terraform checks (terraform.test.ts, `npm run validate`) keep covering every option.
 *
 * A kind of object that appears at several places (a hot-path condition inside `match`, `all`,
 * `any` or `where`, a subscription) counts as covered when each of its keys is set at one of them:
 * the schema unrolls recursive conditions to a fixed depth, and every depth need not be spelled out.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { trackingJsonSchema } from '../../config/json-schema';
import { loadConfig } from '../../config/loader';
import { computeMoves } from '../../scripts/migrate-lib';
import { readStacks } from '../../scripts/review-lib';
import { synthConfig } from '../../scripts/terraform-check';

const ROOT = path.join(__dirname, '..', '..');
const FIXTURE = path.join(ROOT, '__tests__', 'fixtures', 'every-option.yaml');
const MOVES = path.join(ROOT, '__tests__', 'fixtures', 'every-option.moves.json');
/** The description the moves file carries of its base. */
const MOVES_BASE = 'every-option.yaml with environments.prod.stacks.layout: single';

interface SchemaNode {
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  enum?: unknown[];
  const?: unknown;
}

interface Leaf {
  /** Path with `[]` for array items and `*` for mapping values, such as `environments.*.rootStream.consumers[].type`. */
  readonly path: string;
  /** The kind of object holding the key (its sorted key names) and the key; `[]` / `.*` added for array items and map values. */
  readonly group: string;
  readonly choices: readonly string[];
  readonly boolean: boolean;
}

/** Every property path of the schema, with its string choices and whether it is a switch. */
function schemaLeaves(node: SchemaNode, at: string, group: string, out: Map<string, Leaf>): void {
  const alternatives = [...(node.anyOf ?? []), ...(node.oneOf ?? [])];
  if (alternatives.length > 0) {
    for (const alt of alternatives) schemaLeaves(alt, at, group, out);
    return;
  }
  const choices = [...(node.enum ?? []), ...(node.const !== undefined ? [node.const] : [])].filter((v): v is string => typeof v === 'string');
  if (at !== '') {
    const prev = out.get(at);
    out.set(at, {
      path: at,
      group: `${prev?.group ?? group}`,
      choices: [...new Set([...(prev?.choices ?? []), ...choices])],
      boolean: (prev?.boolean ?? false) || node.type === 'boolean',
    });
  }
  const kind = Object.keys(node.properties ?? {}).sort().join(',');
  for (const [k, child] of Object.entries(node.properties ?? {})) schemaLeaves(child, at === '' ? k : `${at}.${k}`, `{${kind}}.${k}`, out);
  if (node.additionalProperties !== undefined && typeof node.additionalProperties === 'object') {
    schemaLeaves(node.additionalProperties, `${at}.*`, `${group}.*`, out);
  }
  if (node.items !== undefined) schemaLeaves(node.items, `${at}[]`, `${group}[]`, out);
}

/** Leaves grouped by kind of object and key: each group is covered when one of its paths is. */
function groups(leaves: ReadonlyMap<string, Leaf>): Map<string, Leaf[]> {
  const out = new Map<string, Leaf[]>();
  for (const l of leaves.values()) out.set(l.group, [...(out.get(l.group) ?? []), l]);
  return out;
}

/** The values found at each path of the data (same path notation). */
function dataValues(v: unknown, at: string, out: Map<string, unknown[]>, mappingAt: ReadonlySet<string>): void {
  if (at !== '') out.set(at, [...(out.get(at) ?? []), v]);
  if (Array.isArray(v)) v.forEach((item) => dataValues(item, `${at}[]`, out, mappingAt));
  else if (v !== null && typeof v === 'object') {
    for (const [k, child] of Object.entries(v)) {
      // Free-form mappings (environments, tags) use "*" for their keys, as the schema does.
      const key = mappingAt.has(at) ? '*' : k;
      dataValues(child, at === '' ? key : `${at}.${key}`, out, mappingAt);
    }
  }
}

describe('the every-option fixture', () => {
  const schema = JSON.parse(trackingJsonSchema()) as SchemaNode;
  const leaves = new Map<string, Leaf>();
  schemaLeaves(schema, '', '', leaves);
  const mappings = new Set([...leaves.keys()].filter((p) => p.endsWith('.*')).map((p) => p.slice(0, -2)));
  const values = new Map<string, unknown[]>();
  dataValues(parse(readFileSync(FIXTURE, 'utf8')), '', values, mappings);

  it('passes the loader', () => {
    expect(() => loadConfig(FIXTURE)).not.toThrow();
  });

  it('sets every key the schema accepts', () => {
    const missing = [...groups(leaves).values()].filter((g) => !g.some((l) => values.has(l.path))).map((g) => g[0]!.path);
    expect(missing).toEqual([]);
  });

  it('uses every string choice of the schema, under some key of that name', () => {
    // "compression: ZIP" counts whether it is a default or an event type's own value.
    const keyName = (p: string): string => p.replace(/\[\]$/, '').split('.').pop()!;
    const usedByName = new Map<string, unknown[]>();
    for (const [p, vs] of values) usedByName.set(keyName(p), [...(usedByName.get(keyName(p)) ?? []), ...vs]);
    const unused = [...leaves.values()].flatMap((l) =>
      l.choices.filter((c) => !(usedByName.get(keyName(l.path)) ?? []).includes(c)).map((c) => `${l.path} = ${c}`),
    );
    expect(unused).toEqual([]);
  });

  it('turns every switch both on and off', () => {
    const oneWay = [...groups(leaves).values()]
      .filter((g) => g.some((l) => l.boolean))
      .filter((g) => {
        const used = g.flatMap((l) => values.get(l.path) ?? []);
        return !used.includes(true) || !used.includes(false);
      })
      .map((g) => g[0]!.path);
    expect(oneWay).toEqual([]);
  });

  it('covers both sides of the options that are absent on one side (backend lock, bucket key, stack layouts)', () => {
    // Act
    const config = loadConfig(FIXTURE);
    const envs = config.environments;
    // Assess
    expect(envs.some((e) => e.backend?.dynamodbTable !== undefined)).toBe(true);
    expect(envs.some((e) => e.backend !== undefined && e.backend.dynamodbTable === undefined)).toBe(true);
    expect(envs.some((e) => e.backend === undefined)).toBe(true);
    expect(envs.some((e) => e.bucket.kmsKeyArn !== undefined)).toBe(true);
    expect(envs.some((e) => e.bucket.kmsKeyArn === undefined)).toBe(true);
    expect(new Set(envs.filter((e) => e.rootStream.enabled).map((e) => e.rootStream.mode))).toEqual(new Set(['on-demand', 'provisioned']));
    expect(new Set(envs.filter((e) => e.rootStream.enabled).map((e) => e.rootStream.router.unroutableDestination))).toEqual(new Set(['sqs', 's3']));
    expect(new Set(envs.map((e) => e.stacks.layout))).toEqual(new Set(['single', 'sharded']));
    const sharded = envs.find((e) => e.stacks.layout === 'sharded')!;
    expect(sharded.stacks.shards.map((x) => x.name)).toEqual(['checkout', 'mobile-app', 'storefront']);
    // The moves file moves that environment's event types from its single stack to its shards.
    expect(new Set(sharded.moves.map((m) => `${m.from} -> ${m.to}`))).toEqual(
      new Set(sharded.stacks.shards.map((x) => `tracking-${sharded.name} -> ${x.stackId}`)),
    );
    expect(new Set(envs.map((e) => e.region)).size).toBe(envs.length);
    expect(envs.length).toBeGreaterThanOrEqual(3);
  });
});

describe('the every-option moves file', () => {
  it('is what the migrate tool writes for prod moving from one stack to its shards (UPDATE_FIXTURES=1 rewrites it)', () => {
    // Prepare: the fixture as deployed before the move (prod in one stack), and as it is.
    const work = mkdtempSync(path.join(tmpdir(), 'every-option-moves-'));
    try {
      const text = readFileSync(FIXTURE, 'utf8');
      const baseText = text.replace(/^(\s+)layout: sharded$/m, '$1layout: single').replace(/^\s+moves: every-option\.moves\.json\n/m, '');
      expect(baseText).not.toBe(text);
      writeFileSync(path.join(work, 'base.yaml'), baseText);
      writeFileSync(path.join(work, 'head.yaml'), text.replace(/^\s+moves: every-option\.moves\.json\n/m, ''));
      // Act
      synthConfig({ root: ROOT, config: path.join(work, 'base.yaml'), outdir: path.join(work, 'base') });
      synthConfig({ root: ROOT, config: path.join(work, 'head.yaml'), outdir: path.join(work, 'head') });
      const expected = computeMoves(readStacks(path.join(work, 'base')), readStacks(path.join(work, 'head')), MOVES_BASE);
      // Assess
      const written = `${JSON.stringify(expected, null, 2)}\n`;
      if (process.env.UPDATE_FIXTURES === '1') writeFileSync(MOVES, written);
      expect(JSON.parse(readFileSync(MOVES, 'utf8'))).toEqual(expected);
      expect(expected.moves.length).toBeGreaterThan(0);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);
});
