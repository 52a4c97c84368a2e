/**
 * config/yaml-document.ts: duplicate keys found in one pass, and the one-pass conversion of a
 * document to data, which must give what the yaml library's toJS gives for every document without
 * an alias problem (the loader's alias rules are tested with the loader, in aws-values.test.ts).
 */
import fc from 'fast-check';
import { LineCounter, parseDocument, stringify } from 'yaml';
import { contractsFromConfigText } from '../../config/contracts';
import { documentData, parseYamlDocument } from '../../config/yaml-document';

describe('duplicate keys, found in one pass', () => {
  it('reports each repeated key of block and flow mappings at its own line and column, with the first one', () => {
    const text = ['a: 1', 'b:', '  x: 1', '  y: 2', '  x: 3', 'c: { p: 1, q: 2, p: 3 }', 'a: 4', ''].join('\n');
    const lineCounter = new LineCounter();
    const doc = parseYamlDocument(text, { lineCounter, prettyErrors: true });
    expect(doc.errors.map((e) => [e.code, e.message.split('\n')[0], e.linePos?.[0]])).toEqual([
      ['DUPLICATE_KEY', 'Map keys must be unique (first set at line 3)', { line: 5, col: 3 }],
      ['DUPLICATE_KEY', 'Map keys must be unique (first set at line 6)', { line: 6, col: 18 }],
      ['DUPLICATE_KEY', 'Map keys must be unique (first set at line 1)', { line: 7, col: 1 }],
    ]);
  });

  it('compares keys by value as the yaml library does (1 and "1" differ; equal keys in different mappings are fine)', () => {
    const doc = parseYamlDocument(['1: a', '"1": b', 'm: { 1: c }', 'n: { 1: d }', ''].join('\n'));
    expect(doc.errors).toEqual([]);
  });
});

describe('documentData', () => {
  it('gives what toJS gives, shared values (anchors and aliases) included', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue({ maxDepth: 3 }), { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 6 }), (values, picks) => {
        // Prepare: repeat some values by reference, which stringify writes as anchors and aliases
        const shared = values.filter((v) => v !== null && typeof v === 'object');
        const data = { values, again: shared.length > 0 ? picks.map((p) => shared[p % shared.length]) : [] };
        const text = stringify(data);
        // Act
        const ours = documentData(parseYamlDocument(text));
        // Assess
        expect(ours.problem).toBeUndefined();
        expect(ours.value).toEqual(parseDocument(text).toJS({ maxAliasCount: -1 }));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps keys that objects already have as own properties, as toJS does', () => {
    const text = '__proto__: { polluted: true }\ntoString: 1\n';
    const ours = documentData(parseYamlDocument(text)).value as Record<string, unknown>;
    expect(Object.keys(ours)).toEqual(['__proto__', 'toString']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(ours).toEqual(parseDocument(text).toJS());
  });

  it('turns keys into strings as toJS does (null, numbers, booleans)', () => {
    const text = '~: a\n1: b\ntrue: c\n1.5: d\n';
    expect(documentData(parseYamlDocument(text)).value).toEqual(parseDocument(text).toJS());
  });
});

describe('the contracts of a config, read on their own (npm run types, review)', () => {
  it('accept every alias the loader accepts (the yaml library alone refuses a 101st use of an anchor)', () => {
    // Prepare: 300 event types sharing one schema through an anchor
    const types = Array.from({ length: 300 }, (_, i) =>
      i === 0 ? '      - { name: t0, schema: &s { type: object, properties: { n: { type: integer } } } }' : `      - { name: t${i}, schema: *s }`,
    ).join('\n');
    const yaml = `project: acme\nstacks: { layout: auto }\nenvironments:\n  dev: { region: us-east-1 }\napplications:\n  - name: a\n    eventTypes:\n${types}\n`;
    // Act
    const contracts = contractsFromConfigText(yaml, 'tracking.yaml');
    // Assess
    expect(contracts.size).toBe(300);
    expect(contracts.get('a/t299')!.schema.properties).toHaveProperty('n');
  });
});
