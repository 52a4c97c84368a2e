/** Customer managed KMS keys within AWS KMS's per-key limits. */
import { allOf, num, str, type Finding, type Rule, type RuleSource } from '../engine';

const QUOTAS: RuleSource = {
  title: 'AWS KMS Developer Guide: Resource quotas (key policy document size 32 KB = 32,768 bytes, not adjustable; 50 aliases per KMS key)',
  url: 'https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html',
};
const CREATE_KEY: RuleSource = {
  title: 'AWS KMS API Reference: CreateKey (Description: up to 8,192 characters; Policy: up to 32,768 characters)',
  url: 'https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html',
};
const SCHEDULE_DELETION: RuleSource = {
  title: 'AWS KMS API Reference: ScheduleKeyDeletion (PendingWindowInDays 7-30)',
  url: 'https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html',
};
const ENABLE_ROTATION: RuleSource = {
  title: 'AWS KMS API Reference: EnableKeyRotation (RotationPeriodInDays 90-2560)',
  url: 'https://docs.aws.amazon.com/kms/latest/APIReference/API_EnableKeyRotation.html',
};

export const MAX_KEY_POLICY_BYTES = 32_768;
export const MAX_ALIASES_PER_KEY = 50;
export const MAX_KEY_DESCRIPTION = 8192;
export const DELETION_WINDOW_DAYS = { min: 7, max: 30 } as const;
export const ROTATION_PERIOD_DAYS = { min: 90, max: 2560 } as const;

/** The size KMS counts: the policy as the provider sends it (JSON compacted), in bytes. */
export function policyBytes(policy: string): number {
  try {
    return Buffer.byteLength(JSON.stringify(JSON.parse(policy)), 'utf8');
  } catch {
    return Buffer.byteLength(policy, 'utf8');
  }
}

export const keyLimits: Rule = {
  id: 'kms-key-limits',
  family: 'kms',
  title:
    "Customer managed KMS keys within KMS's per-key limits: key policy at most 32,768 bytes, at most 50 aliases, description at most 8,192 characters, " +
    'deletion window 7-30 days, rotation period 90-2,560 days',
  sources: [QUOTAS, CREATE_KEY, SCHEDULE_DELETION, ENABLE_ROTATION],
  check(ctx): Finding[] {
    const out: Finding[] = [];
    const aliases = allOf(ctx.stacks, 'aws_kms_alias');
    const policies = allOf(ctx.stacks, 'aws_kms_key_policy');
    for (const { stack, r } of allOf(ctx.stacks, 'aws_kms_key')) {
      const report = (message: string, value: unknown): void => {
        out.push({ stack, address: r.address, message, value });
      };
      const keyId = typeof r.values.key_id === 'string' ? r.values.key_id : undefined;
      const arn = typeof r.values.arn === 'string' ? r.values.arn : undefined;
      const own = (v: unknown): boolean => typeof v === 'string' && (v === keyId || v === arn);
      const texts = [
        ...(typeof r.values.policy === 'string' && r.values.policy !== '' ? [{ from: r.address, policy: r.values.policy }] : []),
        ...policies.filter((p) => own(p.r.values.key_id) && typeof p.r.values.policy === 'string').map((p) => ({ from: p.r.address, policy: String(p.r.values.policy) })),
      ];
      for (const t of texts) {
        const bytes = policyBytes(t.policy);
        if (bytes > MAX_KEY_POLICY_BYTES) report(`the key policy (${t.from}) is ${bytes.toLocaleString('en-US')} bytes; KMS allows ${MAX_KEY_POLICY_BYTES.toLocaleString('en-US')}`, bytes);
      }
      const mine = aliases.filter((a) => own(a.r.values.target_key_id) || own(a.r.values.target_key_arn));
      if (mine.length > MAX_ALIASES_PER_KEY) report(`${mine.length} aliases point at this key; KMS allows ${MAX_ALIASES_PER_KEY}`, mine.map((a) => a.r.values.name));
      const description = str(r, ['description']);
      if (description !== undefined && description.length > MAX_KEY_DESCRIPTION) report(`the description is ${description.length} characters; KMS allows ${MAX_KEY_DESCRIPTION}`, description.length);
      const window = num(r, ['deletion_window_in_days']);
      if (window !== undefined && (window < DELETION_WINDOW_DAYS.min || window > DELETION_WINDOW_DAYS.max)) {
        report(`deletion_window_in_days ${window} is outside ${DELETION_WINDOW_DAYS.min}-${DELETION_WINDOW_DAYS.max}`, window);
      }
      const rotation = num(r, ['rotation_period_in_days']);
      if (rotation !== undefined && (rotation < ROTATION_PERIOD_DAYS.min || rotation > ROTATION_PERIOD_DAYS.max)) {
        report(`rotation_period_in_days ${rotation} is outside ${ROTATION_PERIOD_DAYS.min}-${ROTATION_PERIOD_DAYS.max}`, rotation);
      }
    }
    return out;
  },
};

export const KMS_RULES: readonly Rule[] = [keyLimits];
