/**
 * Config checks against AWS's own rules and against Terraform's template syntax: everything AWS
 * would reject at apply time, and every string that Terraform would evaluate, is reported by the
 * loader with its path, the offending value and the rule. Runs on the parsed YAML whatever its
 * shape (the zod schema reports shape problems), so these issues come out together with the rest.
 */
import {
  bucketNameProblem,
  KMS_KEY_REF_RULE,
  kmsKeyArnProblem,
  lambdaFunctionArnProblem,
  MAX_TAGS_PER_RESOURCE,
  parseKmsKeyRef,
  showValue,
  snsTopicArnProblem,
  subscriptionEndpointProblem,
  tagKeyProblem,
  tagValueProblem,
} from './aws-rules';
import { isObj, list, num, obj, str, type Located, type PathSegment } from './located';
import * as naming from './naming';
import { isKnownRegion, KNOWN_REGIONS_HINT } from './quotas';
import { FREE_TEXT_KEYS, templateSequenceIn } from './terraform-text';

/** Tags every resource carries whatever the config says (config/model.ts forces them). */
export const FORCED_TAG_KEYS = ['project', 'environment', 'managed-by'] as const;

// ---------------------------------------------------------------------------------------------
// Terraform template sequences
// ---------------------------------------------------------------------------------------------

/**
 * Every string (and mapping key) of the config that contains `${` or `%{`, except under the
 * free-text keys (descriptions), which are escaped wherever they reach Terraform.
 */
export function templateIssues(data: unknown): Located[] {
  const out: Located[] = [];
  const walk = (v: unknown, p: PathSegment[]): void => {
    if (typeof v === 'string') {
      const seq = templateSequenceIn(v);
      if (seq !== undefined) out.push({ path: p, message: templateMessage(seq, v) });
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, [...p, i]));
    } else if (isObj(v)) {
      for (const [k, item] of Object.entries(v)) {
        const seq = templateSequenceIn(k);
        if (seq !== undefined) out.push({ path: [...p, k], key: k, message: templateMessage(seq, k) });
        if (FREE_TEXT_KEYS.has(k) && typeof item === 'string') continue;
        walk(item, [...p, k]);
      }
    }
  };
  walk(data, []);
  return out;
}

function templateMessage(seq: string, value: string): string {
  return (
    `${showValue(value)} contains "${seq}", which Terraform would evaluate as ${seq === '${' ? 'an interpolation' : 'a directive'} ` +
    'in the synthesized .tf.json (config text must never become Terraform code); remove it ' +
    '(only description fields may hold it, and they are escaped)'
  );
}

// ---------------------------------------------------------------------------------------------
// AWS rules
// ---------------------------------------------------------------------------------------------

interface EnvView {
  readonly name: string;
  readonly path: PathSegment[];
  readonly raw: Record<string, unknown>;
  readonly region?: string;
}

/** Checks of values AWS would reject at apply time. `project` is the validated project name, if any. */
export function awsValueIssues(data: Record<string, unknown>, project: string | undefined): Located[] {
  const out: Located[] = [];
  const envs: EnvView[] = Object.entries(obj(data.environments)).map(([name, e]) => {
    const raw = obj(e);
    const region = str(raw.region);
    return { name, path: ['environments', name], raw, ...(region !== undefined ? { region } : {}) };
  });

  for (const env of envs) {
    out.push(...regionIssues(env));
    out.push(...bucketIssues(env, project));
    out.push(...lifecycleIssues(env));
    out.push(...rootStreamIssues(env));
    out.push(...alarmIssues(env));
    out.push(...backendIssues(env));
  }
  out.push(...tagIssues(data, envs));
  out.push(...compressionIssues(data));
  out.push(...sharedBucketIssues(envs, project));
  out.push(...sharedStateIssues(envs, project));
  return out;
}

function regionIssues(env: EnvView): Located[] {
  const region = env.raw.region;
  if (typeof region !== 'string' || isKnownRegion(region)) return [];
  return [{ path: [...env.path, 'region'], message: `unknown AWS region ${showValue(region)}; use one of the regions where Firehose is available: ${KNOWN_REGIONS_HINT}` }];
}

function defaultBucketName(env: EnvView, project: string | undefined): string | undefined {
  return project !== undefined ? naming.bucketName({ project, environment: env.name }) : undefined;
}

/** The bucket name an environment ends up with (explicit, else the default), when known. */
function bucketNameOf(env: EnvView, project: string | undefined): string | undefined {
  const explicit = str(obj(env.raw.bucket).name);
  return explicit ?? defaultBucketName(env, project);
}

function bucketIssues(env: EnvView, project: string | undefined): Located[] {
  const out: Located[] = [];
  const bucket = obj(env.raw.bucket);
  const explicit = str(bucket.name);
  const name = bucketNameOf(env, project);
  if (name !== undefined) {
    const problem = bucketNameProblem(name);
    if (problem !== undefined) {
      out.push({
        path: explicit !== undefined ? [...env.path, 'bucket', 'name'] : env.path,
        message:
          `bucket name ${showValue(name)} ${problem}` +
          (explicit !== undefined ? '' : `; set environments.${env.name}.bucket.name, or rename the project or environment`),
      });
    }
  }
  const key = str(bucket.kmsKeyArn);
  if (key !== undefined) {
    const problem = kmsKeyArnProblem(key);
    if (problem !== undefined) out.push({ path: [...env.path, 'bucket', 'kmsKeyArn'], message: `${showValue(key)} ${problem}` });
    else {
      const ref = parseKmsKeyRef(key);
      if (ref?.kind === 'key-arn' && env.region !== undefined && ref.region !== env.region) {
        out.push({
          path: [...env.path, 'bucket', 'kmsKeyArn'],
          message: `${showValue(key)} is a key in ${ref.region}, but the bucket is in ${env.region}; S3 only encrypts with a KMS key in the bucket's region: use a key (or a multi-Region replica) in ${env.region}`,
        });
      }
    }
  }
  return out;
}

/** S3 User Guide, "Transitioning objects using Amazon S3 Lifecycle", Constraints. */
export const S3_TRANSITION_CONSTRAINTS_SOURCE =
  'https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html#lifecycle-configuration-constraints';
/** AWS::S3::Bucket Rule: "The expiration time must also be later than the transition time". */
export const S3_EXPIRATION_AFTER_TRANSITION_SOURCE = 'https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-s3-bucket-rule.html';
/**
 * Days objects must spend in S3 Standard before a transition to STANDARD_IA, and in STANDARD_IA
 * before the next transition of the same rule (S3 User Guide, "Transitioning objects using Amazon
 * S3 Lifecycle", Constraints: "Minimum Days for Transition from S3 Standard or S3 Standard-IA to S3
 * Standard-IA or S3 One Zone-IA" and "Minimum 30-Day Storage Charge for S3 Standard-IA and S3 One
 * Zone-IA"; S3_TRANSITION_CONSTRAINTS_SOURCE). The page names the Glacier Flexible Retrieval and
 * Deep Archive transitions; S3 answers the same for GLACIER_IR, the class this pipeline uses
 * ("'Days' in Transition action for StorageClass GLACIER_IR ... must be 30 days more than ...
 * STANDARD_IA").
 */
export const STANDARD_IA_MIN_DAYS = 30;

/**
 * The bucket's lifecycle settings S3 would reject at apply (the rules of `lifecycleRules` in
 * modules/event-bucket.ts put both transitions of a root in one rule, its expiry in another rule
 * with the same filter; S3 checks the days across rules of one filter):
 * - GLACIER_IR at least 30 days after STANDARD_IA (S3_TRANSITION_CONSTRAINTS_SOURCE);
 * - the expiry later than every transition (S3_EXPIRATION_AFTER_TRANSITION_SOURCE; S3:
 *   "'Days' in the Expiration action for filter ... must be greater than 'Days' in the Transition action").
 * STANDARD_IA at 30 days or more is the schema's minimum (config/schema.ts), with the same source.
 */
function lifecycleIssues(env: EnvView): Located[] {
  const out: Located[] = [];
  const bucket = obj(env.raw.bucket);
  const base = [...env.path, 'bucket'];
  const ia = num(bucket.transitionToInfrequentAccessAfterDays);
  const glacier = num(bucket.transitionToGlacierAfterDays);
  const expire = num(bucket.expireAfterDays);
  if (ia !== undefined && glacier !== undefined && glacier < ia + STANDARD_IA_MIN_DAYS) {
    out.push({
      path: [...base, 'transitionToGlacierAfterDays'],
      message:
        `${showValue(glacier)}: S3 rejects a transition to GLACIER_IR less than ${STANDARD_IA_MIN_DAYS} days after the transition to STANDARD_IA ` +
        `(transitionToInfrequentAccessAfterDays is ${ia}): objects stay at least ${STANDARD_IA_MIN_DAYS} days in STANDARD_IA ` +
        `(${S3_TRANSITION_CONSTRAINTS_SOURCE}); use ${ia + STANDARD_IA_MIN_DAYS} or more, or remove one of the transitions`,
    });
  }
  const transitions: [string, number][] = [
    ...(ia !== undefined ? [['transitionToInfrequentAccessAfterDays', ia] as [string, number]] : []),
    ...(glacier !== undefined ? [['transitionToGlacierAfterDays', glacier] as [string, number]] : []),
  ];
  const last = transitions.reduce<[string, number] | undefined>((m, t) => (m === undefined || t[1] > m[1] ? t : m), undefined);
  if (expire !== undefined && last !== undefined && expire <= last[1]) {
    out.push({
      path: [...base, 'expireAfterDays'],
      message:
        `${showValue(expire)}: S3 rejects an expiration that is not later than a transition of the same objects (${last[0]} is ${last[1]}): ` +
        `"'Days' in the Expiration action ... must be greater than 'Days' in the Transition action" (${S3_EXPIRATION_AFTER_TRANSITION_SOURCE}); ` +
        `use ${last[1] + 1} or more, or transition earlier`,
    });
  }
  return out;
}

/** Athena User Guide, "Use compression in Athena": the formats it reads; "The ZIP file format is not supported". */
export const ATHENA_COMPRESSION_SOURCE = 'https://docs.aws.amazon.com/athena/latest/ug/compression-formats.html';
/** Athena User Guide, "Use Hive table compression": text files (JSON included) read SNAPPY in the Hadoop-compatible framing. */
export const ATHENA_HIVE_COMPRESSION_SOURCE = 'https://docs.aws.amazon.com/athena/latest/ug/compression-support-hive.html';

/** Why Athena cannot read a Firehose compression as JSON text, for the compressions it cannot read. */
export const UNREADABLE_COMPRESSIONS: Readonly<Record<string, string>> = {
  ZIP: `ZIP files ("The ZIP file format is not supported", ${ATHENA_COMPRESSION_SOURCE})`,
  Snappy:
    "Firehose's Snappy, which is the Snappy framing format: Athena reads Snappy-compressed text only in the Hadoop-compatible " +
    `framing (${ATHENA_HIVE_COMPRESSION_SOURCE}), which Firehose writes as HADOOP_SNAPPY`,
};

/**
 * Every event type gets a Glue table over its data prefix and one over its error prefix
 * (modules/lake.ts), read by Athena as JSON text. A compression Athena cannot read makes both
 * tables fail every query, so the loader refuses it wherever it is set: under `defaults` (which
 * every event type without its own value inherits) and on an event type. The schema's enum
 * (config/schema.ts `ATHENA_READABLE_COMPRESSIONS`) already leaves these out; this says why.
 */
function compressionIssues(data: Record<string, unknown>): Located[] {
  const out: Located[] = [];
  const fix = 'use GZIP (what Athena recommends for Firehose data), HADOOP_SNAPPY or UNCOMPRESSED';
  const refuse = (value: unknown, path: PathSegment[], whose: string): void => {
    if (typeof value !== 'string' || UNREADABLE_COMPRESSIONS[value] === undefined) return;
    out.push({ path, message: `${showValue(value)}: ${whose}, and Athena cannot read ${UNREADABLE_COMPRESSIONS[value]}; ${fix}` });
  };
  let inheriting = 0;
  list(data.applications).forEach((a, i) => {
    list(obj(a).eventTypes).forEach((t, j) => {
      if (!isObj(t) || t.compression === undefined) inheriting++;
      if (isObj(t)) refuse(t.compression, ['applications', i, 'eventTypes', j, 'compression'], 'Athena reads this event type\'s tables (data and errors)');
    });
  });
  refuse(
    obj(data.defaults).compression,
    ['defaults', 'compression'],
    `the ${inheriting} event type(s) without their own compression inherit it and Athena reads their tables (data and errors)`,
  );
  return out;
}

function rootStreamIssues(env: EnvView): Located[] {
  const out: Located[] = [];
  const rs = obj(env.raw.rootStream);
  const base = [...env.path, 'rootStream'];
  const keyId = str(rs.kmsKeyId);
  if (keyId !== undefined) {
    const ref = parseKmsKeyRef(keyId);
    if (ref === undefined) out.push({ path: [...base, 'kmsKeyId'], message: `${showValue(keyId)} ${KMS_KEY_REF_RULE}` });
    else if (ref.kind !== 'alias-name' && env.region !== undefined && ref.region !== env.region) {
      out.push({
        path: [...base, 'kmsKeyId'],
        message: `${showValue(keyId)} is in ${ref.region}, but the stream is in ${env.region}; Kinesis encrypts only with a KMS key in the stream's region`,
      });
    }
  }
  list(rs.consumers).forEach((c, i) => {
    const arn = str(obj(c).functionArn);
    if (arn === undefined || env.region === undefined) return;
    const problem = lambdaFunctionArnProblem(arn, env.region);
    if (problem !== undefined) out.push({ path: [...base, 'consumers', i, 'functionArn'], message: `${showValue(arn)} ${problem}` });
  });
  return out;
}

function alarmIssues(env: EnvView): Located[] {
  const out: Located[] = [];
  const alarms = obj(env.raw.alarms);
  const base = [...env.path, 'alarms'];
  const topicArn = str(alarms.topicArn);
  if (topicArn !== undefined && env.region !== undefined) {
    const problem = snsTopicArnProblem(topicArn, env.region);
    if (problem !== undefined) out.push({ path: [...base, 'topicArn'], message: `${showValue(topicArn)} ${problem}` });
  }
  const seenSubs = new Map<string, number>();
  list(alarms.subscriptions).forEach((s, i) => {
    const sub = obj(s);
    const protocol = str(sub.protocol);
    const endpoint = str(sub.endpoint);
    if (protocol === undefined || endpoint === undefined) return;
    const problem = subscriptionEndpointProblem(protocol, endpoint);
    if (problem !== undefined) out.push({ path: [...base, 'subscriptions', i, 'endpoint'], message: `${showValue(endpoint)}: ${problem}` });
    const k = `${protocol}\0${endpoint}`;
    const first = seenSubs.get(k);
    if (first !== undefined) {
      out.push({
        path: [...base, 'subscriptions', i],
        message: `duplicate subscription ${protocol} ${showValue(endpoint)} (first listed at subscriptions[${first}]); remove one`,
      });
    } else seenSubs.set(k, i);
  });
  const seenAlarms = new Map<string, number>();
  list(alarms.perStreamAlarms).forEach((k, i) => {
    if (typeof k !== 'string') return;
    const first = seenAlarms.get(k);
    if (first !== undefined) {
      out.push({ path: [...base, 'perStreamAlarms', i], message: `duplicate entry ${showValue(k)} (first listed at perStreamAlarms[${first}]); remove one` });
    } else seenAlarms.set(k, i);
  });
  return out;
}

function backendIssues(env: EnvView): Located[] {
  const out: Located[] = [];
  if (!isObj(env.raw.backend)) return out;
  const b = env.raw.backend;
  const base = [...env.path, 'backend'];
  const bucket = str(b.bucket);
  if (bucket !== undefined) {
    const problem = bucketNameProblem(bucket);
    if (problem !== undefined) out.push({ path: [...base, 'bucket'], message: `state bucket name ${showValue(bucket)} ${problem}` });
  }
  const region = str(b.region);
  if (region !== undefined && !isKnownRegion(region)) {
    out.push({ path: [...base, 'region'], message: `unknown AWS region ${showValue(region)}; use the region of the state bucket, one of: ${KNOWN_REGIONS_HINT}` });
  }
  const table = str(b.dynamodbTable);
  if (table !== undefined) {
    const problem = naming.checkName('dynamodbTable', table);
    if (problem !== undefined) out.push({ path: [...base, 'dynamodbTable'], message: `${problem}; DynamoDB table names are 3-255 letters, digits, "_", "-" and "."` });
  }
  const key = str(b.key);
  if (key !== undefined && (key.startsWith('/') || key.endsWith('/') || key.length > 1024)) {
    out.push({ path: [...base, 'key'], message: `state key ${showValue(key)} must not start or end with "/" and is at most 1,024 characters (an S3 object key)` });
  }
  return out;
}

/** Tag keys and values, and the number of tags a delivery stream ends up with. */
function tagIssues(data: Record<string, unknown>, envs: readonly EnvView[]): Located[] {
  const out: Located[] = [];
  const checkTags = (tags: unknown, base: PathSegment[]): string[] => {
    const keys: string[] = [];
    for (const [k, v] of Object.entries(obj(tags))) {
      keys.push(k);
      const keyProblem = tagKeyProblem(k);
      if (keyProblem !== undefined) out.push({ path: [...base, k], key: k, message: `tag key ${showValue(k)}: ${keyProblem}` });
      if (typeof v === 'string') {
        const valueProblem = tagValueProblem(v);
        if (valueProblem !== undefined) out.push({ path: [...base, k], message: `tag value ${showValue(v)}: ${valueProblem}` });
      }
      if ((FORCED_TAG_KEYS as readonly string[]).includes(k) || k === 'owner') {
        out.push({
          path: [...base, k],
          key: k,
          message: `tag key ${showValue(k)} is set by the pipeline itself (${[...FORCED_TAG_KEYS, 'owner'].join(', ')}); choose another key`,
        });
      }
    }
    return keys;
  };
  const topKeys = checkTags(data.tags, ['tags']);
  const hasOwner = list(data.applications).some((a) => typeof obj(a).owner === 'string');
  list(data.applications).forEach((a, i) => {
    const owner = str(obj(a).owner);
    if (owner === undefined) return;
    const problem = tagValueProblem(owner);
    if (problem !== undefined) out.push({ path: ['applications', i, 'owner'], message: `owner ${showValue(owner)} becomes the "owner" tag value: ${problem}` });
  });
  for (const env of envs) {
    const envKeys = checkTags(env.raw.tags, [...env.path, 'tags']);
    const total = new Set([...topKeys, ...envKeys, ...FORCED_TAG_KEYS, ...(hasOwner ? ['owner'] : [])]).size;
    if (total > MAX_TAGS_PER_RESOURCE) {
      out.push({
        path: isObj(env.raw.tags) ? [...env.path, 'tags'] : ['tags'],
        message:
          `environment "${env.name}" gives each resource ${total} tags (tags, environments.${env.name}.tags, the ${FORCED_TAG_KEYS.length} tags the pipeline sets` +
          `${hasOwner ? ' and "owner"' : ''}); AWS allows at most ${MAX_TAGS_PER_RESOURCE} per resource: remove ${total - MAX_TAGS_PER_RESOURCE}`,
      });
    }
  }
  return out;
}

/** Two environments must not write to one bucket: their prefixes, lifecycles and policies would fight. */
function sharedBucketIssues(envs: readonly EnvView[], project: string | undefined): Located[] {
  const out: Located[] = [];
  const owner = new Map<string, string>();
  for (const env of [...envs].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const name = bucketNameOf(env, project);
    if (name === undefined) continue;
    const prev = owner.get(name);
    if (prev !== undefined) {
      const explicit = str(obj(env.raw.bucket).name) !== undefined;
      out.push({
        path: explicit ? [...env.path, 'bucket', 'name'] : env.path,
        message: `environment "${env.name}" uses bucket ${showValue(name)}, which is environment "${prev}"'s bucket; every environment needs its own bucket (each stack creates and manages it): choose another bucket.name`,
      });
    } else owner.set(name, env.name);
  }
  return out;
}

/** Two environments must not share one state object: each apply would overwrite the other's state. */
function sharedStateIssues(envs: readonly EnvView[], project: string | undefined): Located[] {
  const out: Located[] = [];
  const owner = new Map<string, string>();
  for (const env of [...envs].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!isObj(env.raw.backend)) continue;
    const bucket = str(env.raw.backend.bucket);
    if (bucket === undefined || project === undefined) continue;
    const key = str(env.raw.backend.key) ?? naming.stateKey({ project, environment: env.name });
    const id = `s3://${bucket}/${key}`;
    const prev = owner.get(id);
    if (prev !== undefined) {
      out.push({
        path: [...env.path, 'backend', str(env.raw.backend.key) !== undefined ? 'key' : 'bucket'],
        message: `environment "${env.name}" keeps its state at ${showValue(id)}, like environment "${prev}"; each environment needs its own state object: set another backend.key`,
      });
    } else owner.set(id, env.name);
  }
  return out;
}
