/**
 * Pure logic of `npm run review`: read synthesized stacks, diff them by resource address, find the
 * destructive changes, and render the Markdown summary. No git, no processes, no AWS.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { TrackingPipelineError } from '../config/errors';

/** A review could not run (bad arguments, a ref that does not exist, a synth that failed). */
export class ReviewError extends TrackingPipelineError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReviewError';
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One resource of a synthesized stack. */
export interface StackResource {
  readonly type: string;
  /** Terraform logical name (derived from the construct path, hence from config keys). */
  readonly name: string;
  /** `type.name`, the Terraform address inside the stack. */
  readonly address: string;
  /** Physical name (name, bucket, function_name, ...) when the config states it literally. */
  readonly physicalName?: string;
  readonly config: Json;
}

/** The resources of one synthesized stack, by address, and its backend block. */
export interface SynthesizedStack {
  readonly id: string;
  readonly resources: ReadonlyMap<string, StackResource>;
  readonly backend: Json;
  /**
   * The `terraform` block without its backend (`required_providers`, `required_version`) and the
   * `provider` blocks (region, `default_tags`, retries), normalized. A change there changes what
   * Terraform does with every resource of the stack (a provider upgrade, new default tags), so the
   * stack must be planned and applied even when no resource block changed.
   */
  readonly settings: Json;
  /**
   * `import`, `removed` and `moved` blocks, by a canonical key (`import <to>`, `removed <from>`,
   * `moved <from> -> <to>`), with their normalized bodies.
   */
  readonly blocks: ReadonlyMap<string, Json>;
  /** Stacks this one depends on (cdktf's manifest.json): they are applied first. */
  readonly dependencies: readonly string[];
  /** The environment of the stack (its provider's `environment` default tag), when it has one. */
  readonly environment?: string;
}

export type ChangeKind = 'added' | 'changed' | 'removed';

export interface ResourceChange {
  readonly kind: ChangeKind;
  readonly stack: string;
  readonly type: string;
  readonly address: string;
  readonly physicalName?: string;
  /** Changed attribute paths (for `changed`), such as `extended_s3_configuration.buffering_interval`. */
  readonly changedPaths: readonly string[];
}

export interface DestructiveChange {
  readonly stack: string;
  readonly type: string;
  readonly address: string;
  /** What would be destroyed: the physical name, or the address when it is not literal. */
  readonly target: string;
  readonly reason: 'removed' | 'replaced';
  /** Resources of the same type added by the same change (a rename shows as remove + add). */
  readonly addedSameType: readonly string[];
  readonly message: string;
}

export interface StackDiff {
  readonly stack: string;
  readonly changes: readonly ResourceChange[];
  readonly backendChanged: boolean;
  /**
   * Paths that changed in the Terraform settings or provider blocks (`terraform.required_providers…`,
   * `provider.aws[0].default_tags…`): the stack is planned even when no resource changed.
   */
  readonly settingsChanged: readonly string[];
  /** import / removed / moved blocks added, changed or dropped. */
  readonly blockChanges: readonly string[];
  /** The stack exists only in the base (`removed`) or only in the working tree (`added`). */
  readonly status: 'added' | 'removed' | 'kept';
}

/** A protected resource that leaves one stack and enters another without being destroyed. */
export interface MovedResource {
  readonly type: string;
  readonly target: string;
  readonly from: string;
  readonly to: string;
}

export interface ReviewResult {
  readonly stacks: readonly StackDiff[];
  readonly destructive: readonly DestructiveChange[];
  /** Protected resources moved between stacks with import + removed blocks (`npm run migrate`). */
  readonly moved: readonly MovedResource[];
  /**
   * Stacks a plan or apply must cover, dependencies first (an environment's core before its
   * shards): the ones with a resource, backend or block change, and new stacks.
   */
  readonly changedStacks: readonly string[];
  /** The environment of each changed stack, when known. */
  readonly stackEnvironments: Readonly<Record<string, string>>;
}

/**
 * Resource types whose loss destroys data or breaks producers, with the attribute that names them.
 * Changing that attribute forces Terraform to replace the resource (destroy, then create).
 */
export const PROTECTED_TYPES: Readonly<Record<string, { readonly label: string; readonly nameAttribute: string }>> = {
  aws_kinesis_firehose_delivery_stream: { label: 'delivery stream', nameAttribute: 'name' },
  aws_s3_bucket: { label: 'bucket', nameAttribute: 'bucket' },
  aws_cloudwatch_log_group: { label: 'log group', nameAttribute: 'name' },
  aws_kinesis_stream: { label: 'root stream', nameAttribute: 'name' },
};

/** Attributes tried, in order, to show a resource's physical name. */
const NAME_ATTRIBUTES = ['name', 'bucket', 'function_name', 'alarm_name', 'dashboard_name', 'role', 'target_key_id'] as const;

/** Asset folders are named after a content hash (`assets/<id>/<HASH>/archive.zip`); the hash is not a change by itself. */
const ASSET_HASH_DIR = /(assets\/[^/"]+\/)[0-9A-Fa-f]{32,64}(\/)/g;

/** Removes cdktf metadata and asset-folder hashes; keeps everything else (source_code_hash included). */
export function normalize(value: Json): Json {
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const k of Object.keys(value).sort()) {
      if (k === '//') continue;
      out[k] = normalize(value[k] as Json);
    }
    return out;
  }
  if (typeof value === 'string') return value.replace(ASSET_HASH_DIR, '$1<hash>$2');
  return value;
}

function physicalNameOf(config: Json): string | undefined {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) return undefined;
  for (const attr of NAME_ATTRIBUTES) {
    const v = config[attr];
    if (typeof v === 'string' && !v.includes('${')) return v;
  }
  return undefined;
}

function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
}

const EACH_REF = /\$\{each\.(key|value)((?:\.[A-Za-z0-9_-]+)*)\}/g;

function eachLookup(kind: string, pathText: string, key: string, value: Json): Json | undefined {
  if (kind === 'key') return pathText === '' ? key : undefined;
  let cur: Json | undefined = value;
  for (const seg of pathText.split('.').filter((x) => x !== '')) cur = isObject(cur) ? cur[seg] : undefined;
  return cur;
}

/** Replaces `${each.key}` and `${each.value.<path>}` in a for_each body with one instance's values. */
export function resolveEach(body: Json, key: string, value: Json): Json {
  if (Array.isArray(body)) return body.map((b) => resolveEach(b, key, value));
  if (isObject(body)) {
    const out: { [k: string]: Json } = {};
    for (const [k, v] of Object.entries(body)) out[k] = resolveEach(v, key, value);
    return out;
  }
  if (typeof body !== 'string') return body;
  const whole = /^\$\{each\.(key|value)((?:\.[A-Za-z0-9_-]+)*)\}$/.exec(body);
  if (whole) {
    const v = eachLookup(whole[1]!, whole[2] ?? '', key, value);
    return v === undefined ? body : v;
  }
  return body.replace(EACH_REF, (m, kind: string, pathText: string) => {
    const v = eachLookup(kind, pathText ?? '', key, value);
    return v === undefined ? m : typeof v === 'string' ? v : JSON.stringify(v);
  });
}

/** The literal map a `for_each` iterates: an inline map, or a `${local.<name>}` reference to one. */
function forEachMap(forEach: Json | undefined, locals: { [key: string]: Json } | undefined): { [key: string]: Json } | undefined {
  if (isObject(forEach)) return forEach;
  if (typeof forEach === 'string') {
    const m = /^\$\{local\.([A-Za-z0-9_-]+)\}$/.exec(forEach);
    const v = m ? locals?.[m[1]!] : undefined;
    if (isObject(v)) return v;
  }
  return undefined;
}

/** Canonical keys of a stack's import / removed / moved blocks. */
function blocksOf(doc: { import?: Json; removed?: Json; moved?: Json }): Map<string, Json> {
  const out = new Map<string, Json>();
  const list = (v: Json | undefined): Json[] => (Array.isArray(v) ? v : []);
  for (const b of list(doc.import)) if (isObject(b)) out.set(`import ${String(b.to)}`, normalize(b));
  for (const b of list(doc.removed)) if (isObject(b)) out.set(`removed ${String(b.from)}`, normalize(b));
  for (const b of list(doc.moved)) if (isObject(b)) out.set(`moved ${String(b.from)} -> ${String(b.to)}`, normalize(b));
  return out;
}

/** Parses one `cdk.tf.json`. */
export function parseStack(id: string, json: unknown, dependencies: readonly string[] = []): SynthesizedStack {
  const doc = (json ?? {}) as {
    resource?: Record<string, Record<string, Json>>;
    terraform?: { backend?: Json; [key: string]: Json | undefined };
    locals?: { [key: string]: Json };
    import?: Json;
    removed?: Json;
    moved?: Json;
    provider?: { [name: string]: Json };
  };
  const resources = new Map<string, StackResource>();
  const add = (type: string, name: string, address: string, config: Json): void => {
    const physicalName = physicalNameOf(config);
    resources.set(address, { type, name, address, config, ...(physicalName !== undefined ? { physicalName } : {}) });
  };
  for (const [type, byName] of Object.entries(doc.resource ?? {})) {
    for (const [name, config] of Object.entries(byName ?? {})) {
      const forEach = isObject(config) ? forEachMap(config.for_each, doc.locals) : undefined;
      if (isObject(config) && forEach !== undefined) {
        // One instance per key of a literal for_each map: `type.name["key"]`, with each.key/each.value resolved.
        const body: { [key: string]: Json } = { ...config };
        delete body.for_each;
        for (const key of Object.keys(forEach).sort()) {
          add(type, name, `${type}.${name}[${JSON.stringify(key)}]`, resolveEach(body, key, forEach[key] ?? null));
        }
      } else {
        add(type, name, `${type}.${name}`, config);
      }
    }
  }
  const environment = environmentOf(doc.provider?.aws);
  return {
    id,
    resources,
    backend: normalize(doc.terraform?.backend ?? null),
    settings: stackSettings(doc.terraform, doc.provider),
    blocks: blocksOf(doc),
    dependencies: [...dependencies],
    ...(environment !== undefined ? { environment } : {}),
  };
}

/** The stack's Terraform settings and provider blocks, without the backend and cdktf metadata. */
function stackSettings(terraform: { [key: string]: Json | undefined } | undefined, provider: { [name: string]: Json } | undefined): Json {
  const tf: { [key: string]: Json } = {};
  for (const [k, v] of Object.entries(terraform ?? {})) if (k !== 'backend' && v !== undefined) tf[k] = v;
  return normalize({ terraform: tf, provider: provider ?? {} });
}

/** The `environment` tag of the stack's AWS provider (`default_tags`), set on every stack. */
function environmentOf(aws: Json | undefined): string | undefined {
  const provider = Array.isArray(aws) ? aws[0] : aws;
  const defaultTags = isObject(provider) && Array.isArray(provider.default_tags) ? provider.default_tags[0] : undefined;
  const tags = isObject(defaultTags) ? defaultTags.tags : undefined;
  return isObject(tags) && typeof tags.environment === 'string' ? tags.environment : undefined;
}

/** Reads every `<outdir>/stacks/<id>/cdk.tf.json`. */
export function readStacks(outdir: string): Map<string, SynthesizedStack> {
  const dir = path.join(outdir, 'stacks');
  if (!existsSync(dir)) throw new ReviewError(`no synthesized stacks in ${dir}`);
  // cdktf's manifest.json records each stack's dependencies (a shard depends on its core).
  const manifestFile = path.join(outdir, 'manifest.json');
  const manifest = existsSync(manifestFile)
    ? (JSON.parse(readFileSync(manifestFile, 'utf8')) as { stacks?: Record<string, { dependencies?: string[] }> })
    : {};
  const stacks = new Map<string, SynthesizedStack>();
  for (const id of readdirSync(dir).sort()) {
    const file = path.join(dir, id, 'cdk.tf.json');
    if (!existsSync(file)) continue;
    stacks.set(id, parseStack(id, JSON.parse(readFileSync(file, 'utf8')), manifest.stacks?.[id]?.dependencies ?? []));
  }
  return stacks;
}

/** Leaf paths where two normalized values differ (at most `limit`). */
export function changedPaths(a: Json, b: Json, limit = 8, prefix = ''): string[] {
  const out: string[] = [];
  const walk = (x: Json, y: Json, p: string): void => {
    if (out.length >= limit) return;
    const xo = x !== null && typeof x === 'object';
    const yo = y !== null && typeof y === 'object';
    if (xo && yo && Array.isArray(x) === Array.isArray(y)) {
      if (Array.isArray(x) && Array.isArray(y)) {
        const n = Math.max(x.length, y.length);
        for (let i = 0; i < n; i++) walk((x[i] ?? null) as Json, (y[i] ?? null) as Json, `${p}[${i}]`);
        return;
      }
      const xr = x as { [key: string]: Json };
      const yr = y as { [key: string]: Json };
      for (const k of [...new Set([...Object.keys(xr), ...Object.keys(yr)])].sort()) {
        walk(xr[k] ?? null, yr[k] ?? null, p === '' ? k : `${p}.${k}`);
      }
      return;
    }
    if (JSON.stringify(x) !== JSON.stringify(y)) out.push(p === '' ? '(whole resource)' : p);
  };
  walk(a, b, prefix);
  return out;
}

/** Diffs the stacks synthesized at the base ref against the working tree's. */
export function diffStacks(base: ReadonlyMap<string, SynthesizedStack>, head: ReadonlyMap<string, SynthesizedStack>): ReviewResult {
  const stackIds = [...new Set([...base.keys(), ...head.keys()])].sort();
  const stacks: StackDiff[] = [];
  const destructive: DestructiveChange[] = [];
  const empty: SynthesizedStack = { id: '', resources: new Map(), backend: null, settings: null, blocks: new Map(), dependencies: [] };
  const moves = movedResources(base, head);
  for (const id of stackIds) {
    const b = base.get(id) ?? empty;
    const h = head.get(id) ?? empty;
    const changes: ResourceChange[] = [];
    const addresses = [...new Set([...b.resources.keys(), ...h.resources.keys()])].sort();
    for (const address of addresses) {
      const before = b.resources.get(address);
      const after = h.resources.get(address);
      if (before === undefined && after !== undefined) {
        changes.push(change('added', id, after, []));
      } else if (before !== undefined && after === undefined) {
        changes.push(change('removed', id, before, []));
      } else if (before !== undefined && after !== undefined) {
        const paths = changedPaths(normalize(before.config), normalize(after.config));
        if (paths.length > 0) changes.push(change('changed', id, after, paths, before));
      }
    }
    const inBase = addressesOf(b);
    const inHead = addressesOf(h);
    const blockChanges = [...new Set([...b.blocks.keys(), ...h.blocks.keys()])]
      .sort()
      .filter((k) => JSON.stringify(b.blocks.get(k) ?? null) !== JSON.stringify(h.blocks.get(k) ?? null))
      .filter((k) => !movesNothing(k, b, h, inBase, inHead));
    const status = !base.has(id) ? 'added' : !head.has(id) ? 'removed' : 'kept';
    stacks.push({
      stack: id,
      changes,
      backendChanged: base.has(id) && head.has(id) && JSON.stringify(b.backend) !== JSON.stringify(h.backend),
      settingsChanged: base.has(id) && head.has(id) ? changedPaths(b.settings, h.settings) : [],
      blockChanges,
      status,
    });
    destructive.push(...destructiveChanges(id, b, h, changes).filter((d) => !moves.some((m) => m.from === id && m.fromAddress === d.address)));
  }
  const changed = stacks
    .filter((s) => s.status !== 'removed' && (s.status === 'added' || s.changes.length > 0 || s.backendChanged || s.settingsChanged.length > 0 || s.blockChanges.length > 0))
    .map((s) => s.stack);
  return {
    stacks,
    destructive,
    moved: moves.map(({ type, target, from, to }) => ({ type, target, from, to })),
    changedStacks: applyOrder(changed, head),
    stackEnvironments: Object.fromEntries(changed.flatMap((id) => (head.get(id)?.environment !== undefined ? [[id, head.get(id)!.environment!]] : []))),
  };
}

/** Resource addresses of a stack, and the resource of every for_each instance (`type.name` of `type.name["k"]`). */
function addressesOf(stack: SynthesizedStack): Set<string> {
  const all = new Set<string>();
  for (const address of stack.resources.keys()) {
    all.add(address);
    const bracket = address.indexOf('[');
    if (bracket > 0) all.add(address.slice(0, bracket));
  }
  return all;
}

/**
 * Whether a `moved` block that appears (or disappears) carries nothing: it comes with the resource
 * it moves to, added (or removed) by the same change, and its source is a resource of neither
 * tree, so no state written from the base holds it and Terraform ignores the block. The stacks add
 * one per event type from the addresses of an earlier layout (stacks/parts.ts
 * `legacyEventTypeMoves`, per-stream alarms); for a brand-new type that is noise, not a change.
 */
function movesNothing(
  key: string,
  base: SynthesizedStack,
  head: SynthesizedStack,
  inBase: ReadonlySet<string>,
  inHead: ReadonlySet<string>,
): boolean {
  if (!key.startsWith('moved ')) return false;
  const added = !base.blocks.has(key);
  const body = (added ? head : base).blocks.get(key);
  if (!isObject(body) || typeof body.from !== 'string' || typeof body.to !== 'string') return false;
  if (inBase.has(body.from) || inHead.has(body.from)) return false;
  return added ? inHead.has(body.to) && !inBase.has(body.to) : inBase.has(body.to) && !inHead.has(body.to);
}

/**
 * Protected resources that leave a stack and appear, with the same physical name, in another,
 * where the working tree imports them and the old stack removes them from its state without
 * destroying them (`removed { lifecycle { destroy = false } }`): what `npm run migrate` generates.
 */
function movedResources(
  base: ReadonlyMap<string, SynthesizedStack>,
  head: ReadonlyMap<string, SynthesizedStack>,
): (MovedResource & { readonly fromAddress: string })[] {
  const out: (MovedResource & { readonly fromAddress: string })[] = [];
  for (const [fromId, b] of base) {
    const h = head.get(fromId);
    for (const [address, r] of b.resources) {
      if (PROTECTED_TYPES[r.type] === undefined || r.physicalName === undefined || h?.resources.has(address)) continue;
      const removedKeepsIt = h !== undefined && [...h.blocks.entries()].some(([k, v]) => {
        if (!k.startsWith('removed ')) return false;
        const from = k.slice('removed '.length);
        const keep = isObject(v) && isObject(v.lifecycle) && v.lifecycle.destroy === false;
        return keep && (from === address || address.startsWith(`${from}[`));
      });
      // A stack that disappears entirely cannot hold a removed block: its resources are only safe
      // if no apply runs in it again, which the review cannot promise; it stays destructive.
      if (!removedKeepsIt) continue;
      for (const [toId, t] of head) {
        if (toId === fromId) continue;
        const target = [...t.resources.values()].find((x) => x.type === r.type && x.physicalName === r.physicalName);
        if (target !== undefined && t.blocks.has(`import ${target.address}`)) {
          out.push({ type: r.type, target: r.physicalName, from: fromId, to: toId, fromAddress: address });
        }
      }
    }
  }
  return out;
}

/** Stacks in an order where every stack comes after the stacks it depends on (stable otherwise). */
export function applyOrder(ids: readonly string[], head: ReadonlyMap<string, SynthesizedStack>): string[] {
  const wanted = new Set(ids);
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string): void => {
    if (seen.has(id)) return;
    seen.add(id);
    for (const dep of head.get(id)?.dependencies ?? []) if (wanted.has(dep)) visit(dep);
    out.push(id);
  };
  for (const id of [...ids].sort()) visit(id);
  return out;
}

function change(kind: ChangeKind, stack: string, r: StackResource, paths: string[], before?: StackResource): ResourceChange {
  const physicalName = r.physicalName ?? before?.physicalName;
  return { kind, stack, type: r.type, address: r.address, changedPaths: paths, ...(physicalName !== undefined ? { physicalName } : {}) };
}

function destructiveChanges(stack: string, base: SynthesizedStack, head: SynthesizedStack, changes: readonly ResourceChange[]): DestructiveChange[] {
  const out: DestructiveChange[] = [];
  for (const c of changes) {
    const rule = PROTECTED_TYPES[c.type];
    if (rule === undefined) continue;
    const addedSameType = changes
      .filter((o) => o.kind === 'added' && o.type === c.type)
      .map((o) => o.physicalName ?? o.address);
    if (c.kind === 'removed') {
      const target = c.physicalName ?? c.address;
      const also = addedSameType.length > 0 ? `; added in the same change: ${addedSameType.map((n) => `\`${n}\``).join(', ')} (a rename replaces the ${rule.label})` : '';
      out.push({
        stack,
        type: c.type,
        address: c.address,
        target,
        reason: 'removed',
        addedSameType,
        message: `${rule.label} \`${target}\` would be destroyed (removed/replaced: \`${c.address}\`)${also}`,
      });
    } else if (c.kind === 'changed') {
      const before = base.resources.get(c.address)?.config as { [k: string]: Json } | undefined;
      const after = head.resources.get(c.address)?.config as { [k: string]: Json } | undefined;
      const oldName = before?.[rule.nameAttribute];
      const newName = after?.[rule.nameAttribute];
      if (JSON.stringify(oldName) !== JSON.stringify(newName)) {
        const target = typeof oldName === 'string' ? oldName : c.address;
        out.push({
          stack,
          type: c.type,
          address: c.address,
          target,
          reason: 'replaced',
          addedSameType: [],
          message: `${rule.label} \`${target}\` would be replaced: \`${rule.nameAttribute}\` changes to \`${String(newName)}\` (\`${c.address}\`)`,
        });
      }
    }
  }
  return out;
}

/** Renders the review as Markdown: destructive changes first, then one section per stack. */
export function renderMarkdown(result: ReviewResult, base: string): string {
  const lines: string[] = [`## Tracking pipeline review: \`${base}\` → working tree`, ''];
  if (result.destructive.length > 0) {
    lines.push(`### ⚠ Destructive changes (${result.destructive.length})`, '');
    for (const d of result.destructive) lines.push(`- **${d.stack}**: ${d.message}`);
    lines.push(
      '',
      'These destroy data in flight or break producers that use the old names. If intended, rerun the review with ' +
        '`--allow-destroy` (in CI: add the `allow-destroy` label to the pull request).',
      '',
    );
  } else {
    lines.push('No destructive changes.', '');
  }
  if (result.moved.length > 0) {
    lines.push(`### Moved between stacks, not destroyed (${result.moved.length})`, '');
    for (const m of result.moved) lines.push(`- ${PROTECTED_TYPES[m.type]?.label ?? m.type} \`${m.target}\`: \`${m.from}\` → \`${m.to}\``);
    lines.push('', `Apply \`${[...new Set(result.moved.map((m) => m.to))].join('`, `')}\` (import) before \`${[...new Set(result.moved.map((m) => m.from))].join('`, `')}\` (removed, destroy = false): see docs/operations.md, "Moving to sharded stacks".`, '');
  }
  lines.push(
    result.changedStacks.length > 0
      ? `**Stacks to plan and apply, in order (${result.changedStacks.length}):** ${result.changedStacks.map((s) => `\`${s}\``).join(', ')}`
      : '**No stack changes:** nothing to plan or apply.',
    '',
  );
  lines.push('| Stack | Added | Changed | Removed |', '| --- | ---: | ---: | ---: |');
  for (const s of result.stacks) {
    const n = (k: ChangeKind): number => s.changes.filter((c) => c.kind === k).length;
    lines.push(`| \`${s.stack}\` | ${n('added')} | ${n('changed')} | ${n('removed')} |`);
  }
  lines.push('');
  for (const s of result.stacks) {
    lines.push(`### \`${s.stack}\``, '');
    if (s.backendChanged) lines.push('- ⚠ The backend block changed: state must be migrated (`terraform init -migrate-state`).', '');
    if (s.settingsChanged.length > 0) {
      lines.push(
        `- Terraform or provider settings changed (${s.settingsChanged.map((p) => `\`${p}\``).join(', ')}): Terraform may update every resource of this stack (a provider upgrade, new default tags); plan it.`,
        '',
      );
    }
    if (s.status === 'added') lines.push('- New stack.', '');
    if (s.status === 'removed') lines.push('- ⚠ The stack is no longer synthesized: its resources stay in its state until it is destroyed or moved.', '');
    for (const k of s.blockChanges) lines.push(`- Block changed: \`${k}\``);
    if (s.blockChanges.length > 0) lines.push('');
    if (s.changes.length === 0) {
      lines.push('No resource changes.', '');
      continue;
    }
    lines.push('| Change | Type | Name | Details |', '| --- | --- | --- | --- |');
    const order: Record<ChangeKind, number> = { removed: 0, changed: 1, added: 2 };
    const sorted = [...s.changes].sort((a, b) => order[a.kind] - order[b.kind] || a.type.localeCompare(b.type) || a.address.localeCompare(b.address));
    for (const c of sorted) {
      const name = c.physicalName !== undefined ? `\`${c.physicalName}\`` : `\`${c.address}\``;
      const details = c.kind === 'changed' ? c.changedPaths.map((p) => `\`${p}\``).join(', ') : '';
      lines.push(`| ${c.kind} | \`${c.type}\` | ${name} | ${details} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
