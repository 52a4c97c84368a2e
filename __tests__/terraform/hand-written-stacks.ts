/** Small stack folders written the way cdktf writes them, for tests of the Terraform harness. */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { StackInput } from '../../scripts/terraform-check';

/** `<root>/out/stacks/<id>/cdk.tf.json` (pinned provider 6.25.0, local backend, optional import blocks) and an assets/ folder. */
export function writeStack(
  root: string,
  id: string,
  resource: Record<string, unknown>,
  label = 'harness',
  imports?: readonly { id: string; to: string }[],
): StackInput {
  const dir = path.join(root, 'out', 'stacks', id);
  mkdirSync(path.join(dir, 'assets', 'fn'), { recursive: true });
  writeFileSync(path.join(dir, 'assets', 'fn', 'archive.zip'), 'not really a zip');
  // Keys sorted, as cdktf writes them.
  const json = {
    ...(imports !== undefined ? { import: imports } : {}),
    provider: { aws: [{ region: 'eu-west-1', allowed_account_ids: ['111122223333'] }] },
    resource,
    terraform: {
      backend: { local: { path: `terraform.${id}.tfstate` } },
      required_providers: { aws: { source: 'aws', version: '6.25.0' } },
    },
  };
  writeFileSync(path.join(dir, 'cdk.tf.json'), JSON.stringify(json, null, 2));
  return { id, dir, label };
}

export const TOPIC = { alarms: { name: 'harness-alarms' } };

/** A metric alarm whose only action is `action` (an expression or a literal). */
export function alarm(action: string): Record<string, unknown> {
  return {
    lag: {
      alarm_name: 'harness-lag',
      comparison_operator: 'GreaterThanThreshold',
      evaluation_periods: 1,
      metric_name: 'IteratorAge',
      namespace: 'AWS/Lambda',
      period: 60,
      statistic: 'Maximum',
      threshold: 1,
      alarm_actions: [action],
    },
  };
}
