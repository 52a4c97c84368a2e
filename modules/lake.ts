/**
 * The queryable lake: a Glue database and an Athena workgroup per environment (`LakeCatalog`,
 * core stack), and one Glue table per event type over its data prefix plus one over its error
 * prefix (`EventTables`, with the event types: the shard stack in the sharded layout).
 *
 * Tables use partition projection (no crawler, no MSCK REPAIR), with the partition layout read
 * from the delivery stream's own Firehose prefix. The per-table values are plain data built by
 * pure functions (`eventTableSpec`, `errorTableSpec`); each table is its own resource block, named
 * after its event type like the delivery streams (linear Terraform evaluation, per-type moves).
 * Sources for every AWS behaviour relied on: docs/contracts.md ("Tables").
 */
import { AthenaWorkgroup } from '@cdktf/provider-aws/lib/athena-workgroup';
import { GlueCatalogDatabase } from '@cdktf/provider-aws/lib/glue-catalog-database';
import { GlueCatalogTable } from '@cdktf/provider-aws/lib/glue-catalog-table';
import type { S3BucketLifecycleConfigurationRule } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { TerraformOutput, type ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import type { EventContract, SchemaNode } from '../config/contracts';
import * as naming from '../config/naming';
import { escapeTemplate } from '../config/terraform-text';

// ---------------------------------------------------------------------------------------------
// Constants

/** Hive's JSON SerDe (Athena recommends it over the OpenX SerDe, whose results can be non-deterministic). */
export const HIVE_JSON_SERDE = 'org.apache.hive.hcatalog.data.JsonSerDe';
/** LazySimpleSerDe: with a field delimiter that never occurs in a JSON line, each line is one string. */
export const LAZY_SIMPLE_SERDE = 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe';
export const TEXT_INPUT_FORMAT = 'org.apache.hadoop.mapred.TextInputFormat';
export const TEXT_OUTPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat';
/**
 * Field delimiter of the raw tables: Ctrl-A (U+0001), Hive's default. RFC 8259 forbids raw control
 * characters in JSON (inside strings they must be escaped), and the transform only passes strict
 * JSON, so a JSON line never contains one: the whole line is the single column.
 */
export const RAW_FIELD_DELIMITER = '\u0001';
/** First year of the `year` projection: no delivery stream of this project wrote before it. */
export const DEFAULT_FIRST_YEAR = 2025;
/** Values of Firehose's `!{firehose:error-output-type}` for an S3 destination with a Lambda processor. */
export const ERROR_OUTPUT_TYPES = ['processing-failed'] as const;
/** Days Athena query results are kept under `athena-results/` (they may hold event data). */
export const ATHENA_RESULTS_EXPIRE_DAYS = 7;
/** The table parameter Athena reads the partition locations from (partition projection). */
export const LOCATION_TEMPLATE = 'storage.location.template';
/** Glue's limit on a column comment. */
const MAX_COMMENT = 255;

/** The fields Firehose writes for each record under the processing-failed prefix (AWS's documented format). */
export const ERROR_RECORD_COLUMNS: readonly TableColumn[] = [
  { name: 'attemptsmade', type: 'string', comment: 'attemptsMade: invocation attempts' },
  { name: 'arrivaltimestamp', type: 'string', comment: 'arrivalTimestamp: epoch milliseconds when Firehose received the record' },
  { name: 'errorcode', type: 'string', comment: 'errorCode: for example Lambda.ProcessingFailed' },
  { name: 'errormessage', type: 'string', comment: 'errorMessage' },
  { name: 'attemptendingtimestamp', type: 'string', comment: 'attemptEndingTimestamp: epoch milliseconds of the last attempt' },
  { name: 'rawdata', type: 'string', comment: 'rawData: the original record, base64; from_utf8(from_base64(rawdata))' },
  { name: 'lambdaarn', type: 'string', comment: 'lambdaArn: the transform function' },
];

// ---------------------------------------------------------------------------------------------
// Plain data

export interface TableColumn {
  readonly name: string;
  /** Hive/Athena type: string, bigint, double, boolean, struct<...>, array<...>. */
  readonly type: string;
  readonly comment?: string;
}

/** Everything of one Glue table that differs between event types. */
export interface TableSpec {
  readonly name: string;
  readonly description: string;
  /** `s3://<bucket>/<prefix up to the first partition>`. */
  readonly location: string;
  /** Table parameters: projection settings and `storage.location.template`. */
  readonly parameters: Readonly<Record<string, string>>;
  readonly serdeLibrary: string;
  readonly serdeParameters: Readonly<Record<string, string>>;
  readonly columns: readonly TableColumn[];
  /** Partition keys, in path order (all `string`). */
  readonly partitionKeys: readonly TableColumn[];
}

/** An event type as the tables need it (structurally a subset of EventTypeSpec). */
export interface LakeEventType {
  /** `<application>/<eventType>`. */
  readonly key: string;
  readonly application: string;
  readonly name: string;
  /** Firehose prefix, with its `!{timestamp:...}` expressions. */
  readonly prefix: string;
  /** Firehose error output prefix, with `!{firehose:error-output-type}`. */
  readonly errorOutputPrefix: string;
  /**
   * Terraform name of the event type's resources (`config/naming` eventTypeResourceName).
   * @default eventTypeResourceName(application, name)
   */
  readonly resourceName?: string;
  readonly contract?: EventContract;
}

/** JSON Schema type -> Athena (Hive DDL) type; see docs/contracts.md for the table. */
export function athenaType(node: SchemaNode): string {
  const type = Array.isArray(node.type) ? (node.type as readonly string[]).find((t) => t !== 'null')! : (node.type as string);
  switch (type) {
    case 'string':
      return 'string';
    case 'integer':
      return 'bigint';
    case 'number':
      return 'double';
    case 'boolean':
      return 'boolean';
    case 'object':
      return `struct<${Object.entries(node.properties ?? {})
        .map(([name, child]) => `${name}:${athenaType(child)}`)
        .join(',')}>`;
    case 'array':
      return `array<${node.items ? athenaType(node.items) : 'string'}>`;
    default:
      throw new Error(`no Athena type for JSON Schema type ${JSON.stringify(node.type)}`);
  }
}

function comment(text: string | undefined): { comment?: string } {
  if (text === undefined || text.trim() === '') return {};
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return { comment: oneLine.length > MAX_COMMENT ? `${oneLine.slice(0, MAX_COMMENT - 1)}…` : oneLine };
}

/** The columns of an event type's table: one per top-level property, or `raw` without a contract. */
export function eventColumns(contract: EventContract | undefined): TableColumn[] {
  if (contract === undefined) {
    return [{ name: 'raw', type: 'string', comment: 'The whole JSON line (no contract): json_extract_scalar(raw, \'$.field\')' }];
  }
  return Object.entries(contract.schema.properties).map(([name, node]) => ({ name, type: athenaType(node), ...comment(node.description ?? node.title) }));
}

const EXPRESSIONS: Readonly<Record<string, string>> = {
  '!{timestamp:yyyy}': 'year',
  '!{timestamp:MM}': 'month',
  '!{timestamp:dd}': 'day',
  '!{timestamp:HH}': 'hour',
  '!{firehose:error-output-type}': 'error_type',
};

/**
 * Translates a Firehose S3 prefix into Athena's `storage.location.template` (each Firehose
 * expression becomes `${<partition key>}`), the table location (the prefix up to its first
 * expression's folder) and the partition keys in path order. Throws for an expression it does
 * not know, so a changed prefix cannot silently produce a table that reads nothing.
 */
export function projectionLayout(bucketName: string, prefix: string): { location: string; template: string; keys: string[] } {
  const keys: string[] = [];
  const template = prefix.replace(/!\{[^}]*\}/g, (expr) => {
    const key = EXPRESSIONS[expr];
    if (key === undefined) throw new Error(`Firehose prefix expression ${expr} in "${prefix}" has no partition projection`);
    keys.push(key);
    return `\${${key}}`;
  });
  const first = prefix.indexOf('!{');
  const staticPart = first < 0 ? prefix : prefix.slice(0, prefix.lastIndexOf('/', first) + 1);
  return { location: `s3://${bucketName}/${staticPart}`, template: `s3://${bucketName}/${template}`, keys };
}

/** Projection settings of each partition key (year: date up to NOW; the rest: zero-padded integers). */
export function projectionParameters(keys: readonly string[], firstYear: number): Record<string, string> {
  const p: Record<string, string> = { 'projection.enabled': 'true' };
  for (const key of keys) {
    switch (key) {
      case 'year':
        Object.assign(p, {
          'projection.year.type': 'date',
          'projection.year.format': 'yyyy',
          'projection.year.range': `${firstYear},NOW`,
          'projection.year.interval': '1',
          'projection.year.interval.unit': 'YEARS',
        });
        break;
      case 'month':
        Object.assign(p, { 'projection.month.type': 'integer', 'projection.month.range': '1,12', 'projection.month.digits': '2' });
        break;
      case 'day':
        Object.assign(p, { 'projection.day.type': 'integer', 'projection.day.range': '1,31', 'projection.day.digits': '2' });
        break;
      case 'hour':
        Object.assign(p, { 'projection.hour.type': 'integer', 'projection.hour.range': '0,23', 'projection.hour.digits': '2' });
        break;
      case 'error_type':
        Object.assign(p, { 'projection.error_type.type': 'enum', 'projection.error_type.values': ERROR_OUTPUT_TYPES.join(',') });
        break;
      default:
        throw new Error(`no projection for partition key ${key}`);
    }
  }
  return p;
}

const PARTITION_COMMENTS: Readonly<Record<string, string>> = {
  year: 'Arrival year at Firehose (UTC), yyyy',
  month: 'Arrival month (UTC), 01-12',
  day: 'Arrival day (UTC), 01-31',
  hour: 'Arrival hour (UTC), 00-23',
  error_type: 'Firehose error output type, for example processing-failed',
};

/** The data table of one event type. */
export function eventTableSpec(t: LakeEventType, bucketName: string, firstYear = DEFAULT_FIRST_YEAR): TableSpec {
  const layout = projectionLayout(bucketName, t.prefix);
  const c = t.contract;
  return {
    name: naming.glueTableName(t.application, t.name),
    description: c
      ? `Events of ${t.key}: one column per top-level property of its contract (${c.mode}, sha256 ${c.hash.slice(0, 12)})`
      : `Events of ${t.key}: no contract, so one column "raw" holds each whole JSON line`,
    location: layout.location,
    parameters: {
      EXTERNAL: 'TRUE',
      classification: c ? 'json' : 'text',
      'tracking.event_type': t.key,
      'tracking.contract': c ? `sha256:${c.hash}` : 'none',
      ...projectionParameters(layout.keys, firstYear),
      [LOCATION_TEMPLATE]: layout.template,
    },
    serdeLibrary: c ? HIVE_JSON_SERDE : LAZY_SIMPLE_SERDE,
    serdeParameters: c ? {} : { 'field.delim': RAW_FIELD_DELIMITER, 'serialization.format': RAW_FIELD_DELIMITER },
    columns: eventColumns(c),
    partitionKeys: layout.keys.map((name) => ({ name, type: 'string', comment: PARTITION_COMMENTS[name]! })),
  };
}

/** The error table of one event type: Firehose's error records, one JSON document per line. */
export function errorTableSpec(t: LakeEventType, bucketName: string, firstYear = DEFAULT_FIRST_YEAR): TableSpec {
  const layout = projectionLayout(bucketName, t.errorOutputPrefix);
  return {
    name: naming.glueErrorTableName(t.application, t.name),
    description: `Records of ${t.key} that Firehose wrote to the error prefix (rawdata is the original record, base64)`,
    location: layout.location,
    parameters: {
      EXTERNAL: 'TRUE',
      classification: 'json',
      'tracking.event_type': t.key,
      ...projectionParameters(layout.keys, firstYear),
      [LOCATION_TEMPLATE]: layout.template,
    },
    serdeLibrary: HIVE_JSON_SERDE,
    serdeParameters: {},
    columns: ERROR_RECORD_COLUMNS,
    partitionKeys: layout.keys.map((name) => ({ name, type: 'string', comment: PARTITION_COMMENTS[name]! })),
  };
}

/**
 * `storage.location.template` as written to the `.tf.json`: the bucket part is kept as it is (in the
 * single layout it is a reference, `${aws_s3_bucket.<id>.bucket}`, that Terraform must resolve)
 * and only the path after it is escaped, so that Athena's `${year}` placeholders reach Glue as
 * `${year}` (written `$${year}`). Escaping the whole string would leave the bucket reference as
 * literal text in the table and every query would read `s3://${aws_s3_bucket...}/`.
 */
export function terraformLocationTemplate(bucketName: string, template: string): string {
  const bucketPart = `s3://${bucketName}/`;
  if (!template.startsWith(bucketPart)) throw new Error(`location template ${template} is not under ${bucketPart}`);
  return bucketPart + escapeTemplate(template.slice(bucketPart.length));
}

/** Expiry of Athena query results, as a rule for the events bucket's lifecycle configuration. */
export function athenaResultsLifecycleRule(expireAfterDays: number = ATHENA_RESULTS_EXPIRE_DAYS): S3BucketLifecycleConfigurationRule {
  return {
    id: 'expire-athena-results',
    status: 'Enabled',
    filter: [{ prefix: naming.ATHENA_RESULTS_ROOT }],
    expiration: [{ days: expireAfterDays }],
    // The bucket is versioned: expiring makes the results noncurrent; remove them a day later.
    noncurrentVersionExpiration: [{ noncurrentDays: 1 }],
  };
}

// ---------------------------------------------------------------------------------------------
// Constructs

export interface LakeCatalogProps {
  /** From `config/naming` glueDatabaseName. */
  readonly databaseName: string;
  /** From `config/naming` athenaWorkgroupName. */
  readonly workgroupName: string;
  /** The environment's events bucket: results go to `s3://<bucket>/athena-results/`. */
  readonly bucketName: string;
  /**
   * The bucket's customer managed key: results are then encrypted with SSE-KMS and this key.
   * @default SSE-S3
   */
  readonly kmsKeyArn?: string;
  /**
   * The account that must own the bucket (Athena checks it before writing results).
   * @default not checked
   */
  readonly expectedBucketOwner?: string;
  /**
   * Cancel queries that would scan more than this many bytes (Athena requires at least 10,000,000).
   * @default no limit
   */
  readonly bytesScannedCutoffPerQuery?: number;
  /**
   * Resources to create first (the bucket's lifecycle with the results expiry).
   * @default []
   */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * The environment's Glue database and Athena workgroup. The workgroup writes results to the
 * events bucket under `athena-results/` (expired by the bucket's lifecycle rule from
 * `athenaResultsLifecycleRule`), encrypted, and enforces its configuration, so a client cannot
 * send results elsewhere or unencrypted.
 */
export class LakeCatalog extends Construct {
  public readonly database: GlueCatalogDatabase;
  public readonly workgroup: AthenaWorkgroup;
  public readonly databaseName: string;
  public readonly workgroupName: string;
  /** `s3://<bucket>/athena-results/`. */
  public readonly resultsLocation: string;

  public constructor(scope: Construct, id: string, props: LakeCatalogProps) {
    super(scope, id);
    this.databaseName = props.databaseName;
    this.workgroupName = props.workgroupName;
    this.resultsLocation = `s3://${props.bucketName}/${naming.ATHENA_RESULTS_ROOT}`;

    this.database = new GlueCatalogDatabase(this, 'database', {
      name: props.databaseName,
      description: `Tracking events: one table per event type over s3://${props.bucketName}/${naming.DATA_ROOT}, one per error prefix`,
    });

    this.workgroup = new AthenaWorkgroup(this, 'workgroup', {
      name: props.workgroupName,
      description: `Queries over ${props.databaseName}; results in ${this.resultsLocation} (expire after ${ATHENA_RESULTS_EXPIRE_DAYS} days)`,
      state: 'ENABLED',
      forceDestroy: false,
      configuration: {
        enforceWorkgroupConfiguration: true,
        publishCloudwatchMetricsEnabled: true,
        requesterPaysEnabled: false,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        ...(props.bytesScannedCutoffPerQuery !== undefined ? { bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery } : {}),
        resultConfiguration: {
          outputLocation: this.resultsLocation,
          encryptionConfiguration:
            props.kmsKeyArn !== undefined ? { encryptionOption: 'SSE_KMS', kmsKeyArn: props.kmsKeyArn } : { encryptionOption: 'SSE_S3' },
          ...(props.expectedBucketOwner !== undefined ? { expectedBucketOwner: props.expectedBucketOwner } : {}),
        },
      },
      ...(props.dependsOn && props.dependsOn.length > 0 ? { dependsOn: [...props.dependsOn] } : {}),
    });
  }
}

export interface EventTablesProps {
  /** The environment's Glue database (by name: in the sharded layout it lives in the core stack). */
  readonly databaseName: string;
  /** The environment's events bucket. */
  readonly bucketName: string;
  /** The event types of this stack. */
  readonly eventTypes: readonly LakeEventType[];
  /**
   * First year of the `year` partition projection.
   * @default DEFAULT_FIRST_YEAR (2025)
   */
  readonly firstYear?: number;
  /**
   * Resources to create first (the database, when it is in the same stack).
   * @default []
   */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/** Terraform name of an event type's error table: `<resource name>__errors`. */
export function errorTableResourceName(resourceName: string): string {
  return `${resourceName}__errors`;
}

/**
 * One Glue table per event type over its data prefix, and one over its error prefix. Each is its
 * own resource block named after the event type, like its delivery stream:
 * `aws_glue_catalog_table.web-shop__page_view` and `aws_glue_catalog_table.web-shop__page_view__errors`.
 * Adding an event type adds two blocks; reordering the config changes nothing.
 */
export class EventTables extends Construct {
  /** The data table of each event type, by event type key. */
  public readonly tables: ReadonlyMap<string, GlueCatalogTable>;
  /** The error table of each event type, by event type key. */
  public readonly errorTables: ReadonlyMap<string, GlueCatalogTable>;
  /** The data tables' specs, keyed by event type key. */
  public readonly specs: Readonly<Record<string, TableSpec>>;
  public readonly errorSpecs: Readonly<Record<string, TableSpec>>;

  public constructor(scope: Construct, id: string, props: EventTablesProps) {
    super(scope, id);
    const firstYear = props.firstYear ?? DEFAULT_FIRST_YEAR;
    const sorted = [...props.eventTypes].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const specs: Record<string, TableSpec> = {};
    const errorSpecs: Record<string, TableSpec> = {};
    const tables = new Map<string, GlueCatalogTable>();
    const errorTables = new Map<string, GlueCatalogTable>();
    for (const t of sorted) {
      const resourceName = t.resourceName ?? naming.eventTypeResourceName(t.application, t.name);
      const spec = eventTableSpec(t, props.bucketName, firstYear);
      const errorSpec = errorTableSpec(t, props.bucketName, firstYear);
      specs[t.key] = spec;
      errorSpecs[t.key] = errorSpec;
      tables.set(t.key, this.table(resourceName, props, spec));
      errorTables.set(t.key, this.table(errorTableResourceName(resourceName), props, errorSpec));
    }
    this.specs = specs;
    this.errorSpecs = errorSpecs;
    this.tables = tables;
    this.errorTables = errorTables;
  }

  private table(resourceName: string, props: EventTablesProps, spec: TableSpec): GlueCatalogTable {
    const text = escapeTemplate;
    const table = new GlueCatalogTable(this, resourceName, {
      name: spec.name,
      databaseName: props.databaseName,
      description: text(spec.description),
      tableType: 'EXTERNAL_TABLE',
      parameters: Object.fromEntries(
        Object.entries(spec.parameters).map(([k, v]) => [k, k === LOCATION_TEMPLATE ? terraformLocationTemplate(props.bucketName, v) : text(v)]),
      ),
      partitionKeys: spec.partitionKeys.map((k) => ({ name: k.name, type: k.type, ...(k.comment !== undefined ? { comment: text(k.comment) } : {}) })),
      storageDescriptor: {
        location: spec.location,
        inputFormat: TEXT_INPUT_FORMAT,
        outputFormat: TEXT_OUTPUT_FORMAT,
        serDeInfo: {
          serializationLibrary: spec.serdeLibrary,
          ...(Object.keys(spec.serdeParameters).length > 0 ? { parameters: { ...spec.serdeParameters } } : {}),
        },
        columns: spec.columns.map((c) => ({ name: c.name, type: c.type, ...(c.comment !== undefined ? { comment: text(c.comment) } : {}) })),
      },
      ...(props.dependsOn && props.dependsOn.length > 0 ? { dependsOn: [...props.dependsOn] } : {}),
    });
    table.overrideLogicalId(resourceName);
    return table;
  }
}

/** Outputs of the core stack: the database and workgroup names. */
export function catalogOutputs(scope: Construct, catalog: LakeCatalog): TerraformOutput[] {
  return [
    new TerraformOutput(scope, 'glue-database-name', { value: catalog.database.name, description: 'Glue database of the event tables' }),
    new TerraformOutput(scope, 'athena-workgroup-name', { value: catalog.workgroup.name, description: 'Athena workgroup to query the event tables' }),
  ];
}

/** Outputs of a stack with event types: their table names, keyed by `<application>/<eventType>`. */
export function tableOutputs(scope: Construct, tables: EventTables): TerraformOutput[] {
  return [
    new TerraformOutput(scope, 'event-table-names', {
      value: Object.fromEntries(Object.entries(tables.specs).map(([k, s]) => [k, s.name])),
      description: 'Glue table of each event type, keyed by "<application>/<eventType>"',
    }),
    new TerraformOutput(scope, 'event-error-table-names', {
      value: Object.fromEntries(Object.entries(tables.errorSpecs).map(([k, s]) => [k, s.name])),
      description: 'Glue table over the error prefix of each event type, keyed by "<application>/<eventType>"',
    }),
  ];
}
