/**
 * AWS's own rules for values the config passes through to AWS: bucket names, tags, ARNs of
 * Lambda functions, KMS keys and SNS topics, subscription endpoints. The loader checks each value
 * here so that nothing AWS would reject at apply time passes validation. Each check returns the
 * rule the value breaks (a sentence), or undefined. Sources: docs/decisions.md, "Config validation".
 * Dependency-free.
 */

/** Shows a value in a message: JSON-quoted, shortened to `max` characters with an ellipsis. */
export function showValue(value: unknown, max = 80): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  if (text === undefined) text = String(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

// ---------------------------------------------------------------------------------------------
// S3 general purpose bucket names
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
// ---------------------------------------------------------------------------------------------

const BUCKET_RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'] as const;
const BUCKET_RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'] as const;

/** The first S3 bucket naming rule `name` breaks, or undefined. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return `is ${name.length} characters; S3 bucket names are 3-63 characters`;
  if (!/^[a-z0-9.-]+$/.test(name)) return 'may only use lowercase letters, digits, "." and "-" (S3 bucket naming rules)';
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'must begin and end with a lowercase letter or digit (S3 bucket naming rules)';
  if (name.includes('..')) return 'must not contain two adjacent periods (S3 bucket naming rules)';
  if (/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)) return 'must not be formatted as an IP address (S3 bucket naming rules)';
  for (const p of BUCKET_RESERVED_PREFIXES) if (name.startsWith(p)) return `must not start with the reserved prefix "${p}" (S3 bucket naming rules)`;
  for (const s of BUCKET_RESERVED_SUFFIXES) if (name.endsWith(s)) return `must not end with the reserved suffix "${s}" (S3 bucket naming rules)`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Tags
// https://docs.aws.amazon.com/tag-editor/latest/userguide/best-practices-and-strats.html
// ---------------------------------------------------------------------------------------------

/** User tags per resource. Provider default_tags are ordinary tags and count towards it. */
export const MAX_TAGS_PER_RESOURCE = 50;
export const MAX_TAG_KEY_CHARS = 128;
export const MAX_TAG_VALUE_CHARS = 256;
/** Letters, digits, spaces representable in UTF-8, and _ . : / = + - @ (AWS's common tag rule). */
const TAG_TEXT = /^[\p{L}\p{N} _.:/=+\-@]*$/u;

export function tagKeyProblem(key: string): string | undefined {
  if (key.length === 0) return 'tag keys must not be empty';
  if ([...key].length > MAX_TAG_KEY_CHARS) return `tag keys are at most ${MAX_TAG_KEY_CHARS} characters`;
  if (/^aws:/i.test(key)) return 'tag keys must not start with "aws:", which AWS reserves for its own tags';
  if (!TAG_TEXT.test(key)) return 'tag keys may only use letters, digits, spaces and _ . : / = + - @';
  return undefined;
}

export function tagValueProblem(value: string): string | undefined {
  if ([...value].length > MAX_TAG_VALUE_CHARS) return `tag values are at most ${MAX_TAG_VALUE_CHARS} characters`;
  if (!TAG_TEXT.test(value)) return 'tag values may only use letters, digits, spaces and _ . : / = + - @';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// ARNs
// ---------------------------------------------------------------------------------------------

const PARTITION = 'aws(?:-[a-z]+)*';
const REGION_PART = '[a-z]{2}(?:-[a-z]+)+-\\d';

/** Parts of an ARN: `arn:<partition>:<service>:<region>:<account>:<resource>`. */
export interface ParsedArn {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly account: string;
  readonly resource: string;
}

export function parseArn(arn: string): ParsedArn | undefined {
  const m = /^arn:([^:]+):([^:]+):([^:]*):([^:]*):(.+)$/.exec(arn);
  if (!m) return undefined;
  return { partition: m[1]!, service: m[2]!, region: m[3]!, account: m[4]!, resource: m[5]! };
}

/**
 * A Lambda function ARN, optionally qualified with a version or alias. Function names are 1-64
 * letters, digits, "-" and "_"; aliases 1-128 characters, not only digits; versions are digits or
 * $LATEST. https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html
 */
const LAMBDA_FUNCTION_ARN = new RegExp(
  `^arn:${PARTITION}:lambda:(${REGION_PART}):(\\d{12}):function:([A-Za-z0-9_-]{1,64})(?::(\\$LATEST|\\d+|(?!\\d+$)[A-Za-z0-9_-]{1,128}))?$`,
);

export function lambdaFunctionArnProblem(arn: string, region: string): string | undefined {
  const m = LAMBDA_FUNCTION_ARN.exec(arn);
  if (!m) {
    return (
      'must be a Lambda function ARN arn:aws:lambda:<region>:<account>:function:<name>[:<version or alias>], ' +
      'where the name is 1-64 letters, digits, "-" or "_"'
    );
  }
  if (m[1] !== region) return `is in ${m[1]}, but an event source mapping needs the function in the stream's region ${region}`;
  return undefined;
}

/**
 * A KMS key given by full key ARN or by alias (alias name or alias ARN): never a key id alone and
 * never a wildcard, so that IAM statements name one exact key.
 */
export type KmsKeyRef =
  | { readonly kind: 'key-arn'; readonly arn: string; readonly region: string }
  | { readonly kind: 'alias-name'; readonly alias: string }
  | { readonly kind: 'alias-arn'; readonly arn: string; readonly alias: string; readonly region: string };

const KEY_ID = '(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})';
const KMS_KEY_ARN = new RegExp(`^arn:${PARTITION}:kms:(${REGION_PART}):\\d{12}:key/${KEY_ID}$`);
const KMS_ALIAS_NAME = /^alias\/[a-zA-Z0-9/_-]{1,250}$/;
const KMS_ALIAS_ARN = new RegExp(`^arn:${PARTITION}:kms:(${REGION_PART}):\\d{12}:(alias/[a-zA-Z0-9/_-]{1,250})$`);

export function parseKmsKeyRef(value: string): KmsKeyRef | undefined {
  let m = KMS_KEY_ARN.exec(value);
  if (m) return { kind: 'key-arn', arn: value, region: m[1]! };
  m = KMS_ALIAS_ARN.exec(value);
  if (m) return { kind: 'alias-arn', arn: value, alias: m[2]!, region: m[1]! };
  if (KMS_ALIAS_NAME.test(value)) return { kind: 'alias-name', alias: value };
  return undefined;
}

export const KMS_KEY_REF_RULE =
  'must be a full KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>), an alias name (alias/<name>) or an alias ARN; ' +
  'key ids alone and wildcards are not accepted, so that IAM statements name one exact key';

export function kmsKeyArnProblem(value: string): string | undefined {
  return KMS_KEY_ARN.test(value) ? undefined : 'must be a full KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>); aliases, key ids alone and wildcards are not accepted';
}

const SNS_TOPIC_ARN = new RegExp(`^arn:${PARTITION}:sns:(${REGION_PART}):\\d{12}:([A-Za-z0-9_-]{1,256}(?:\\.fifo)?)$`);

export function snsTopicArnProblem(arn: string, region: string): string | undefined {
  const m = SNS_TOPIC_ARN.exec(arn);
  if (!m) return 'must be an SNS topic ARN arn:aws:sns:<region>:<account>:<topic name>';
  if (m[1] !== region) return `is in ${m[1]}; CloudWatch alarm actions must use a topic in the alarm's region ${region}`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Subscription endpoints (SNS Subscribe)
// https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html
// ---------------------------------------------------------------------------------------------

/** A pragmatic address check: one "@", a local part, a dotted domain, no spaces or control characters. */
const EMAIL = /^[^\s@"(),:;<>[\]\\]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

export function subscriptionEndpointProblem(protocol: string, endpoint: string): string | undefined {
  if (protocol === 'email') {
    return EMAIL.test(endpoint) && endpoint.length <= 254 ? undefined : 'an email subscription needs an email address such as oncall@example.com';
  }
  if (protocol === 'https') {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      return 'an https subscription needs an https:// URL';
    }
    if (url.protocol !== 'https:') return `an https subscription needs an https:// URL, not ${url.protocol}//`;
    if (url.hostname === '') return 'an https subscription needs a URL with a host name';
    return undefined;
  }
  return undefined;
}
