/**
 * Athena over the lake: every table must point at the environment's bucket as Terraform evaluated
 * it (no reference left as literal text), and every delivery stream that writes under a table must
 * use a compression Athena can read.
 */
import { allOf, bucketOfArn, isObj, resourcesOf, str, valueAt, type Finding, type Rule, type RuleSource, type StackView } from '../engine';
import type { StateResource } from '../state';

const COMPRESSION: RuleSource = {
  title: 'Amazon Athena User Guide: Hive table compression support by file format (text files: BZIP2, GZIP, LZ4, LZO, SNAPPY, ZSTD, none; no ZIP)',
  url: 'https://docs.aws.amazon.com/athena/latest/ug/compression-support-hive.html',
};
const FIREHOSE_S3: RuleSource = {
  title: 'Amazon Data Firehose API Reference: ExtendedS3DestinationConfiguration (CompressionFormat: UNCOMPRESSED, GZIP, ZIP, Snappy, HADOOP_SNAPPY)',
  url: 'https://docs.aws.amazon.com/firehose/latest/APIReference/API_ExtendedS3DestinationConfiguration.html',
};
const LOCATION: RuleSource = {
  title: 'Amazon Athena User Guide: Table location in Amazon S3 (s3://bucket/folder/, with a trailing slash, no empty folders, no wildcards)',
  url: 'https://docs.aws.amazon.com/athena/latest/ug/tables-location-format.html',
};
const PROJECTION: RuleSource = {
  title: 'Amazon Athena User Guide: Set up partition projection (storage.location.template: ${...} placeholders are partition columns)',
  url: 'https://docs.aws.amazon.com/athena/latest/ug/partition-projection-setting-up.html',
};
const TF_JSON: RuleSource = {
  title: 'Terraform: JSON configuration syntax (string templates are evaluated; "$${" is a literal "${")',
  url: 'https://developer.hashicorp.com/terraform/language/syntax/json',
};

/** Firehose compression formats whose output Athena reads in a text (JSON lines) table. */
export const ATHENA_READABLE_TEXT_COMPRESSION: ReadonlySet<string> = new Set(['UNCOMPRESSED', 'GZIP', 'Snappy', 'HADOOP_SNAPPY']);

const TEXT_INPUT_FORMAT = 'org.apache.hadoop.mapred.TextInputFormat';

interface Table {
  readonly stack: StackView;
  readonly r: StateResource;
  readonly location?: string;
  readonly bucket?: string;
  readonly path?: string;
  readonly text: boolean;
}

const S3_URI = /^s3:\/\/([^/]+)\/(.*)$/;

function tables(stacks: readonly StackView[]): Table[] {
  return allOf(stacks, 'aws_glue_catalog_table')
    .filter(({ r }) => r.values.table_type !== 'VIRTUAL_VIEW')
    .map(({ stack, r }) => {
      // Applied value: a reference to another resource's attribute is evaluated (realistic identities for computed ones).
      const raw = valueAt(r.values, ['storage_descriptor', 0, 'location']);
      const location = typeof raw === 'string' ? raw : undefined;
      const m = location !== undefined ? S3_URI.exec(location) : null;
      const input = str(r, ['storage_descriptor', 0, 'input_format']);
      return {
        stack,
        r,
        ...(location !== undefined ? { location } : {}),
        ...(m ? { bucket: m[1]!, path: m[2]! } : {}),
        text: input === undefined || input === TEXT_INPUT_FORMAT,
      };
    });
}

interface Stream {
  readonly stack: StackView;
  readonly r: StateResource;
  readonly bucket?: string;
  /** The prefix up to its first Firehose expression (`!{...}`): every object the stream writes starts with it. */
  readonly staticPrefix: string;
  readonly compression: string;
  readonly converts: boolean;
}

function streams(stacks: readonly StackView[]): Stream[] {
  return allOf(stacks, 'aws_kinesis_firehose_delivery_stream').flatMap(({ stack, r }): Stream[] => {
    const s3 = Array.isArray(r.values.extended_s3_configuration) ? r.values.extended_s3_configuration[0] : undefined;
    if (!isObj(s3)) return [];
    const prefix = typeof s3.prefix === 'string' ? s3.prefix : '';
    const bucket = bucketOfArn(s3.bucket_arn);
    const conversion = Array.isArray(s3.data_format_conversion_configuration) ? s3.data_format_conversion_configuration[0] : undefined;
    return [
      {
        stack,
        r,
        ...(bucket !== undefined ? { bucket } : {}),
        staticPrefix: prefix.split('!{')[0]!,
        compression: typeof s3.compression_format === 'string' ? s3.compression_format : 'UNCOMPRESSED',
        converts: isObj(conversion) && conversion.enabled !== false,
      },
    ];
  });
}

export const readableCompression: Rule = {
  id: 'athena-readable-compression',
  family: 'athena',
  title: 'Every delivery stream that writes under a table\'s location compresses in a format Athena reads for that table (ZIP is not one)',
  sources: [COMPRESSION, FIREHOSE_S3],
  check(ctx): Finding[] {
    const out: Finding[] = [];
    const all = streams(ctx.stacks);
    for (const t of tables(ctx.stacks)) {
      if (t.bucket === undefined || t.path === undefined || !t.text) continue;
      for (const s of all) {
        if (s.bucket !== t.bucket || s.converts) continue;
        const overlaps = s.staticPrefix.startsWith(t.path) || (t.path.startsWith(s.staticPrefix) && s.staticPrefix !== '');
        if (!overlaps || ATHENA_READABLE_TEXT_COMPRESSION.has(s.compression)) continue;
        out.push({
          stack: t.stack,
          address: t.r.address,
          message:
            `table ${String(t.r.values.name)} reads ${t.location}, where ${s.stack.id} ${s.r.address} writes ${s.compression}-compressed objects; ` +
            `Athena cannot read ${s.compression} text files (readable: ${[...ATHENA_READABLE_TEXT_COMPRESSION].join(', ')})`,
          value: { location: t.location, stream: s.r.address, compression_format: s.compression },
        });
      }
    }
    return out;
  },
};

/** Buckets a stack's tables may point at: its own buckets and its delivery streams' buckets (else the group's). */
function environmentBuckets(stack: StackView, group: readonly StackView[]): Set<string> {
  const own = new Set<string>();
  for (const b of resourcesOf(stack, 'aws_s3_bucket')) if (typeof b.values.bucket === 'string') own.add(b.values.bucket);
  for (const s of streams([stack])) if (s.bucket !== undefined) own.add(s.bucket);
  if (own.size > 0) return own;
  const all = new Set<string>();
  for (const s of group) for (const b of resourcesOf(s, 'aws_s3_bucket')) if (typeof b.values.bucket === 'string') all.add(b.values.bucket);
  return all;
}

/** Problems of an S3 folder URI that Athena reads (a table location, or a template with its placeholders filled). */
function folderProblems(uri: string, buckets: ReadonlySet<string>, what: string): string[] {
  const m = S3_URI.exec(uri);
  if (!m) return [`${what} ${JSON.stringify(uri)} is not an s3://bucket/folder/ URI`];
  const problems: string[] = [];
  if (buckets.size > 0 && !buckets.has(m[1]!)) problems.push(`${what} reads bucket ${JSON.stringify(m[1])}, not the environment's bucket (${[...buckets].join(', ')})`);
  if (!uri.endsWith('/')) problems.push(`${what} ${JSON.stringify(uri)} has no trailing slash`);
  if (m[2]!.includes('//')) problems.push(`${what} ${JSON.stringify(uri)} has an empty folder ("//")`);
  if (/[*?[]/.test(m[2]!)) problems.push(`${what} ${JSON.stringify(uri)} has a wildcard or glob character`);
  return problems;
}

export const tableLocation: Rule = {
  id: 'athena-table-location',
  family: 'athena',
  title:
    "Table locations and storage.location.template resolve to the environment's bucket, as Terraform evaluates them: " +
    's3://<bucket>/<folder>/, and no ${...} left but the partition columns',
  sources: [LOCATION, PROJECTION, TF_JSON],
  check(ctx): Finding[] {
    const out: Finding[] = [];
    for (const t of tables(ctx.stacks)) {
      const buckets = environmentBuckets(t.stack, ctx.stacks);
      const report = (message: string, value: unknown): void => {
        out.push({ stack: t.stack, address: t.r.address, message: `table ${String(t.r.values.name)}: ${message}`, value });
      };
      if (t.location === undefined) {
        report('has no storage_descriptor location', null);
        continue;
      }
      const seqInLocation = /\$\{[^}]*\}|%\{[^}]*\}/.exec(t.location);
      if (seqInLocation) report(`the location holds ${JSON.stringify(seqInLocation[0])}, which Athena reads as literal text: Terraform did not evaluate it`, t.location);
      for (const p of folderProblems(t.location, buckets, 'the location')) report(p, t.location);

      const params = isObj(t.r.values.parameters) ? t.r.values.parameters : {};
      const template = params['storage.location.template'];
      if (typeof template !== 'string') continue;
      const columns = new Set(
        (Array.isArray(t.r.values.partition_keys) ? t.r.values.partition_keys : []).flatMap((k) => (isObj(k) && typeof k.name === 'string' ? [k.name] : [])),
      );
      const foreign = [...template.matchAll(/\$\{([^}]*)\}/g)].filter((m) => !columns.has(m[1]!)).map((m) => m[0]);
      if (foreign.length > 0) {
        report(
          `storage.location.template holds ${foreign.map((f) => JSON.stringify(f)).join(', ')}, which ${foreign.length === 1 ? 'is' : 'are'} not a partition column ` +
            `(${[...columns].join(', ') || 'none'}): Terraform left ${foreign.length === 1 ? 'it' : 'them'} as literal text (escaped as "$\${"), so Athena reads a path that does not exist`,
          template,
        );
      }
      if (/%\{/.test(template)) report('storage.location.template holds a "%{" sequence Terraform did not evaluate', template);
      const filled = template.replace(/\$\{([^}]*)\}/g, (whole, name: string) => (columns.has(name) ? 'x' : whole));
      if (foreign.length === 0) for (const p of folderProblems(filled, buckets, 'storage.location.template')) report(p, template);
    }
    return out;
  },
};

export const ATHENA_RULES: readonly Rule[] = [readableCompression, tableLocation];
