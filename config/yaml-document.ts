/**
 * YAML parsing for config files, in time linear in the text.
 *
 * The yaml library's own duplicate-key check (`uniqueKeys: true`) compares each key of a mapping
 * with every earlier key of that mapping, so a mapping of n keys costs n²/2 comparisons: a config
 * (or a schema file next to it) with a large mapping would stall every synth and pull request.
 * Here the library parses without that check, and one pass over the document finds duplicate keys
 * with a set per mapping. A duplicate is reported like the library reports it (code
 * DUPLICATE_KEY, "Map keys must be unique", at the repeated key), with the line of the first one.
 */
import { isScalar, LineCounter, parseDocument, visit, YAMLParseError, type Document, type DocumentOptions, type ParseOptions, type SchemaOptions } from 'yaml';

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
