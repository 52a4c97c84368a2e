/**
 * YAML parsing for config files, in time linear in the text.
 *
 * Duplicate keys. The yaml library's own duplicate-key check (`uniqueKeys: true`) compares each key of a mapping
 * with every earlier key of that mapping, so a mapping of n keys costs n²/2 comparisons: a config
 * (or a schema file next to it) with a large mapping would stall every synth and pull request.
 * Here the library parses without that check, and one pass over the document finds duplicate keys
 * with a set per mapping. A duplicate is reported like the library reports it (code
 * DUPLICATE_KEY, "Map keys must be unique", at the repeated key), with the line of the first one.
 *
 * Aliases. The library's `toJS` looks each alias up by scanning every anchor and alias before it
 * (through the loader, 10,000 uses of one anchor took 1.5 s and 20,000 took 7 s: bench/README.md),
 * and bounds alias bombs with a count that names no place in the file. `documentData` converts the document in one pass instead: an anchor
 * table gives each alias its node (a repeated value is one shared object, as with the library),
 * and the nodes the aliases add are counted as they are met, so that the alias that makes the
 * document too large is reported with its path and position. The rule: aliases may expand a
 * document to at most ALIAS_EXPANSION_FACTOR times the nodes it writes (at least
 * MIN_ALIAS_EXPANSION nodes), which keeps everything that walks the data linear in the text, and
 * stops a "billion laughs" (each level repeating the previous one) after a few levels. An alias
 * inside the node its anchor marks (a cycle) and an alias before its anchor are refused too.
 */
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  YAMLParseError,
  type Document,
  type DocumentOptions,
  type Node,
  type ParseOptions,
  type SchemaOptions,
} from 'yaml';
import type { PathSegment } from './located';

export type YamlParseOptions = ParseOptions & DocumentOptions & SchemaOptions;

/**
 * `parseDocument(text, options)` with duplicate keys reported in `doc.errors` (whatever
 * `options.uniqueKeys` says: keys are compared by their scalar value, as the library does).
 * With `options.lineCounter`, each such error carries its line and column (`linePos`).
 */
export function parseYamlDocument(text: string, options: YamlParseOptions = {}): Document.Parsed {
  const doc = parseDocument(text, { ...options, uniqueKeys: false });
  const lineCounter: LineCounter | undefined = options.lineCounter;
  const found: YAMLParseError[] = [];
  visit(doc, {
    Map(_key, map) {
      const first = new Map<unknown, number>();
      for (const pair of map.items) {
        const key = pair.key;
        // The library compares scalar keys by value and other keys by identity (never equal).
        if (!isScalar(key) || key.range === undefined || key.range === null) continue;
        const value = key.value;
        if (typeof value === 'number' && Number.isNaN(value)) continue; // NaN !== NaN, as in the library
        const prev = first.get(value);
        if (prev === undefined) {
          first.set(value, key.range[0]);
          continue;
        }
        const at = key.range[0];
        const firstLine = lineCounter !== undefined ? ` (first set at line ${lineCounter.linePos(prev).line})` : '';
        const err = new YAMLParseError([at, at + 1], 'DUPLICATE_KEY', `Map keys must be unique${firstLine}`);
        if (lineCounter !== undefined) {
          const pos = lineCounter.linePos(at);
          err.linePos = [{ line: pos.line, col: pos.col }];
        }
        found.push(err);
      }
    },
  });
  if (found.length > 0) {
    doc.errors.push(...found);
    doc.errors.sort((a, b) => a.pos[0] - b.pos[0]);
  }
  return doc;
}

/** Aliases may expand a document to this many times the nodes it writes (see MIN_ALIAS_EXPANSION). */
export const ALIAS_EXPANSION_FACTOR = 20;
/** Whatever the document's size, aliases may expand it to this many nodes. */
export const MIN_ALIAS_EXPANSION = 1_000_000;

/** Why a document could not be converted, at the alias that caused it. */
export interface YamlDataProblem {
  /** Where the alias is, as a path of the converted data. */
  readonly path: readonly PathSegment[];
  /** Offset of the alias in the text. */
  readonly offset: number;
  /** What is wrong, with the rule and the fix. */
  readonly message: string;
}

export type YamlData = { readonly value: unknown; readonly problem?: undefined } | { readonly value?: undefined; readonly problem: YamlDataProblem };

class Refused extends Error {
  public constructor(public readonly problem: YamlDataProblem) {
    super(problem.message);
    this.name = 'Refused';
  }
}

interface AnchorEntry {
  value: unknown;
  /** Nodes of its expansion, once converted; undefined while it is being converted. */
  size: number | undefined;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/**
 * The plain data of a parsed document (mappings as objects with string keys, sequences as arrays,
 * scalars as their values; what `doc.toJS()` gives for the core schema), in one pass, or the
 * problem of the first alias that breaks the rules above.
 */
export function documentData(doc: Document): YamlData {
  let written = 0;
  visit(doc, {
    Node() {
      written++;
    },
  });
  const limit = Math.max(MIN_ALIAS_EXPANSION, ALIAS_EXPANSION_FACTOR * written);
  const anchors = new Map<string, AnchorEntry>();
  const path: PathSegment[] = [];
  let total = 0;

  const refuse = (node: Node, message: string): never => {
    throw new Refused({ path: [...path], offset: node.range?.[0] ?? 0, message });
  };

  const convert = (node: unknown): unknown => {
    if (node === null || node === undefined) {
      total++;
      return null;
    }
    if (isAlias(node)) {
      const entry = anchors.get(node.source);
      if (entry === undefined) {
        return refuse(node, `alias *${node.source} comes before any anchor &${node.source}: set the anchor on a value above the alias`);
      }
      if (entry.size === undefined) {
        return refuse(
          node,
          `alias *${node.source} is inside the value its anchor &${node.source} marks, so the value would contain itself without end: ` +
            'point the alias at another value',
        );
      }
      total += entry.size;
      if (total > limit) {
        return refuse(
          node,
          `alias *${node.source} repeats a value of ${fmt(entry.size)} nodes, which takes the YAML with its aliases expanded past ` +
            `${fmt(limit)} nodes. The rule: aliases may expand a config to at most ${ALIAS_EXPANSION_FACTOR} times the nodes it ` +
            `writes (here ${fmt(written)}), or to ${fmt(MIN_ALIAS_EXPANSION)} nodes if that is more; "billion laughs" alias bombs ` +
            'break it within a few levels. Write the repeated values out, or use fewer or smaller anchors',
        );
      }
      return entry.value;
    }
    const n = node as Node;
    const before = total;
    total++;
    const entry: AnchorEntry | undefined = n.anchor !== undefined && n.anchor !== null && n.anchor !== '' ? { value: undefined, size: undefined } : undefined;
    if (entry !== undefined) anchors.set(n.anchor!, entry);
    let value: unknown;
    if (isMap(n)) {
      const out: Record<string, unknown> = {};
      if (entry !== undefined) entry.value = out; // an alias inside is refused as a cycle, but the value exists
      for (const pair of n.items) {
        const key = convert(pair.key);
        const k = key === null ? '' : typeof key === 'object' ? JSON.stringify(key) : String(key);
        path.push(k);
        const v = convert(pair.value);
        path.pop();
        // As the library does: a key that objects already have (__proto__, toString) becomes an own property.
        if (k in out) Object.defineProperty(out, k, { value: v, writable: true, enumerable: true, configurable: true });
        else out[k] = v;
      }
      value = out;
    } else if (isSeq(n)) {
      const out: unknown[] = [];
      for (let i = 0; i < n.items.length; i++) {
        path.push(i);
        out.push(convert(n.items[i]));
        path.pop();
      }
      value = out;
    } else if (isScalar(n)) {
      value = typeof n.value === 'bigint' ? Number(n.value) : n.value;
    } else {
      value = n.toJSON();
    }
    if (entry !== undefined) {
      entry.value = value;
      entry.size = total - before;
    }
    return value;
  };

  try {
    return { value: convert(doc.contents) };
  } catch (err) {
    if (err instanceof Refused) return { problem: err.problem };
    throw err;
  }
}
