/**
 * Infrastructure of the lake, synthesized with cdktf's Testing.synthScope: the database, the
 * workgroup, and for every event type its table and error table (location, projection settings
 * derived from the delivery stream's Firehose prefix, columns, the raw table without a contract).
 */
import fc from 'fast-check';
import { Testing } from 'cdktf';
import * as naming from '../../config/naming';
import {
  athenaResultsLifecycleRule,
  athenaType,
  catalogOutputs,
  ERROR_RECORD_COLUMNS,
  EventTables,
  HIVE_JSON_SERDE,
  RAW_FIELD_DELIMITER,
  LakeCatalog,
  LAZY_SIMPLE_SERDE,
  tableOutputs,
  type LakeEventType,
} from '../../modules/lake';
import { eventSchema } from './arbitraries';
import { glueTablesOf } from './duckdb-glue';
import { contractOf, loadWithContracts } from './helpers';

const BUCKET = 'acme-dev-tracking-events';
const DB = 'acme_dev_tracking';

type Json = Record<string, unknown>;

/** Synthesizes the lake for these event types and returns the Terraform JSON. */
function synth(eventTypes: readonly LakeEventType[], kmsKeyArn?: string): Json {
  return JSON.parse(
    Testing.synthScope((scope) => {
      const catalog = new LakeCatalog(scope, 'lake', { databaseName: DB, workgroupName: 'acme-dev-tracking', bucketName: BUCKET, ...(kmsKeyArn ? { kmsKeyArn } : {}) });
      const tables = new EventTables(scope, 'tables', { databaseName: DB, bucketName: BUCKET, eventTypes });
      catalogOutputs(scope, catalog);
      tableOutputs(scope, tables);
    }),
  ) as Json;
}

const resources = (json: Json, type: string): Record<string, Json> => ((json.resource as Json)[type] ?? {}) as Record<string, Json>;

/**
 * The Glue tables, as flat records keyed by event type key (`tracking.event_type`): data tables, or
 * error tables with `errors`. Terraform's `$${` escape is undone.
 */
function tables(json: Json, kind: 'data' | 'errors'): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const t of glueTablesOf(json)) {
    const isError = t.name.endsWith('__errors');
    if (isError !== (kind === 'errors')) continue;
    out[t.parameters['tracking.event_type']!] = {
      name: t.name,
      location: t.location,
      parameters: t.parameters,
      serde_library: t.serdeLibrary,
      serde_parameters: t.serdeParameters,
      columns: t.columns,
      partition_keys: t.partitionKeys,
    };
  }
  return out;
}

/** The Athena template of a Firehose prefix, as the tables must have it. */
function expectedTemplate(prefix: string): string {
  return `s3://${BUCKET}/${prefix
    .replace('!{timestamp:yyyy}', '${year}')
    .replace('!{timestamp:MM}', '${month}')
    .replace('!{timestamp:dd}', '${day}')
    .replace('!{timestamp:HH}', '${hour}')
    .replace('!{firehose:error-output-type}', '${error_type}')}`;
}

const TIME_PROJECTION = {
  'projection.enabled': 'true',
  'projection.year.type': 'date',
  'projection.year.format': 'yyyy',
  'projection.year.range': '2025,NOW',
  'projection.year.interval': '1',
  'projection.year.interval.unit': 'YEARS',
  'projection.month.type': 'integer',
  'projection.month.range': '1,12',
  'projection.month.digits': '2',
  'projection.day.type': 'integer',
  'projection.day.range': '1,31',
  'projection.day.digits': '2',
  'projection.hour.type': 'integer',
  'projection.hour.range': '0,23',
  'projection.hour.digits': '2',
};

describe('LakeCatalog', () => {
  it('creates the database and a workgroup that enforces encrypted results under athena-results/', () => {
    // Act
    const json = synth([]);

    // Assess
    expect(Object.values(resources(json, 'aws_glue_catalog_database'))).toEqual([expect.objectContaining({ name: DB })]);
    const [workgroup] = Object.values(resources(json, 'aws_athena_workgroup'));
    expect(workgroup).toMatchObject({
      name: 'acme-dev-tracking',
      state: 'ENABLED',
      force_destroy: false,
      configuration: {
        enforce_workgroup_configuration: true,
        publish_cloudwatch_metrics_enabled: true,
        engine_version: { selected_engine_version: 'Athena engine version 3' },
        result_configuration: { output_location: `s3://${BUCKET}/${naming.ATHENA_RESULTS_ROOT}`, encryption_configuration: { encryption_option: 'SSE_S3' } },
      },
    });
  });

  it('encrypts results with the bucket\'s customer managed key when it has one', () => {
    const key = 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const [workgroup] = Object.values(resources(synth([], key), 'aws_athena_workgroup'));
    expect((workgroup!.configuration as Json).result_configuration).toMatchObject({ encryption_configuration: { encryption_option: 'SSE_KMS', kms_key_arn: key } });
  });

  it('gives the bucket an expiry rule for athena-results/ as plain data', () => {
    expect(athenaResultsLifecycleRule()).toEqual({
      id: 'expire-athena-results',
      status: 'Enabled',
      filter: [{ prefix: 'athena-results/' }],
      expiration: [{ days: 7 }],
      noncurrentVersionExpiration: [{ noncurrentDays: 1 }],
    });
    expect(athenaResultsLifecycleRule(30).expiration).toEqual([{ days: 30 }]);
  });
});

describe('EventTables on the contracts fixture', () => {
  const { specs } = loadWithContracts();
  const types = specs('dev');
  const json = synth(types);
  const data = tables(json, 'data');
  const errors = tables(json, 'errors');

  it('has one data table and one error table per event type, keyed like the delivery streams', () => {
    expect(Object.keys(data).sort()).toEqual(types.map((t) => t.key).sort());
    expect(Object.keys(errors).sort()).toEqual(types.map((t) => t.key).sort());
    expect(data['web-shop/checkout_completed']!.name).toBe('web_shop__checkout_completed');
    expect(errors['mobile-app/app_open']!.name).toBe('mobile_app__app_open__errors');
  });

  it('maps the contract to typed columns: envelope first, structs for objects, arrays for lists', () => {
    expect(data['web-shop/checkout_completed']!.columns).toEqual([
      { name: 'app', type: 'string', comment: expect.any(String) },
      { name: 'event_type', type: 'string', comment: expect.any(String) },
      { name: 'event_id', type: 'string', comment: expect.any(String) },
      { name: 'sent_at', type: 'string', comment: expect.any(String) },
      { name: 'received_at', type: 'string', comment: expect.any(String) },
      { name: 'order_id', type: 'string', comment: 'Order number' },
      { name: 'amount', type: 'double', comment: "Total, in the currency's major unit" },
      { name: 'currency', type: 'string' },
      { name: 'items', type: 'array<struct<sku:string,quantity:bigint,price:double>>' },
      { name: 'coupon', type: 'string' },
      { name: 'customer', type: 'struct<id:string,new:boolean>' },
      { name: 'paid_at', type: 'string' },
    ]);
    const table = data['web-shop/checkout_completed']!;
    expect(table.serde_library).toBe(HIVE_JSON_SERDE);
    expect(table.parameters).toMatchObject({ classification: 'json', 'tracking.contract': expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
  });

  it('gives a type without a contract one string column "raw" read whole by LazySimpleSerDe', () => {
    const table = data['web-shop/page_view']!;
    expect(table.columns).toEqual([{ name: 'raw', type: 'string', comment: expect.stringMatching(/json_extract_scalar/) }]);
    expect(table.serde_library).toBe(LAZY_SIMPLE_SERDE);
    expect(table.serde_parameters).toEqual({ 'field.delim': RAW_FIELD_DELIMITER, 'serialization.format': RAW_FIELD_DELIMITER });
  });

  it('gives error tables Firehose\'s error record fields', () => {
    for (const table of Object.values(errors)) {
      expect(table.columns).toEqual(ERROR_RECORD_COLUMNS);
      expect(table.serde_library).toBe(HIVE_JSON_SERDE);
    }
  });

  it('gives every table its partition keys as strings in path order, in its own resource block named after its type', () => {
    const body = resources(json, 'aws_glue_catalog_table');
    expect(Object.keys(body).sort()).toEqual(
      types.flatMap((t) => [t.resourceName, `${t.resourceName}__errors`]).sort(),
    );
    for (const t of Object.values(data)) expect((t.partition_keys as Json[]).map((k) => [k.name, k.type])).toEqual([['year', 'string'], ['month', 'string'], ['day', 'string'], ['hour', 'string']]);
    for (const t of Object.values(errors)) expect((t.partition_keys as Json[]).map((k) => k.name)).toEqual(['error_type', 'year', 'month', 'day', 'hour']);
    expect(body['web-shop__checkout_completed']).toMatchObject({ table_type: 'EXTERNAL_TABLE', database_name: DB, name: 'web_shop__checkout_completed' });
  });

  it('outputs the database, workgroup and table names', () => {
    const outputs = json.output as Record<string, { value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual(['athena-workgroup-name', 'event-error-table-names', 'event-table-names', 'glue-database-name']);
    expect(outputs['event-table-names']!.value).toMatchObject({ 'web-shop/page_view': 'web_shop__page_view' });
  });
});

describe('EventTables properties', () => {
  const names = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,10}$/);
  const typesArb = fc
    .uniqueArray(fc.tuple(names, names), { minLength: 1, maxLength: 8, selector: ([a, t]) => naming.glueTableName(a, t) })
    .filter((pairs) => {
      // Different keys may map to one table name: the loader rejects those configs.
      const all = pairs.flatMap(([a, t]) => [naming.glueTableName(a, t), naming.glueErrorTableName(a, t)]);
      return new Set(all).size === all.length && new Set(pairs.map(([a, t]) => `${a}/${t}`)).size === pairs.length;
    })
    .chain((pairs) => fc.tuple(fc.constant(pairs), fc.array(fc.option(eventSchema, { nil: undefined }), { minLength: pairs.length, maxLength: pairs.length })));

  it('every event type gets a projected table over its own prefix, with its contract\'s columns or raw', () => {
    fc.assert(
      fc.property(typesArb, ([pairs, schemas]) => {
        // Prepare
        const types: LakeEventType[] = pairs.map(([application, name], k) => {
          const schema = schemas[k];
          return {
            key: naming.eventTypeKey(application, name),
            application,
            name,
            prefix: naming.dataPrefix(application, name) + naming.HIVE_TIME_PARTITIONS,
            errorOutputPrefix: naming.errorPrefix(application, name) + naming.HIVE_TIME_PARTITIONS,
            ...(schema ? { contract: contractOf(schema, application, name) } : {}),
          };
        });

        // Act
        const json = synth(types);
        const data = tables(json, 'data');
        const errors = tables(json, 'errors');

        // Assess
        for (const t of types) {
          const table = data[t.key]!;
          expect(table.location).toBe(`s3://${BUCKET}/${naming.dataPrefix(t.application, t.name)}`);
          expect(table.parameters).toEqual(expect.objectContaining({ ...TIME_PROJECTION, 'storage.location.template': expectedTemplate(t.prefix) }));
          const columns = table.columns as { name: string; type: string }[];
          if (t.contract) {
            expect(columns.map((c) => c.name)).toEqual(Object.keys(t.contract.schema.properties));
            expect(columns.map((c) => c.type)).toEqual(Object.values(t.contract.schema.properties).map(athenaType));
            expect(new Set(columns.map((c) => c.name)).size).toBe(columns.length);
          } else {
            expect(columns.map((c) => c.name)).toEqual(['raw']);
          }
          const error = errors[t.key]!;
          expect(error.location).toBe(`s3://${BUCKET}/errors/application=${t.application}/event_type=${t.name}/`);
          expect(error.parameters).toEqual(
            expect.objectContaining({
              ...TIME_PROJECTION,
              'projection.error_type.type': 'enum',
              'projection.error_type.values': 'processing-failed',
              'storage.location.template': expectedTemplate(t.errorOutputPrefix),
            }),
          );
        }
      }),
      { numRuns: 40 },
    );
  });

  it('escapes Terraform template syntax in column comments', () => {
    const contract = contractOf({ type: 'object', properties: { a: { type: 'string', description: 'costs ${price} %{x}' } } });
    const json = synth([{ key: 's/t', application: 's', name: 't', prefix: naming.dataPrefix('s', 't') + naming.HIVE_TIME_PARTITIONS, errorOutputPrefix: naming.errorPrefix('s', 't') + naming.HIVE_TIME_PARTITIONS, contract }]);
    const table = resources(json, 'aws_glue_catalog_table')['s__t']!;
    const columns = (table.storage_descriptor as { columns: Json[] }).columns;
    expect(columns.find((c) => c.name === 'a')).toEqual({ name: 'a', type: 'string', comment: 'costs $${price} %%{x}' });
  });

  it('refuses a Firehose prefix expression it cannot project', () => {
    expect(() => synth([{ key: 's/t', application: 's', name: 't', prefix: 'events/!{partitionKeyFromQuery:x}/', errorOutputPrefix: 'errors/' }])).toThrow(/has no partition projection/);
  });
});
