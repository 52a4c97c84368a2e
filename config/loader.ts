/**
 * Loads and validates the tracking config.
 *
 * Validation collects every problem before it reports: YAML syntax (with line and column),
 * the zod schema (types, unknown keys, characters), and the checks zod cannot express
 * (duplicates, physical-name limits, name collisions, region and per-stream quotas).
 * Each problem names its path in the file, its line, what is wrong and how to fix it.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { LineCounter, isMap, isNode, isScalar, isSeq, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from './errors';
import { isObj, num, str, type Located, type PathSegment } from './located';
import { resolveConfig, type TrackingConfig } from './model';
import { MOVES_VERSION, movesFileSchema, type MovesFile } from './moves';
import * as naming from './naming';
import { awsValueIssues, templateIssues } from './aws-checks';
import { lakeNameIssues, resolveContracts } from './contracts';
import { collectorIssues, collectorNames } from './collector';
import { hotPathIssues, hotPathNames } from './hot-path';
import { stackLayoutIssues } from './stack-checks';
import { documentData, parseYamlDocument } from './yaml-document';
import { showValue } from './aws-rules';
import { DEFAULT_AVG_RECORD_BYTES, isKnownRegion, QUOTA_SOURCE, streamQuota, UNLISTED_REGIONS, type StreamQuota } from './quotas';
import { LOWER_NAME, PROJECT_NAME, trackingConfigSchema, type RawConfig } from './schema';

/** Path of the example config, used when TRACKING_CONFIG is not set. */
export const DEFAULT_CONFIG_PATH = 'config/tracking.yaml';

/** The config file synth uses: `$TRACKING_CONFIG`, else `config/tracking.yaml`. */
export function configPathFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env.TRACKING_CONFIG && env.TRACKING_CONFIG.length > 0 ? env.TRACKING_CONFIG : DEFAULT_CONFIG_PATH;
}


/** Reads, validates and resolves a config file. Throws ConfigError listing every problem. */
export function loadConfig(file: string): TrackingConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String(err);
    throw new ConfigError(file, [
      { path: '', message: `cannot read the config (${reason}); set TRACKING_CONFIG to the path of your tracking YAML` },
    ]);
  }
  return parseConfig(text, file);
}

/** Validates and resolves config text. `file` is only used in messages. */
export function parseConfig(text: string, file = 'tracking.yaml'): TrackingConfig {
  const lineCounter = new LineCounter();
  const doc = parseYamlDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return {
          path: '',
          message: `YAML syntax error: ${e.message.split('\n')[0]}`,
          ...(pos ? { line: pos.line, column: pos.col } : {}),
        };
      }),
    );
  }
  // Aliases are resolved in one pass, and an alias bomb is refused at the alias that sets it off
  // (config/yaml-document.ts has the rule).
  const converted = documentData(doc);
  if (converted.problem !== undefined) {
    const { path: at, offset, message } = converted.problem;
    const pos = lineCounter.linePos(offset);
    throw new ConfigError(file, [{ path: formatPath(at), message, line: pos.line, column: pos.col }]);
  }
  const data = converted.value;
  const found: Located[] = [];
  const parsed = trackingConfigSchema.safeParse(data);
  if (!parsed.success) found.push(...zodIssues(parsed.error.issues, data));
  found.push(...semanticIssues(data));
  // Event contracts: schemas (inline or files next to the config) and Athena name collisions.
  const contracts = resolveContracts(data, file);
  found.push(...contracts.issues, ...lakeNameIssues(data));

  if (found.length > 0) {
    const issues: ConfigIssue[] = dedupe(found).map((f) => {
      const pos = locate(doc, lineCounter, f.path, f.key);
      return { path: formatPath(f.path), message: f.message, ...(pos ?? {}) };
    });
    throw new ConfigError(file, issues);
  }
  const raw = parsed.data as RawConfig;
  const moves = raw.stacks?.moves !== undefined ? readMovesFile(raw.stacks.moves, file, raw, doc, lineCounter) : undefined;
  return resolveConfig(raw, moves, contracts.contracts);
}

/**
 * Reads the moves file named by `stacks.moves` (relative to the config file) and checks it: its
 * shape, and that every move names an environment of the config and two different stacks of it.
 */
function readMovesFile(relative: string, configFile: string, raw: RawConfig, doc: Document, lineCounter: LineCounter): MovesFile {
  const where = path.resolve(path.dirname(configFile), relative);
  const fail = (message: string): never => {
    const pos = locate(doc, lineCounter, ['stacks', 'moves'], undefined);
    throw new ConfigError(configFile, [{ path: 'stacks.moves', message: `${showValue(relative)}: ${message}`, ...(pos ?? {}) }]);
  };
  let text: string;
  try {
    text = readFileSync(where, 'utf8');
  } catch (err) {
    return fail(`cannot read the moves file ${where} (${(err as NodeJS.ErrnoException).code ?? String(err)}); run \`npm run migrate\` to write it, or remove stacks.moves`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return fail(`the moves file ${where} is not valid JSON (${(err as Error).message}); write it again with \`npm run migrate\``);
  }
  const parsed = movesFileSchema.safeParse(data);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    return fail(`the moves file ${where} is not a moves file of version ${MOVES_VERSION} (${first.path.join('.') || '(root)'}: ${first.message}); write it again with \`npm run migrate\``);
  }
  for (const [i, m] of parsed.data.moves.entries()) {
    if (raw.environments[m.environment] === undefined) return fail(`moves[${i}] names environment ${showValue(m.environment)}, which the config does not declare`);
    if (m.from === m.to) return fail(`moves[${i}] moves resources from stack ${m.from} to itself`);
  }
  return parsed.data;
}

/** `applications[1].eventTypes[3].name` */
export function formatPath(p: readonly PathSegment[]): string {
  let out = '';
  for (const seg of p) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

function dedupe(issues: Located[]): Located[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${formatPath(i.path)}\0${i.key ?? ''}\0${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The scalar-keyed pairs of each mapping, indexed once (the yaml library's getIn scans a mapping per look-up). */
const pairIndexes = new WeakMap<YAMLMap, Map<unknown, Pair>>();

function pairOf(map: YAMLMap, key: PathSegment): Pair | undefined {
  let index = pairIndexes.get(map);
  if (index === undefined) {
    index = new Map();
    for (const it of map.items) if (isScalar(it.key) && !index.has(it.key.value)) index.set(it.key.value, it);
    pairIndexes.set(map, index);
  }
  return index.get(key);
}

/**
 * The nodes along `p`, from the root, as far as they exist (like `doc.getIn(p.slice(0, n), true)`
 * for each n, without an alias's target), in time linear in the path.
 */
function nodesAlong(doc: Document, p: readonly PathSegment[]): Node[] {
  const out: Node[] = [];
  let node: unknown = doc.contents;
  for (let i = 0; ; i++) {
    if (!isNode(node)) return out;
    out.push(node);
    if (i === p.length) return out;
    const seg = p[i]!;
    if (isMap(node)) node = pairOf(node, seg)?.value;
    else if (isSeq(node) && typeof seg === 'number') node = node.items[seg];
    else return out;
  }
}

function locate(
  doc: Document,
  lc: LineCounter,
  p: readonly PathSegment[],
  key: string | undefined,
): { line: number; column: number } | undefined {
  // An unknown key is reported at the key itself, which lives in its parent mapping.
  const target = key !== undefined ? p.slice(0, -1) : p;
  // Walk up until a node exists (a missing key is reported at its parent).
  const nodes = nodesAlong(doc, target);
  for (let n = nodes.length - 1; n >= 0; n--) {
    const node = nodes[n]!;
    let offset = node.range?.[0];
    if (key !== undefined && n === target.length && isMap(node)) {
      const pair = pairOf(node, key);
      if (pair && isScalar(pair.key)) offset = pair.key.range?.[0];
    }
    if (offset === undefined) continue;
    const pos = lc.linePos(offset);
    return { line: pos.line, column: pos.col };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// zod issues, turned into messages that say how to fix them
// ---------------------------------------------------------------------------------------------

const jsonSchema = (): Record<string, unknown> => z.toJSONSchema(trackingConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
let cachedSchema: Record<string, unknown> | undefined;

/** Keys allowed at a path of the config, read from the JSON Schema (for "did you mean"). */
function allowedKeys(p: readonly PathSegment[], data: unknown): string[] {
  cachedSchema ??= jsonSchema();
  let nodes: unknown[] = [cachedSchema];
  let value: unknown = data;
  for (const seg of p) {
    value = value !== null && typeof value === 'object' ? (value as Record<string | number, unknown>)[seg] : undefined;
    const next: unknown[] = [];
    for (const n of nodes.flatMap(expand)) {
      if (typeof seg === 'number' && n.items) next.push(n.items);
      else if (typeof seg === 'string' && n.properties?.[seg]) next.push(n.properties[seg]);
      else if (typeof seg === 'string' && n.additionalProperties && typeof n.additionalProperties === 'object')
        next.push(n.additionalProperties);
    }
    nodes = next;
  }
  const keys = new Set<string>();
  for (const n of nodes.flatMap(expand)) {
    if (!n.properties) continue;
    // For a union of objects, prefer the branch whose discriminator matches.
    const typeConst = (n.properties.type as { const?: unknown } | undefined)?.const;
    const actualType = value !== null && typeof value === 'object' ? (value as Record<string, unknown>).type : undefined;
    if (typeConst !== undefined && actualType !== undefined && typeConst !== actualType) continue;
    Object.keys(n.properties).forEach((k) => keys.add(k));
  }
  return [...keys].sort();
}

interface SchemaNode {
  properties?: Record<string, unknown>;
  items?: unknown;
  additionalProperties?: unknown;
  anyOf?: unknown[];
  oneOf?: unknown[];
}
function expand(n: unknown): SchemaNode[] {
  const node = n as SchemaNode;
  if (node === null || typeof node !== 'object') return [];
  const alts = [...(node.anyOf ?? []), ...(node.oneOf ?? [])];
  return alts.length > 0 ? alts.flatMap(expand) : [node];
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const d = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (d < bestDist) {
      bestDist = d;
      best = c;
    }
  }
  return bestDist <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

type ZodIssue = z.core.$ZodIssue;

function valueAt(data: unknown, p: readonly PathSegment[]): unknown {
  let v = data;
  for (const seg of p) v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[seg] : undefined;
  return v;
}

function zodIssues(issues: readonly ZodIssue[], data: unknown, base: readonly PathSegment[] = []): Located[] {
  const out: Located[] = [];
  for (const issue of issues) {
    const p = [...base, ...(issue.path as PathSegment[])];
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeys(p, data);
      for (const key of issue.keys) {
        const guess = closest(key, allowed);
        out.push({
          path: [...p, key],
          key,
          message:
            `unknown key "${key}"` +
            (guess ? `; did you mean "${guess}"?` : '') +
            (allowed.length > 0 ? ` Allowed keys here: ${allowed.join(', ')}` : ' Remove it.'),
        });
      }
    } else if (issue.code === 'invalid_union') {
      const value = valueAt(data, p);
      const branches = issue.errors;
      // An event type is a plain name or an object: report the branch that matches what was written.
      const pick =
        branches.find((b) => b.length > 0 && b.every((i) => i.code !== 'invalid_type' || i.path.length > 0)) ??
        branches[typeof value === 'string' ? 0 : branches.length - 1];
      if (pick && pick.length > 0) out.push(...zodIssues(pick, data, p));
      else out.push({ path: p, message: issue.message });
    } else if (issue.code === 'invalid_key') {
      // A record key (an environment name) failed its own schema: report the key's problem.
      const key = p[p.length - 1];
      for (const inner of issue.issues) {
        out.push({
          path: p,
          ...(typeof key === 'string' ? { key } : {}),
          message: `name ${typeof key === 'string' ? `${showValue(key)} ` : ''}${friendly(inner as ZodIssue)}`,
        });
      }
    } else if (issue.code === 'invalid_type' && valueAt(data, p) === undefined) {
      out.push({ path: p, message: `is required (${issue.expected})` });
    } else {
      out.push({ path: p, message: withValue(friendly(issue), valueAt(data, p)) });
    }
  }
  return out;
}

/** Adds the offending value (shortened) to a message about a scalar. */
function withValue(message: string, value: unknown): string {
  if (value === undefined || (value !== null && typeof value === 'object')) return message;
  return `${showValue(value)}: ${message}`;
}

function friendly(issue: ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${issue.expected === 'object' ? 'a mapping' : `a ${issue.expected}`} (${issue.message.replace(/^Invalid input: /, '')})`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return issue.message.replace(/^Invalid input: /, '');
  }
}

// ---------------------------------------------------------------------------------------------
// Checks zod cannot express: run on whatever parts of the file are readable, so that they are
// reported together with schema errors.
// ---------------------------------------------------------------------------------------------

interface LenientEventType {
  readonly index: number;
  readonly name: string;
  readonly namePath: PathSegment[];
  readonly peakRecordsPerSecond?: number;
  readonly avgRecordBytes?: number;
  readonly peakRequestsPerSecond?: number;
}
interface LenientApp {
  readonly index: number;
  readonly name: string;
  readonly types: LenientEventType[];
}
interface LenientEnv {
  readonly name: string;
  readonly region?: string;
  readonly raw: Record<string, unknown>;
}


function semanticIssues(data: unknown): Located[] {
  if (!isObj(data)) return [];
  const out: Located[] = [...templateIssues(data)];
  const project = str(data.project);
  const apps: LenientApp[] = (Array.isArray(data.applications) ? data.applications : []).flatMap((a, index) => {
    if (!isObj(a) || typeof a.name !== 'string') return [];
    const types = (Array.isArray(a.eventTypes) ? a.eventTypes : []).flatMap((t, ti): LenientEventType[] => {
      if (typeof t === 'string') return [{ index: ti, name: t, namePath: ['applications', index, 'eventTypes', ti] }];
      if (isObj(t) && typeof t.name === 'string') {
        return [
          {
            index: ti,
            name: t.name,
            namePath: ['applications', index, 'eventTypes', ti, 'name'],
            ...optionalNumbers(t),
          },
        ];
      }
      return [];
    });
    return [{ index, name: a.name, types }];
  });
  const envs: LenientEnv[] = isObj(data.environments)
    ? Object.entries(data.environments).map(([name, e]) => ({
        name,
        ...(isObj(e) && typeof e.region === 'string' ? { region: e.region } : {}),
        raw: isObj(e) ? e : {},
      }))
    : [];

  out.push(...duplicateIssues(apps));
  // Physical names are only checked for parts with valid characters: the schema reports the others.
  if (project !== undefined && PROJECT_NAME.test(project)) {
    out.push(
      ...nameIssues(
        project,
        envs.filter((e) => LOWER_NAME.test(e.name)),
        apps.filter((a) => LOWER_NAME.test(a.name)).map((a) => ({ ...a, types: a.types.filter((t) => LOWER_NAME.test(t.name)) })),
      ),
    );
  }
  out.push(...quotaIssues(envs, apps));
  out.push(...crossReferenceIssues(envs, apps));
  out.push(...hotPathConfigIssues(envs, apps));
  out.push(...collectorConfigIssues(envs, apps));
  const validProject = project !== undefined && PROJECT_NAME.test(project) ? project : undefined;
  out.push(...awsValueIssues(data, validProject));
  out.push(...stackLayoutIssues(data, validProject));
  return out;
}

function optionalNumbers(t: Record<string, unknown>): Partial<LenientEventType> {
  const r: { peakRecordsPerSecond?: number; avgRecordBytes?: number; peakRequestsPerSecond?: number } = {};
  const a = num(t.peakRecordsPerSecond);
  const b = num(t.avgRecordBytes);
  const c = num(t.peakRequestsPerSecond);
  if (a !== undefined) r.peakRecordsPerSecond = a;
  if (b !== undefined) r.avgRecordBytes = b;
  if (c !== undefined) r.peakRequestsPerSecond = c;
  return r;
}

function duplicateIssues(apps: readonly LenientApp[]): Located[] {
  const out: Located[] = [];
  const firstApp = new Map<string, number>();
  for (const app of apps) {
    const prev = firstApp.get(app.name);
    if (prev !== undefined) {
      out.push({
        path: ['applications', app.index, 'name'],
        message: `duplicate application "${app.name}" (first declared at applications[${prev}]); merge their eventTypes into one entry or rename one`,
      });
    } else firstApp.set(app.name, app.index);
    const firstType = new Map<string, number>();
    for (const t of app.types) {
      const prevT = firstType.get(t.name);
      if (prevT !== undefined) {
        out.push({
          path: t.namePath,
          message: `duplicate event type "${t.name}" in application "${app.name}" (first declared at applications[${app.index}].eventTypes[${prevT}]); remove or rename one`,
        });
      } else firstType.set(t.name, t.index);
    }
  }
  return out;
}

const SHORTEN = 'shorten the project, environment, application or event type name';

function nameIssues(project: string, envs: readonly LenientEnv[], apps: readonly LenientApp[]): Located[] {
  const out: Located[] = [];
  const owners = new Map<string, string>();
  const tfNames = new Map<string, string>();
  const envNameSet = new Set(envs.map((e) => e.name));
  for (const env of envs) {
    const p: naming.NamePrefix = { project, environment: env.name };
    const envPath: PathSegment[] = ['environments', env.name];
    // IAM policies scope an environment by its name prefix (`<project>-<env>-*`), so that adding an
    // event type never edits a policy. That prefix must not cover another environment's names.
    // The candidates are the parts of this name before each "-" (one set look-up each, so the check
    // stays linear in the number of environments).
    for (let dash = env.name.indexOf('-'); dash > 0; dash = env.name.indexOf('-', dash + 1)) {
      const other = env.name.slice(0, dash);
      if (envNameSet.has(other)) {
        out.push({
          path: envPath,
          message: `environment "${env.name}" starts with "${other}-": IAM policies of "${other}" are scoped to names starting with "${naming.environmentPrefix({ project, environment: other })}-", which would include "${env.name}"'s resources; rename one of the environments (for example "${env.name.replace(/-/g, '')}")`,
        });
      }
    }
    // The bucket name (explicit or default) is checked against S3's rules in config/aws-checks.ts.
    const rootStream = isObj(env.raw.rootStream) ? env.raw.rootStream : {};
    const consumers = Array.isArray(rootStream.consumers) ? rootStream.consumers : [];
    const envNames: [naming.NameKind, string][] = [
      ['logGroup', naming.deliveryLogGroupName(p)],
      ['iamRole', naming.firehoseRoleName(p)],
      ['lambdaFunction', naming.transformFunctionName(p)],
      ['iamRole', naming.functionRoleName(naming.transformFunctionName(p))],
      ['logGroup', naming.functionLogGroupName(naming.transformFunctionName(p))],
      ['kinesisStream', naming.rootStreamName(p)],
      ['lambdaFunction', naming.routerFunctionName(p)],
      ['iamRole', naming.functionRoleName(naming.routerFunctionName(p))],
      ['sqsQueue', naming.routerDeadLetterQueueName(p)],
      ['iamPolicy', naming.rootStreamProducerPolicyName(p)],
      ['snsTopic', naming.alarmTopicName(p)],
      ['dashboard', naming.dashboardName(p)],
      ...consumers.flatMap((c): [naming.NameKind, string][] =>
        isObj(c) && typeof c.name === 'string' ? [['kinesisConsumer', naming.streamConsumerName(p, c.name)]] : [],
      ),
      ...(isObj(rootStream.hotPath) && Array.isArray(rootStream.hotPath.rules) && rootStream.hotPath.rules.length > 0 ? hotPathNames(p) : []),
      ...collectorNamesOf(p, env.raw.collector),
    ];
    for (const [kind, name] of envNames) {
      const problem = naming.checkName(kind, name);
      if (problem) out.push({ path: envPath, message: `${problem}; shorten the project or environment name` });
    }
    for (const app of apps) {
      for (const t of app.types) {
        const stream = naming.deliveryStreamName(p, app.name, t.name);
        const problem = naming.checkName('deliveryStream', stream);
        if (problem) {
          out.push({ path: t.namePath, message: `in environment "${env.name}": ${problem}; ${SHORTEN}` });
        }
        const owner = `environments.${env.name} ${app.name}/${t.name}`;
        const tfName = naming.eventTypeResourceName(app.name, t.name);
        const prevTf = tfNames.get(tfName);
        if (prevTf !== undefined && prevTf !== `${app.name}/${t.name}`) {
          out.push({
            path: t.namePath,
            message: `event type ${app.name}/${t.name} and ${prevTf} share the Terraform resource name "${tfName}" ("__" joins application and event type); rename one of them`,
          });
        } else tfNames.set(tfName, `${app.name}/${t.name}`);
        const prev = owners.get(stream);
        if (prev !== undefined && prev !== owner) {
          out.push({
            path: t.namePath,
            message: `delivery stream name "${stream}" of ${owner} collides with ${prev} ("-" joins the name parts); rename one of them`,
          });
        } else owners.set(stream, owner);
      }
    }
  }
  return out;
}

function quotaOf(env: LenientEnv): StreamQuota {
  const q = isObj(env.raw.streamQuota) ? env.raw.streamQuota : {};
  // streamQuota ignores the values that are not set.
  return streamQuota(env.region ?? '', {
    mibPerSecond: num(q.mibPerSecond),
    requestsPerSecond: num(q.requestsPerSecond),
    recordsPerSecond: num(q.recordsPerSecond),
    deliveryStreamsPerRegion: num(q.deliveryStreamsPerRegion),
  });
}

function quotaIssues(envs: readonly LenientEnv[], apps: readonly LenientApp[]): Located[] {
  const out: Located[] = [];
  const typeCount = apps.reduce((n, a) => n + a.types.length, 0);

  // Delivery streams per region: every environment in a region deploys every event type.
  const byRegion = new Map<string, LenientEnv[]>();
  for (const env of envs) {
    // An unknown region is reported on its own (config/aws-checks.ts).
    if (env.region === undefined || !isKnownRegion(env.region)) continue;
    const inRegion = byRegion.get(env.region);
    if (inRegion === undefined) byRegion.set(env.region, [env]);
    else inRegion.push(env);
  }
  for (const [region, inRegion] of byRegion) {
    const total = typeCount * inRegion.length;
    const limit = Math.max(...inRegion.map((e) => quotaOf(e).deliveryStreamsPerRegion));
    if (total > limit) {
      const names = inRegion.map((e) => e.name).join(', ');
      for (const env of inRegion) {
        out.push({
          path: ['environments', env.name, 'region'],
          message:
            `${total} delivery streams in ${region} (${typeCount} event types x environments ${names}) exceed Firehose's quota of ` +
            `${limit.toLocaleString('en-US')} streams per account in ${region} (${QUOTA_SOURCE}` +
            `${UNLISTED_REGIONS.includes(region) ? '; the page does not list this region, so its lowest published quota is assumed: check Service Quotas' : ''}); move an environment to another region or account, ` +
            `remove event types, or request a quota increase and declare it in environments.${env.name}.streamQuota.deliveryStreamsPerRegion`,
        });
      }
    }
  }

  // Declared peaks against one stream's quota in each environment's region.
  for (const env of envs) {
    if (env.region === undefined || !isKnownRegion(env.region)) continue;
    const q = quotaOf(env);
    for (const app of apps) {
      for (const t of app.types) {
        const base = t.namePath.slice(0, 4);
        const fix =
          `split "${t.name}" into several event types, pack small events into fewer records with the tracker client, ` +
          `or request a Firehose quota increase for ${env.region} and declare it in environments.${env.name}.streamQuota`;
        if (t.peakRecordsPerSecond !== undefined) {
          const bytes = t.avgRecordBytes ?? DEFAULT_AVG_RECORD_BYTES;
          const mib = (t.peakRecordsPerSecond * bytes) / 1_048_576;
          if (mib > q.mibPerSecond) {
            out.push({
              path: [...base, 'peakRecordsPerSecond'],
              message:
                `${t.peakRecordsPerSecond} records/s x ${bytes} bytes = ${mib.toFixed(2)} MiB/s exceeds one delivery stream's ` +
                `${q.mibPerSecond} MiB/s in ${env.region} (environment "${env.name}"); ${fix}`,
            });
          }
          if (t.peakRecordsPerSecond > q.recordsPerSecond) {
            out.push({
              path: [...base, 'peakRecordsPerSecond'],
              message:
                `${t.peakRecordsPerSecond} records/s exceeds one delivery stream's ${q.recordsPerSecond} records/s in ` +
                `${env.region} (environment "${env.name}"); ${fix}`,
            });
          }
        }
        if (t.peakRequestsPerSecond !== undefined && t.peakRequestsPerSecond > q.requestsPerSecond) {
          out.push({
            path: [...base, 'peakRequestsPerSecond'],
            message:
              `${t.peakRequestsPerSecond} requests/s exceeds one delivery stream's ${q.requestsPerSecond} requests/s in ` +
              `${env.region} (environment "${env.name}"); batch records with PutRecordBatch (the tracker client does), or ${fix}`,
          });
        }
      }
    }
  }
  return out;
}

/** Physical names of an enabled collector (config/collector.ts), for the name checks. */
function collectorNamesOf(p: naming.NamePrefix, raw: unknown): [naming.NameKind, string][] {
  if (!isObj(raw) || raw.enabled !== true) return [];
  const apps = isObj(raw.applications) ? Object.keys(raw.applications).filter((a) => LOWER_NAME.test(a)) : [];
  return collectorNames(p, apps);
}

/** The collector checks of config/collector.ts, per environment (docs/collector.md). */
function collectorConfigIssues(envs: readonly LenientEnv[], apps: readonly LenientApp[]): Located[] {
  const names = new Set(apps.map((a) => a.name));
  return envs.flatMap((env) =>
    env.raw.collector === undefined
      ? []
      : collectorIssues(env.name, env.raw.collector, { applications: names, ...(env.region !== undefined ? { region: env.region } : {}) }),
  );
}

/** The hot-path checks of config/hot-path.ts, per environment (docs/hot-path.md). */
function hotPathConfigIssues(envs: readonly LenientEnv[], apps: readonly LenientApp[]): Located[] {
  const known = new Set(apps.flatMap((a) => a.types.map((t) => naming.eventTypeKey(a.name, t.name))));
  return envs.flatMap((env) => {
    const rs = isObj(env.raw.rootStream) ? env.raw.rootStream : {};
    if (rs.hotPath === undefined) return [];
    const consumers = Array.isArray(rs.consumers) ? rs.consumers : [];
    // The router reads with the shared throughput, and so does every `type: lambda` consumer without enhanced fan-out.
    const standard = consumers.filter((c) => isObj(c) && c.type === 'lambda' && c.enhancedFanOut !== true).length;
    return hotPathIssues(env.name, rs.hotPath, known, { rootStreamEnabled: rs.enabled === true, otherStandardReaders: 1 + standard });
  });
}

function crossReferenceIssues(envs: readonly LenientEnv[], apps: readonly LenientApp[]): Located[] {
  const out: Located[] = [];
  const known = new Set(apps.flatMap((a) => a.types.map((t) => naming.eventTypeKey(a.name, t.name))));
  for (const env of envs) {
    const alarms = isObj(env.raw.alarms) ? env.raw.alarms : {};
    (Array.isArray(alarms.perStreamAlarms) ? alarms.perStreamAlarms : []).forEach((k, i) => {
      if (typeof k === 'string' && /\//.test(k) && !known.has(k)) {
        out.push({
          path: ['environments', env.name, 'alarms', 'perStreamAlarms', i],
          message: `"${k}" is not a declared event type; use "<application>/<eventType>" of an entry under applications`,
        });
      }
    });
    const rs = isObj(env.raw.rootStream) ? env.raw.rootStream : {};
    if (rs.shardCount !== undefined && rs.mode !== 'provisioned') {
      out.push({
        path: ['environments', env.name, 'rootStream', 'shardCount'],
        message: 'shardCount only applies in provisioned mode; set mode: provisioned or remove shardCount',
      });
    }
    const seen = new Set<string>();
    (Array.isArray(rs.consumers) ? rs.consumers : []).forEach((c, i) => {
      if (!isObj(c) || typeof c.name !== 'string') return;
      if (seen.has(c.name)) {
        out.push({
          path: ['environments', env.name, 'rootStream', 'consumers', i, 'name'],
          message: `duplicate consumer "${c.name}"; consumer names must be unique per environment`,
        });
      }
      seen.add(c.name);
    });
    // The bucket's lifecycle days are checked against S3's rules in config/aws-checks.ts (lifecycleIssues).
  }
  return out;
}
