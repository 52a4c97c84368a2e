/**
 * The config pieces of event contracts: the `schema` / `schemaMode` keys, schema validation
 * (meta-schema rules and our restrictions), schema files, resolution and normalization, and the
 * lake name checks. Problems are reported the way the loader reports them: a path in the config
 * (which the loader turns into a line and column) and a message naming the offending value.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { parseDocument } from 'yaml';
import {
  checkEventSchema,
  contentHash,
  contractsFromConfigText,
  eventSchemaSchema,
  JSON_SCHEMA_DIALECT,
  lakeNameIssues,
  normalizeEventSchema,
  resolveContracts,
  schemaModeSchema,
} from '../../config/contracts';
import { ConfigError } from '../../config/errors';
import { eventSchema } from './arbitraries';
import { FIXTURE_CONFIG, FIXTURES, metaSchemaValidator } from './helpers';

/** Resolves a config given as YAML text, as if it were the file `file`. */
function resolveYaml(yaml: string, file = FIXTURE_CONFIG): ReturnType<typeof resolveContracts> & { doc: ReturnType<typeof parseDocument> } {
  const doc = parseDocument(yaml);
  return { ...resolveContracts(doc.toJS() as unknown, file), doc };
}

/** A config with one event type whose options are `options` (YAML flow mapping text). */
function configWith(options: string, defaults = ''): string {
  return `project: acme
${defaults}environments:
  dev: { region: eu-central-1 }
applications:
  - name: web-shop
    eventTypes:
      - name: checkout
${options
  .split('\n')
  .map((l) => `        ${l}`)
  .join('\n')}
`;
}

describe('contracts in the config', () => {
  it('resolves inline, JSON-file and YAML-file schemas with their modes', () => {
    // Act
    const { issues, contracts } = resolveYaml(readFileSync(FIXTURE_CONFIG, 'utf8'));

    // Assess
    expect(issues).toEqual([]);
    expect([...contracts.keys()].sort()).toEqual(['mobile-app/app_open', 'web-shop/checkout_completed', 'web-shop/search']);
    expect(contracts.get('web-shop/checkout_completed')).toMatchObject({ mode: 'enforce', source: 'schemas/checkout_completed.json' });
    expect(contracts.get('web-shop/search')).toMatchObject({ mode: 'observe', source: 'inline' });
    expect(contracts.get('mobile-app/app_open')).toMatchObject({ mode: 'enforce', source: 'schemas/app_open.yaml' });
  });

  it('normalizes: dialect, envelope fields first (app and event_type fixed), closed objects, explicit required', () => {
    // Act
    const schema = normalizeEventSchema(
      { type: 'object', properties: { cart: { type: 'object', properties: { id: { type: 'string' } } }, n: { type: ['null', 'integer'] } } },
      'web-shop',
      'checkout',
    );

    // Assess
    expect(schema.$schema).toBe(JSON_SCHEMA_DIALECT);
    expect(Object.keys(schema.properties)).toEqual(['app', 'event_type', 'event_id', 'sent_at', 'received_at', 'cart', 'n']);
    expect(schema.properties.app).toMatchObject({ type: 'string', const: 'web-shop' });
    expect(schema.properties.event_type).toMatchObject({ type: 'string', const: 'checkout' });
    expect(schema.required).toEqual([]);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.cart).toMatchObject({ additionalProperties: false, required: [] });
    expect(schema.properties.n?.type).toEqual(['integer', 'null']);
  });

  it('gives equal schemas equal hashes, whatever the key order', () => {
    const a = normalizeEventSchema({ type: 'object', properties: { a: { type: 'string', maxLength: 3 }, b: { type: 'integer' } } }, 'x', 'y');
    const b = normalizeEventSchema({ properties: { b: { type: 'integer' }, a: { maxLength: 3, type: 'string' } }, type: 'object' }, 'x', 'y');
    expect(contentHash(a)).toBe(contentHash(b));
    expect(contentHash(a)).not.toBe(contentHash(normalizeEventSchema({ type: 'object', properties: { a: { type: 'string' } } }, 'x', 'y')));
  });

  describe('bad inline schemas are reported at their path in the config, naming the value', () => {
    it.each<[string, string, (string | number)[], RegExp]>([
      ['an unknown type', '{ type: object, properties: { amount: { type: decimal } } }', ['properties', 'amount', 'type'], /"decimal" is not a supported type/],
      ['a combinator', '{ type: object, properties: { v: { oneOf: [{ type: string }] } } }', ['properties', 'v', 'oneOf'], /combinators are not supported/],
      ['a reference', '{ type: object, properties: { v: { $ref: "#/$defs/x" } } }', ['properties', 'v', '$ref'], /references are not supported/],
      ['an upper-case property', '{ type: object, properties: { OrderId: { type: string } } }', ['properties', 'OrderId'], /property name "OrderId" is not allowed/],
      ['an envelope field', '{ type: object, properties: { sent_at: { type: integer } } }', ['properties', 'sent_at'], /"sent_at" is an envelope field/],
      ['a partition column', '{ type: object, properties: { year: { type: integer } } }', ['properties', 'year'], /partition column/],
      ['an undeclared required field', '{ type: object, properties: { a: { type: string } }, required: [a, missing] }', ['required', 1], /"missing" is not declared in properties/],
      ['a pattern without maxLength', '{ type: object, properties: { a: { type: string, pattern: "^a+$" } } }', ['properties', 'a', 'pattern'], /needs a maxLength/],
      ['an invalid regular expression', '{ type: object, properties: { a: { type: string, pattern: "(", maxLength: 3 } } }', ['properties', 'a', 'pattern'], /"\(" is not a valid regular expression/],
      ['an enum value of the wrong type', '{ type: object, properties: { a: { type: integer, enum: [1, "two"] } } }', ['properties', 'a', 'enum', 1], /"two" is not a value of type "integer"/],
      ['minLength above maxLength', '{ type: object, properties: { a: { type: string, minLength: 5, maxLength: 2 } } }', ['properties', 'a', 'minLength'], /minLength 5 is greater than maxLength 2/],
      ['a negative maxLength', '{ type: object, properties: { a: { type: string, maxLength: -1 } } }', ['properties', 'a', 'maxLength'], /must be a non-negative integer, got -1/],
      ['an array without items', '{ type: object, properties: { a: { type: array } } }', ['properties', 'a'], /an array needs `items`/],
      ['uniqueItems on objects', '{ type: object, properties: { a: { type: array, uniqueItems: true, items: { type: object, properties: { b: { type: string } } } } } }', ['properties', 'a', 'uniqueItems'], /uniqueItems is supported for lists of strings/],
      ['an object without properties', '{ type: object, properties: { a: { type: object } } }', ['properties', 'a'], /an object needs `properties`/],
      ['an event that is not an object', '{ type: array, items: { type: string } }', ['type'], /type must be "object", got "array"/],
      ['a schema for additionalProperties', '{ type: object, properties: { a: { type: string } }, additionalProperties: { type: string } }', ['additionalProperties'], /must be true or false/],
      ['an unknown format', '{ type: object, properties: { a: { type: string, format: phone } } }', ['properties', 'a', 'format'], /"phone" is not a supported format/],
      ['a default', '{ type: object, properties: { a: { type: string, default: x } } }', ['properties', 'a', 'default'], /defaults are not applied at ingest/],
      ['another dialect', '{ $schema: "http://json-schema.org/draft-07/schema#", type: object, properties: {} }', ['$schema'], /only JSON Schema draft 2020-12 is supported/],
      ['a keyword of another type', '{ type: object, properties: { a: { type: integer, minLength: 1 } } }', ['properties', 'a', 'minLength'], /applies to string values only/],
      ['a nullable flag', '{ type: object, properties: { a: { type: string, nullable: true } } }', ['properties', 'a', 'nullable'], /use type: \[<type>, "null"\]/],
    ])('%s', (_name, inline, at, message) => {
      // Prepare
      const yaml = configWith(`schema: ${inline}`);

      // Act
      const { issues, contracts, doc } = resolveYaml(yaml);

      // Assess
      const where = ['applications', 0, 'eventTypes', 0, 'schema', ...at];
      expect(issues).toContainEqual({ path: where, message: expect.stringMatching(message) });
      expect(contracts.size).toBe(0);
      // The loader locates the path in the YAML: the node (or its key) exists.
      expect(doc.getIn(where.slice(0, -1), true) ?? doc.getIn(where, true)).toBeDefined();
    });

    it('rejects nesting deeper than 10 levels', () => {
      let node: Record<string, unknown> = { type: 'string' };
      for (let k = 0; k < 11; k++) node = { type: 'object', properties: { a: node } };
      expect(checkEventSchema(node)).toContainEqual({ path: expect.any(Array), message: expect.stringMatching(/nested more than 10 levels deep/) });
    });
  });

  describe('schema files', () => {
    it('reports a missing file with its name and where it was looked for', () => {
      const { issues } = resolveYaml(configWith('schema: schemas/nope.json'));
      expect(issues).toEqual([
        {
          path: ['applications', 0, 'eventTypes', 0, 'schema'],
          message: `cannot read schema file schemas/nope.json (file not found; resolved to ${path.join(FIXTURES, 'schemas', 'nope.json')})`,
        },
      ]);
    });

    it('reports a file that is not valid JSON', () => {
      const { issues } = resolveYaml(configWith('schema: schemas/broken.json'));
      expect(issues).toEqual([{ path: ['applications', 0, 'eventTypes', 0, 'schema'], message: expect.stringMatching(/^schema file schemas\/broken\.json is not valid JSON \(/) }]);
    });

    it('reports a file that is not valid YAML, with its line', () => {
      const { issues } = resolveYaml(configWith('schema: schemas/broken.yaml'));
      expect(issues).toEqual([
        { path: ['applications', 0, 'eventTypes', 0, 'schema'], message: expect.stringMatching(/^schema file schemas\/broken\.yaml:\d+:\d+ is not valid YAML/) },
      ]);
    });

    it('reports every problem inside a file with the file, line, column and JSON pointer', () => {
      // Act
      const { issues } = resolveYaml(configWith('schema: schemas/invalid.json'));

      // Assess
      const messages = issues.map((i) => i.message);
      expect(messages).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^schemas\/invalid\.json:4:\d+ \/properties\/amount\/type: "decimal" is not a supported type/),
          expect.stringMatching(/^schemas\/invalid\.json:5:\d+ \/properties\/OrderId: property name "OrderId" is not allowed/),
          expect.stringMatching(/^schemas\/invalid\.json:6:\d+ \/properties\/choice\/oneOf: `oneOf` is not supported/),
          expect.stringMatching(/^schemas\/invalid\.json:8:\d+ \/required\/1: "missing" is not declared in properties/),
        ]),
      );
      for (const issue of issues) expect(issue.path).toEqual(['applications', 0, 'eventTypes', 0, 'schema']);
    });

    it('refuses absolute paths', () => {
      const { issues } = resolveYaml(configWith('schema: /etc/schemas/a.json'));
      expect(issues).toEqual([{ path: ['applications', 0, 'eventTypes', 0, 'schema'], message: expect.stringMatching(/use a path relative to the config file/) }]);
    });

    it('reads one file once for every event type that references it', () => {
      const yaml = `project: acme
environments: { dev: { region: eu-central-1 } }
applications:
  - name: web-shop
    eventTypes:
      - { name: a, schema: schemas/app_open.yaml }
      - { name: b, schema: schemas/app_open.yaml }
`;
      const { issues, contracts } = resolveYaml(yaml);
      expect(issues).toEqual([]);
      // Same file, but the envelope pins each type's own name.
      expect(contracts.get('web-shop/a')?.schema.properties.event_type?.const).toBe('a');
      expect(contracts.get('web-shop/b')?.schema.properties.event_type?.const).toBe('b');
    });
  });

  describe('modes', () => {
    it('uses enforce by default, defaults.schemaMode next, the type last', () => {
      const schema = '{ type: object, properties: {} }';
      expect(resolveYaml(configWith(`schema: ${schema}`)).contracts.get('web-shop/checkout')?.mode).toBe('enforce');
      expect(resolveYaml(configWith(`schema: ${schema}`, 'defaults: { schemaMode: observe }\n')).contracts.get('web-shop/checkout')?.mode).toBe('observe');
      expect(
        resolveYaml(configWith(`schema: ${schema}\nschemaMode: enforce`, 'defaults: { schemaMode: observe }\n')).contracts.get('web-shop/checkout')?.mode,
      ).toBe('enforce');
    });

    it('rejects schemaMode on a type without a schema', () => {
      expect(resolveYaml(configWith('schemaMode: observe')).issues).toEqual([
        { path: ['applications', 0, 'eventTypes', 0, 'schemaMode'], message: expect.stringMatching(/has no effect without a schema/) },
      ]);
    });

    it('rejects a schema on a type with the native transform (nothing would validate it)', () => {
      const { issues, contracts } = resolveYaml(configWith('transform: native\nschema: { type: object, properties: {} }'));
      expect(issues).toEqual([{ path: ['applications', 0, 'eventTypes', 0, 'schema'], message: expect.stringMatching(/transform: native/) }]);
      expect(contracts.size).toBe(0);
    });
  });

  describe('zod pieces (the JSON Schema of the config accepts them)', () => {
    it.each([['schemas/a.json'], ['schemas/a.yaml'], ['a.YML'], [{ type: 'object', properties: {} }]])('accepts schema %j', (value) => {
      expect(eventSchemaSchema.safeParse(value).success).toBe(true);
    });
    it.each([['schemas/a.txt'], [42], [['a']]])('rejects schema %j', (value) => {
      expect(eventSchemaSchema.safeParse(value).success).toBe(false);
    });
    it('accepts the two modes only', () => {
      expect(schemaModeSchema.safeParse('observe').success).toBe(true);
      expect(schemaModeSchema.safeParse('strict').success).toBe(false);
    });
  });

  it('contractsFromConfigText throws a ConfigError listing every problem', () => {
    const text = configWith('schema: { type: object, properties: { a: { type: decimal }, B: { type: string } } }');
    expect(() => contractsFromConfigText(text, FIXTURE_CONFIG)).toThrow(ConfigError);
    try {
      contractsFromConfigText(text, FIXTURE_CONFIG);
    } catch (err) {
      expect((err as ConfigError).issues).toHaveLength(2);
    }
  });

  describe('the JSON Schema subset', () => {
    it('accepts every schema the generator builds, and each is valid against the official 2020-12 meta-schema', () => {
      const meta = metaSchemaValidator();
      fc.assert(
        fc.property(eventSchema, (schema) => {
          expect(checkEventSchema(schema)).toEqual([]);
          expect(meta(schema)).toBe(true);
          expect(meta(normalizeEventSchema(schema, 'a', 'b'))).toBe(true);
        }),
        { numRuns: 300 },
      );
    });

    it('never accepts a schema the meta-schema rejects (random damage to valid schemas)', () => {
      const meta = metaSchemaValidator();
      const damage = fc.constantFrom<unknown>(-1, 1.5, 'x', null, true, [], {}, ['x', 'x'], [1], { type: 'nope' });
      const keyword = fc.constantFrom('type', 'minLength', 'maxLength', 'pattern', 'enum', 'required', 'properties', 'items', 'minimum', 'uniqueItems', 'additionalProperties', 'format', 'const', 'minItems');
      fc.assert(
        fc.property(eventSchema, keyword, damage, fc.nat(), (schema, key, value, pick) => {
          // Prepare: damage one node of the schema.
          const nodes: Record<string, unknown>[] = [];
          const walk = (n: Record<string, unknown>): void => {
            nodes.push(n);
            for (const child of Object.values((n.properties ?? {}) as Record<string, Record<string, unknown>>)) walk(child);
            if (n.items) walk(n.items as Record<string, unknown>);
          };
          const copy = JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
          walk(copy);
          nodes[pick % nodes.length]![key] = value;

          // Act / Assess
          if (checkEventSchema(copy).length === 0) expect(meta(copy)).toBe(true);
        }),
        { numRuns: 500 },
      );
    });
  });
});

describe('lake names', () => {
  const config = (apps: string, envs = 'dev: { region: eu-central-1 }'): unknown =>
    parseDocument(`project: acme\nenvironments:\n  ${envs.split('\n').join('\n  ')}\napplications:\n${apps}`).toJS();

  it('reports two event types that map to the same table', () => {
    const issues = lakeNameIssues(config('  - { name: web-shop, eventTypes: [a] }\n  - { name: web_shop, eventTypes: [a] }\n'));
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: ['applications', 1, 'eventTypes', 0], message: expect.stringMatching(/Glue table name "web_shop__a" of web_shop\/a collides with the table of web-shop\/a/) },
      ]),
    );
  });

  it('reports an event type whose table is another type\'s error table', () => {
    const issues = lakeNameIssues(config('  - { name: shop, eventTypes: [cart, cart__errors] }\n'));
    expect(issues).toEqual([{ path: ['applications', 0, 'eventTypes', 1], message: expect.stringMatching(/"shop__cart__errors" of shop\/cart__errors collides with the table of shop\/cart/) }]);
  });

  it('reports environments of one region whose databases collide, but not across regions', () => {
    const same = lakeNameIssues(config('  - { name: shop, eventTypes: [a] }\n', 'a-b: { region: eu-central-1 }\na_b: { region: eu-central-1 }'));
    expect(same).toEqual([{ path: ['environments', 'a_b'], message: expect.stringMatching(/Glue database "acme_a_b_tracking"/) }]);
    const apart = lakeNameIssues(config('  - { name: shop, eventTypes: [a] }\n', 'a-b: { region: eu-central-1 }\na_b: { region: us-east-1 }'));
    expect(apart).toEqual([]);
  });

  it('accepts the example names', () => {
    expect(lakeNameIssues(parseDocument(readFileSync(FIXTURE_CONFIG, 'utf8')).toJS())).toEqual([]);
  });
});
