/**
 * What `tracking dev` keeps in its data directory, and where. `tracking query` reads the same
 * layout, so both commands take their paths from here.
 *
 *   <data-dir>/s3/<bucket>/<key>              each bucket's objects, one file per key: DuckDB reads them where they are
 *   <data-dir>/local/lake.json               the Glue tables as Terraform evaluated them (what `query` reads)
 *   <data-dir>/local/logs/<function>.log     each function's output (what CloudWatch Logs would hold)
 *   <data-dir>/local/logs/runtime.log        the runtime's own record: deliveries, invocations, retries
 *   <data-dir>/local/sqs/<queue>.jsonl       every message a queue received
 *   <data-dir>/local/sns/<topic>.jsonl       every message a topic received
 *   <data-dir>/local/s3meta/<bucket>/<key>.json   object metadata (content type, encoding, user metadata)
 *   <data-dir>/local/functions/<name>/<hash>/     the unzipped function assets
 *   <data-dir>/local/synth/                  the private synth output
 *   <data-dir>/local/tmp/                    partial writes (renamed into place when complete)
 */
import * as path from 'node:path';

export const LAKE_MANIFEST_FILE = 'lake.json';
export const LAKE_MANIFEST_VERSION = 1;

/** The default data directory of an environment: `.tracking/<env>` under the working directory. */
export function defaultDataDir(environment: string, cwd = process.cwd()): string {
  return path.resolve(cwd, '.tracking', environment);
}

export interface DataLayout {
  readonly root: string;
  /** `s3/`: one folder per bucket. */
  readonly s3: string;
  readonly local: string;
  readonly lakeManifest: string;
  readonly logs: string;
  readonly sqs: string;
  readonly sns: string;
  readonly s3meta: string;
  readonly functions: string;
  readonly synth: string;
  readonly tmp: string;
}

export function dataLayout(root: string): DataLayout {
  const local = path.join(root, 'local');
  return {
    root,
    s3: path.join(root, 's3'),
    local,
    lakeManifest: path.join(local, LAKE_MANIFEST_FILE),
    logs: path.join(local, 'logs'),
    sqs: path.join(local, 'sqs'),
    sns: path.join(local, 'sns'),
    s3meta: path.join(local, 's3meta'),
    functions: path.join(local, 'functions'),
    synth: path.join(local, 'synth'),
    tmp: path.join(local, 'tmp'),
  };
}

/** The folder holding a bucket's objects. */
export function bucketFolder(layout: DataLayout, bucket: string): string {
  return path.join(layout.s3, bucket);
}

/** One Glue table as Terraform evaluated it (the values `query` turns into a DuckDB view). */
export interface LakeTable {
  readonly database: string;
  readonly name: string;
  readonly location: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly serdeLibrary: string;
  readonly serdeParameters: Readonly<Record<string, string>>;
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  readonly partitionKeys: readonly { readonly name: string; readonly type: string }[];
}

/** `local/lake.json`: what `tracking dev` tells `tracking query`. */
export interface LakeManifest {
  readonly version: typeof LAKE_MANIFEST_VERSION;
  readonly project: string;
  readonly environment: string;
  /** Bucket name -> its folder (absolute). */
  readonly buckets: Readonly<Record<string, string>>;
  readonly tables: readonly LakeTable[];
}
