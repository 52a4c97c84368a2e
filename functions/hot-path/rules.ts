/**
 * The rules file of the hot-path Lambda: the resolved rules of one environment and its consumers
 * (the alias of each event source mapping, with its kind and window), written at synth next to
 * `index.js` (`hot-path-rules.json`) and read once per container. A file, not environment
 * variables: all variables of a function together are limited to 4 KB, and 100 rules are larger.
 * The consumers are written by the same synth that creates the aliases, so a published version
 * always knows the aliases that invoke it.
 *
 * Pure apart from `loadRules` (one file read).
 */
import { readFileSync } from 'node:fs';
import type { HotPathConsumer, HotPathRuleSpec, HotPathSpec, MatchRuleSpec, RateRuleSpec } from '../../config/hot-path';
import { TrackingPipelineError } from '../../config/errors';

export const RULES_FILE = 'hot-path-rules.json';
/** 2: adds `consumers` (one alias per event source mapping). */
export const RULES_VERSION = 2;

export interface RulesDocument {
  readonly version: typeof RULES_VERSION;
  readonly environment: string;
  readonly rules: readonly HotPathRuleSpec[];
  /** The consumers (event source mappings), by the alias each one invokes. */
  readonly consumers: readonly HotPathConsumer[];
  /** TTL of dedupe markers and window counters, seconds. */
  readonly dedupeTtlSeconds: number;
  /** TTL of stored matches, days. */
  readonly retentionDays: number;
  readonly rateEvaluationDelaySeconds: number;
}

/** The rules file is missing or malformed: a packaging bug. */
export class RulesFileError extends TrackingPipelineError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RulesFileError';
  }
}

/** The document written into the asset (deterministic: same spec and consumers, same bytes). */
export function buildRulesDocument(environment: string, spec: HotPathSpec, consumers: readonly HotPathConsumer[]): string {
  const doc: RulesDocument = {
    version: RULES_VERSION,
    environment,
    rules: spec.rules,
    consumers,
    dedupeTtlSeconds: spec.dedupeTtlSeconds,
    retentionDays: spec.retentionDays,
    rateEvaluationDelaySeconds: spec.rateEvaluationDelaySeconds,
  };
  return `${JSON.stringify(doc)}\n`;
}

export function parseRules(text: string): RulesDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new RulesFileError(`${RULES_FILE} is not JSON`, { cause: err });
  }
  const d = doc as Partial<RulesDocument> | null;
  if (d === null || typeof d !== 'object' || d.version !== RULES_VERSION || !Array.isArray(d.rules) || typeof d.environment !== 'string') {
    throw new RulesFileError(`${RULES_FILE} is not a version ${RULES_VERSION} rules document`);
  }
  for (const n of ['dedupeTtlSeconds', 'retentionDays', 'rateEvaluationDelaySeconds'] as const) {
    if (typeof d[n] !== 'number' || !Number.isFinite(d[n])) throw new RulesFileError(`${RULES_FILE}: ${n} is not a number`);
  }
  for (const r of d.rules) {
    if (r === null || typeof r !== 'object' || typeof r.name !== 'string' || (r.kind !== 'match' && r.kind !== 'rate')) {
      throw new RulesFileError(`${RULES_FILE}: a rule has no name or kind`);
    }
  }
  if (!Array.isArray(d.consumers)) throw new RulesFileError(`${RULES_FILE}: consumers is not a list`);
  const aliases = new Set<string>();
  for (const c of d.consumers as unknown[]) {
    const x = c as Partial<{ kind: string; alias: string; windowSeconds: number }> | null;
    const ok =
      x !== null &&
      typeof x === 'object' &&
      typeof x.alias === 'string' &&
      (x.kind === 'match' || (x.kind === 'rate' && typeof x.windowSeconds === 'number' && Number.isInteger(x.windowSeconds) && x.windowSeconds > 0));
    if (!ok) throw new RulesFileError(`${RULES_FILE}: a consumer is not {kind: match, alias} or {kind: rate, alias, windowSeconds}`);
    if (aliases.has(x.alias!)) throw new RulesFileError(`${RULES_FILE}: consumer alias "${x.alias!}" is listed twice`);
    aliases.add(x.alias!);
  }
  return d as RulesDocument;
}

export function loadRules(file: string): RulesDocument {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RulesFileError(`cannot read ${file}`, { cause: err });
  }
  return parseRules(text);
}

/** Rules indexed for the handler: match rules by event type key, rate rules by window length, consumers by alias. */
export interface RuleIndex {
  readonly doc: RulesDocument;
  readonly consumers: ReadonlyMap<string, HotPathConsumer>;
  readonly matchByType: ReadonlyMap<string, readonly MatchRuleSpec[]>;
  readonly rateByWindow: ReadonlyMap<number, readonly RateRuleSpec[]>;
  readonly fewerThan: readonly RateRuleSpec[];
}

export function indexRules(doc: RulesDocument): RuleIndex {
  const matchByType = new Map<string, MatchRuleSpec[]>();
  const rateByWindow = new Map<number, RateRuleSpec[]>();
  for (const r of doc.rules) {
    if (r.kind === 'match') matchByType.set(r.eventType.key, [...(matchByType.get(r.eventType.key) ?? []), r]);
    else rateByWindow.set(r.windowSeconds, [...(rateByWindow.get(r.windowSeconds) ?? []), r]);
  }
  const fewerThan = doc.rules.filter((r): r is RateRuleSpec => r.kind === 'rate' && r.comparison === 'fewerThan');
  const consumers = new Map(doc.consumers.map((c) => [c.alias, c]));
  return { doc, consumers, matchByType, rateByWindow, fewerThan };
}
