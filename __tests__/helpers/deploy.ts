/**
 * Test helper: synthesizes environment stacks from YAML text (or the example config) and returns
 * the Terraform JSON, plus the `for_each` instances expanded to one object per address.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Testing } from 'cdktf';
import { parseConfig } from '../../config/loader';
import type { TrackingConfig } from '../../config/model';
import { addEnvironmentStacks } from '../../stacks/app';
import { TrackingStack } from '../../stacks/tracking-stack';

export const EXAMPLE_CONFIG_PATH = path.join(__dirname, '..', '..', 'config', 'tracking.yaml');

export function exampleConfigText(): string {
  return readFileSync(EXAMPLE_CONFIG_PATH, 'utf8');
}

/** Synthesized Terraform JSON of one stack. */
export interface StackJson {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  output?: Record<string, { value: unknown; description?: string }>;
  provider?: Record<string, unknown[]>;
  terraform?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface Deployed {
  readonly config: TrackingConfig;
  readonly stack: TrackingStack;
  /** `cdk.tf.json` as a string (what cdktf's matchers take). */
  readonly synthesized: string;
  readonly json: StackJson;
}

/** A minimal valid config, as YAML, with overrides merged into the dev environment or the root. */
export function minimalConfig(extra = ''): string {
  return `project: acme
environments:
  dev: { region: eu-central-1 }
applications:
  - name: web-shop
    eventTypes:
      - page_view
      - name: checkout_completed
        peakRecordsPerSecond: 400
        avgRecordBytes: 2000
${extra}`;
}

/** Synthesizes the stack of `environment` from YAML config text. */
export function deploy(yaml: string = exampleConfigText(), environment = 'dev'): Deployed {
  const config = parseConfig(yaml, 'test.yaml');
  const env = config.environments.find((e) => e.name === environment);
  if (!env) throw new Error(`no environment ${environment} in the test config`);
  const app = Testing.app();
  const stack = new TrackingStack(app, { env });
  const synthesized = Testing.synth(stack);
  return { config, stack, synthesized, json: JSON.parse(synthesized) as StackJson };
}

/** Every stack of an environment (single, or core and shards), synthesized: stack id -> Terraform JSON. */
export function deployStacks(yaml: string, environment = 'dev'): { config: TrackingConfig; stacks: Map<string, StackJson> } {
  const config = parseConfig(yaml, 'test.yaml');
  const env = config.environments.find((e) => e.name === environment);
  if (!env) throw new Error(`no environment ${environment} in the test config`);
  const app = Testing.app();
  const stacks = addEnvironmentStacks(app, env);
  return { config, stacks: new Map(stacks.map((s) => [s.node.id, JSON.parse(Testing.synth(s)) as StackJson])) };
}

/** All resources of a type, by logical id. */
export function resourcesOf(json: StackJson, type: string): Record<string, Record<string, unknown>> {
  return json.resource?.[type] ?? {};
}

/**
 * The instances Terraform will manage for a resource type: plain resources as they are, and
 * `for_each` resources expanded to one entry per key with `each.value.*` / `each.key` filled in.
 */
export function instancesOf(json: StackJson, type: string): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const [name, body] of Object.entries(resourcesOf(json, type))) {
    const forEach = body.for_each as Record<string, unknown> | undefined;
    if (forEach === undefined) {
      out.set(`${type}.${name}`, body);
      continue;
    }
    for (const [key, value] of Object.entries(forEach)) {
      out.set(`${type}.${name}[${JSON.stringify(key)}]`, substituteEach(body, key, value) as Record<string, unknown>);
    }
  }
  return out;
}

function substituteEach(node: unknown, key: string, value: unknown): unknown {
  if (typeof node === 'string') {
    if (node === '${each.key}') return key;
    const whole = /^\$\{each\.value\.([A-Za-z0-9_]+)\}$/.exec(node);
    if (whole) return (value as Record<string, unknown>)[whole[1]!];
    return node;
  }
  if (Array.isArray(node)) return node.map((n) => substituteEach(n, key, value));
  if (node !== null && typeof node === 'object') {
    return Object.fromEntries(
      Object.entries(node).filter(([k]) => k !== 'for_each').map(([k, v]) => [k, substituteEach(v, key, value)]),
    );
  }
  return node;
}

/** Every IAM policy document in the stack (role policies, managed policies, bucket/queue policies). */
export function policyDocuments(json: StackJson): { where: string; doc: { Statement: PolicyStatementJson[] } }[] {
  const out: { where: string; doc: { Statement: PolicyStatementJson[] } }[] = [];
  for (const type of ['aws_iam_role_policy', 'aws_iam_policy', 'aws_s3_bucket_policy', 'aws_sqs_queue_policy', 'aws_sns_topic_policy', 'aws_kms_key']) {
    for (const [name, body] of Object.entries(resourcesOf(json, type))) {
      const raw = body.policy;
      if (typeof raw === 'string') out.push({ where: `${type}.${name}`, doc: JSON.parse(raw) as { Statement: PolicyStatementJson[] } });
    }
  }
  return out;
}

export interface PolicyStatementJson {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Principal?: unknown;
  Condition?: unknown;
}

export const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
