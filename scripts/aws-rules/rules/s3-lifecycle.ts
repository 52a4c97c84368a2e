/**
 * S3 lifecycle configurations: they must never expire or archive an object the pipeline reads
 * (the collector's catalog objects, anything the stacks put in the bucket with `aws_s3_object`),
 * and their transitions must meet S3's constraints.
 */
import { allOf, effectiveTags, isObj, list, num, show, str, type Finding, type Rule, type RuleSource } from '../engine';
import { configured, type StateResource } from '../state';

const LIFECYCLE_ELEMENTS: RuleSource = {
  title: 'Amazon S3 User Guide: Lifecycle configuration elements (a filter selects objects by key prefix, tags and size; an empty prefix selects every object)',
  url: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/intro-lifecycle-rules.html',
};
const EXPIRING: RuleSource = {
  title: 'Amazon S3 User Guide: Expiring objects (on a versioned bucket, expiring the current version adds a delete marker)',
  url: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-expire-general-considerations.html',
};
const TRANSITIONS: RuleSource = {
  title:
    'Amazon S3 User Guide: Transitioning objects using Amazon S3 Lifecycle (supported transitions; constraints and considerations: ' +
    'objects stay at least 30 days before a transition to S3 Standard-IA or One Zone-IA, and 30 days in those before the next transition; ' +
    'objects archived to S3 Glacier Flexible Retrieval or Deep Archive must be restored before they can be read)',
  url: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html',
};
const TRANSITION_API: RuleSource = {
  title: 'Amazon S3 API Reference: Transition (Days for STANDARD_IA or ONEZONE_IA: 30 or more)',
  url: 'https://docs.aws.amazon.com/AmazonS3/latest/API/API_Transition.html',
};

/** Storage classes whose objects cannot be read until restored. */
export const ARCHIVE_CLASSES: ReadonlySet<string> = new Set(['GLACIER', 'DEEP_ARCHIVE']);
/** Storage classes with a 30-day minimum before and after the transition into them. */
export const IA_CLASSES: ReadonlySet<string> = new Set(['STANDARD_IA', 'ONEZONE_IA']);
export const MIN_DAYS_BEFORE_IA = 30;
export const MIN_DAYS_IN_IA = 30;

/** S3's lifecycle waterfall: the classes each class may transition to. */
export const SUPPORTED_TRANSITIONS: Readonly<Record<string, readonly string[]>> = {
  STANDARD: ['STANDARD_IA', 'INTELLIGENT_TIERING', 'ONEZONE_IA', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'],
  STANDARD_IA: ['INTELLIGENT_TIERING', 'ONEZONE_IA', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'],
  INTELLIGENT_TIERING: ['ONEZONE_IA', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'],
  ONEZONE_IA: ['GLACIER', 'DEEP_ARCHIVE'],
  GLACIER_IR: ['GLACIER', 'DEEP_ARCHIVE'],
  GLACIER: ['DEEP_ARCHIVE'],
  DEEP_ARCHIVE: [],
};

/** What a lifecycle rule selects, as Terraform evaluated it (values the mock provider made up are ignored). */
export interface LifecycleFilter {
  readonly prefix: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly greaterThan?: number;
  readonly lessThan?: number;
}

/** The filter of rule `i` of a lifecycle configuration: `filter` (with or without `and`), else the deprecated rule-level `prefix`. */
export function lifecycleFilter(r: StateResource, i: number): LifecycleFilter {
  const base = ['rule', i, 'filter', 0] as const;
  const and = [...base, 'and', 0] as const;
  const hasAnd = isObj(configured(r, and));
  const where = hasAnd ? and : base;
  const prefix = str(r, [...where, 'prefix']) ?? str(r, ['rule', i, 'prefix']) ?? '';
  const tags: Record<string, string> = {};
  if (hasAnd) {
    const t = configured(r, [...and, 'tags']);
    if (isObj(t)) for (const [k, v] of Object.entries(t)) if (typeof v === 'string') tags[k] = v;
  } else {
    const key = str(r, [...base, 'tag', 0, 'key']);
    const value = str(r, [...base, 'tag', 0, 'value']);
    if (key !== undefined) tags[key] = value ?? '';
  }
  // A size bound of 0 is how the provider shows "no bound".
  const gt = num(r, [...where, 'object_size_greater_than']);
  const lt = num(r, [...where, 'object_size_less_than']);
  return { prefix, tags, ...(gt !== undefined && gt > 0 ? { greaterThan: gt } : {}), ...(lt !== undefined && lt > 0 ? { lessThan: lt } : {}) };
}

/** Size in bytes of an aws_s3_object's configured content, or undefined (a source file, or not known). */
function objectSize(r: StateResource): number | undefined {
  const content = configured(r, ['content']);
  if (typeof content === 'string') return Buffer.byteLength(content, 'utf8');
  const b64 = configured(r, ['content_base64']);
  if (typeof b64 === 'string') return Buffer.from(b64, 'base64').length;
  return undefined;
}

/** Whether a filter selects an object (an unknown size counts as selected: the check cannot rule it out). */
export function filterSelects(f: LifecycleFilter, key: string, tags: Readonly<Record<string, string>>, size: number | undefined): boolean {
  if (!key.startsWith(f.prefix)) return false;
  for (const [k, v] of Object.entries(f.tags)) if (tags[k] !== v) return false;
  if (size !== undefined && f.greaterThan !== undefined && !(size > f.greaterThan)) return false;
  if (size !== undefined && f.lessThan !== undefined && !(size < f.lessThan)) return false;
  return true;
}

/** The actions of rule `i` that make a current object unreadable: expiration, and transitions to archive classes. */
function unreadableActions(r: StateResource, i: number): string[] {
  const actions: string[] = [];
  const days = num(r, ['rule', i, 'expiration', 0, 'days']);
  const date = str(r, ['rule', i, 'expiration', 0, 'date']);
  if ((days !== undefined && days > 0) || (date !== undefined && date !== '')) {
    actions.push(`expires current versions ${days !== undefined && days > 0 ? `after ${days} days` : `on ${date}`}`);
  }
  list(r, ['rule', i, 'transition']).forEach((_t, j) => {
    const cls = str(r, ['rule', i, 'transition', j, 'storage_class']);
    if (cls !== undefined && ARCHIVE_CLASSES.has(cls)) {
      const d = num(r, ['rule', i, 'transition', j, 'days']);
      actions.push(`archives current versions to ${cls}${d !== undefined ? ` after ${d} days` : ''} (not readable until restored)`);
    }
  });
  return actions;
}

export const lifecycleSparesReadObjects: Rule = {
  id: 's3-lifecycle-read-objects',
  family: 's3-lifecycle',
  title:
    'No enabled lifecycle rule expires, or archives to an unreadable class, the current version of an object the pipeline reads ' +
    '(every aws_s3_object the stacks put in the bucket, such as catalog/<stack>.json.gz)',
  sources: [LIFECYCLE_ELEMENTS, EXPIRING, TRANSITIONS],
  check(ctx): Finding[] {
    const objects = allOf(ctx.stacks, 'aws_s3_object').flatMap(({ stack, r }) => {
      const bucket = typeof r.values.bucket === 'string' ? r.values.bucket : undefined;
      const key = typeof r.values.key === 'string' ? r.values.key : undefined;
      return bucket !== undefined && key !== undefined ? [{ stack, r, bucket, key, tags: effectiveTags(stack, r), size: objectSize(r) }] : [];
    });
    const out: Finding[] = [];
    for (const { stack, r } of allOf(ctx.stacks, 'aws_s3_bucket_lifecycle_configuration')) {
      const bucket = typeof r.values.bucket === 'string' ? r.values.bucket : undefined;
      list(r, ['rule']).forEach((_rule, i) => {
        if (str(r, ['rule', i, 'status']) !== 'Enabled') return;
        const actions = unreadableActions(r, i);
        if (actions.length === 0) return;
        const f = lifecycleFilter(r, i);
        const covered = objects.filter((o) => o.bucket === bucket && filterSelects(f, o.key, o.tags, o.size));
        for (const o of covered) {
          out.push({
            stack,
            address: r.address,
            message:
              `rule ${JSON.stringify(str(r, ['rule', i, 'id']) ?? i)} (prefix ${JSON.stringify(f.prefix)}${Object.keys(f.tags).length > 0 ? `, tags ${show(f.tags)}` : ''}) ` +
              `${actions.join(' and ')}, and it covers s3://${o.bucket}/${o.key}, which the pipeline reads (${o.stack.id} ${o.r.address})` +
              (o.size === undefined && (f.greaterThan !== undefined || f.lessThan !== undefined) ? '; the object size is not known, so the size filter cannot rule it out' : ''),
            value: { rule: str(r, ['rule', i, 'id']), filter: f, object: `s3://${o.bucket}/${o.key}` },
          });
        }
      });
    }
    return out;
  },
};

interface Transition {
  readonly days?: number;
  readonly storageClass: string;
  readonly noncurrent: boolean;
}

function transitionsOf(r: StateResource, i: number): Transition[] {
  const current = list(r, ['rule', i, 'transition']).flatMap((_t, j): Transition[] => {
    const cls = str(r, ['rule', i, 'transition', j, 'storage_class']);
    const days = num(r, ['rule', i, 'transition', j, 'days']);
    // A transition by date has no days: S3's day constraints do not apply to it.
    return cls === undefined ? [] : [{ ...(days !== undefined ? { days } : {}), storageClass: cls, noncurrent: false }];
  });
  const noncurrent = list(r, ['rule', i, 'noncurrent_version_transition']).flatMap((_t, j): Transition[] => {
    const cls = str(r, ['rule', i, 'noncurrent_version_transition', j, 'storage_class']);
    const days = num(r, ['rule', i, 'noncurrent_version_transition', j, 'noncurrent_days']);
    return cls === undefined ? [] : [{ ...(days !== undefined ? { days } : {}), storageClass: cls, noncurrent: true }];
  });
  return [...current, ...noncurrent];
}

/** The problems of one lifecycle rule's transitions (current and noncurrent versions separately). */
export function transitionProblems(transitions: readonly Transition[]): string[] {
  const problems: string[] = [];
  for (const noncurrent of [false, true]) {
    const what = noncurrent ? 'noncurrent versions' : 'current versions';
    const daysField = noncurrent ? 'NoncurrentDays' : 'Days';
    const steps = transitions.filter((t) => t.noncurrent === noncurrent && t.days !== undefined).sort((a, b) => a.days! - b.days!);
    for (const t of steps) {
      if (IA_CLASSES.has(t.storageClass) && t.days! < MIN_DAYS_BEFORE_IA) {
        problems.push(`${what} move to ${t.storageClass} after ${t.days} days; S3 requires ${daysField} of at least ${MIN_DAYS_BEFORE_IA} for ${t.storageClass}`);
      }
    }
    let prev: Transition | undefined;
    for (const t of steps) {
      const from = prev?.storageClass ?? 'STANDARD';
      if (!(SUPPORTED_TRANSITIONS[from] ?? []).includes(t.storageClass)) {
        problems.push(`${what} move from ${from} to ${t.storageClass} (day ${t.days}), a transition S3 lifecycle does not support`);
      } else if (prev !== undefined && IA_CLASSES.has(prev.storageClass) && t.days! - prev.days! < MIN_DAYS_IN_IA) {
        problems.push(
          `${what} move to ${t.storageClass} after ${t.days} days, ${t.days! - prev.days!} days after moving to ${prev.storageClass} (day ${prev.days}); ` +
            `S3 requires the ${t.storageClass} ${daysField} to be at least ${MIN_DAYS_IN_IA} more than the ${prev.storageClass} ${daysField}`,
        );
      }
      prev = t;
    }
  }
  return problems;
}

export const lifecycleTransitions: Rule = {
  id: 's3-lifecycle-transitions',
  family: 's3-lifecycle',
  title:
    "Lifecycle transitions S3 accepts: at least 30 days before S3 Standard-IA or One Zone-IA, at least 30 days in those before the next transition, " +
    'and only the transitions of S3\'s waterfall',
  sources: [TRANSITIONS, TRANSITION_API],
  check(ctx): Finding[] {
    const out: Finding[] = [];
    for (const { stack, r } of allOf(ctx.stacks, 'aws_s3_bucket_lifecycle_configuration')) {
      list(r, ['rule']).forEach((_rule, i) => {
        const transitions = transitionsOf(r, i);
        for (const problem of transitionProblems(transitions)) {
          out.push({
            stack,
            address: r.address,
            message: `rule ${JSON.stringify(str(r, ['rule', i, 'id']) ?? i)}: ${problem}`,
            value: { rule: str(r, ['rule', i, 'id']), transitions },
          });
        }
      });
    }
    return out;
  },
};

export const S3_LIFECYCLE_RULES: readonly Rule[] = [lifecycleSparesReadObjects, lifecycleTransitions];
