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
}

export interface ReviewResult {
  readonly stacks: readonly StackDiff[];
  readonly destructive: readonly DestructiveChange[];
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

/** Parses one `cdk.tf.json`. */
export function parseStack(id: string, json: unknown): SynthesizedStack {
  const doc = (json ?? {}) as { resource?: Record<string, Record<string, Json>>; terraform?: { backend?: Json } };
  const resources = new Map<string, StackResource>();
  const add = (type: string, name: string, address: string, config: Json): void => {
    const physicalName = physicalNameOf(config);
    resources.set(address, { type, name, address, config, ...(physicalName !== undefined ? { physicalName } : {}) });
  };
  for (const [type, byName] of Object.entries(doc.resource ?? {})) {
    for (const [name, config] of Object.entries(byName ?? {})) {
      const forEach = isObject(config) ? config.for_each : undefined;
      if (isObject(config) && isObject(forEach)) {
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
  return { id, resources, backend: normalize(doc.terraform?.backend ?? null) };
}

/** Reads every `<outdir>/stacks/<id>/cdk.tf.json`. */
export function readStacks(outdir: string): Map<string, SynthesizedStack> {
  const dir = path.join(outdir, 'stacks');
  if (!existsSync(dir)) throw new ReviewError(`no synthesized stacks in ${dir}`);
  const stacks = new Map<string, SynthesizedStack>();
  for (const id of readdirSync(dir).sort()) {
    const file = path.join(dir, id, 'cdk.tf.json');
    if (!existsSync(file)) continue;
    stacks.set(id, parseStack(id, JSON.parse(readFileSync(file, 'utf8'))));
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
  const empty: SynthesizedStack = { id: '', resources: new Map(), backend: null };
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
    stacks.push({ stack: id, changes, backendChanged: base.has(id) && head.has(id) && JSON.stringify(b.backend) !== JSON.stringify(h.backend) });
    destructive.push(...destructiveChanges(id, b, h, changes));
  }
  return { stacks, destructive };
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
  lines.push('| Stack | Added | Changed | Removed |', '| --- | ---: | ---: | ---: |');
  for (const s of result.stacks) {
    const n = (k: ChangeKind): number => s.changes.filter((c) => c.kind === k).length;
    lines.push(`| \`${s.stack}\` | ${n('added')} | ${n('changed')} | ${n('removed')} |`);
  }
  lines.push('');
  for (const s of result.stacks) {
    lines.push(`### \`${s.stack}\``, '');
    if (s.backendChanged) lines.push('- ⚠ The backend block changed: state must be migrated (`terraform init -migrate-state`).', '');
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
