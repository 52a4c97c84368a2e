/**
 * Values as Terraform evaluates them: a mock-provider `terraform test` apply of a synthesized stack
 * folder (a scratch copy, prepared like scripts/terraform-check.ts does), whose final state is read
 * back from `terraform test -json -verbose` (the `test_state` message).
 *
 * The mock provider invents computed attributes per resource *type* (every Lambda function gets
 * the same `arn`), which would make any two references look equal. So the ARNs that AWS derives
 * from names are given per resource with `override_resource`, exactly as AWS forms them:
 * - a function: `arn:<partition>:lambda:<region>:<account>:function:<name>`;
 * - an alias: the function ARN, `:`, the alias name ("Each alias has a unique ARN"; the
 *   CreateEventSourceMapping `FunctionName` formats list `...:function:MyFunction:PROD`);
 * - a Kinesis stream: `arn:<partition>:kinesis:<region>:<account>:stream/<name>`.
 * Sources: https://docs.aws.amazon.com/lambda/latest/dg/configuration-aliases.html and
 * https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html (FunctionName).
 *
 * Test helper only: it changes nothing in the synthesized folder.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  hclString,
  mockProvidersFor,
  pinnedAwsVersion,
  prepareStackJson,
  providerContexts,
  renderMockTest,
  serializeStack,
  TerraformChecker,
  withoutImportBlocks,
  type MockContext,
} from '../../scripts/terraform-check';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** One resource of the state after the mock apply. */
export interface EvaluatedResource {
  readonly address: string;
  readonly type: string;
  readonly values: Json;
}

export interface EvaluatedStack {
  readonly resources: readonly EvaluatedResource[];
  /** The mock provider's region, account and partition. */
  readonly context: MockContext;
  /** The provider version the apply ran with (the local mirror may differ from the pin). */
  readonly providerVersion: string;
}

const REF = /^\$\{(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}$/;

/** A configured string value, following one `${type.name.attr}` reference to a configured literal. */
function literal(stack: Json, value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (!value.includes('${')) return value;
  const m = REF.exec(value);
  if (m === null) return undefined;
  const body = ((stack.resource as Record<string, Record<string, Json>> | undefined)?.[m[1]!] ?? {})[m[2]!];
  return body === undefined ? undefined : literal(stack, body[m[3]!]);
}

/** `override_resource` blocks with the ARNs AWS derives from names (see the file header). */
export function awsDerivedArnOverrides(stack: Json, c: MockContext): string[] {
  const resources = (stack.resource ?? {}) as Record<string, Record<string, Json>>;
  const fnArn = (name: string): string => `arn:${c.partition}:lambda:${c.region}:${c.account}:function:${name}`;
  const out: string[] = [];
  const block = (address: string, values: Record<string, string>): void => {
    out.push('override_resource {', `  target = ${address}`, '  values = {');
    for (const [k, v] of Object.entries(values)) out.push(`    ${k} = ${hclString(v)}`);
    out.push('  }', '}', '');
  };
  for (const [name, body] of Object.entries(resources.aws_lambda_function ?? {})) {
    const fn = literal(stack, body.function_name);
    if (fn !== undefined) block(`aws_lambda_function.${name}`, { arn: fnArn(fn) });
  }
  for (const [name, body] of Object.entries(resources.aws_lambda_alias ?? {})) {
    const fnRef = literal(stack, body.function_name);
    const alias = literal(stack, body.name);
    if (fnRef === undefined || alias === undefined) continue;
    const base = fnRef.startsWith('arn:') ? fnRef : fnArn(fnRef);
    block(`aws_lambda_alias.${name}`, { arn: `${base}:${alias}` });
  }
  for (const [name, body] of Object.entries(resources.aws_kinesis_stream ?? {})) {
    const stream = literal(stack, body.name);
    if (stream !== undefined) block(`aws_kinesis_stream.${name}`, { arn: `arn:${c.partition}:kinesis:${c.region}:${c.account}:stream/${stream}` });
  }
  return out;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, timeout: 20 * 60_000 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}` };
}

/**
 * Mock apply of the stack in `stackDir` (cdk.tf.json and its assets) with the AWS-derived ARNs;
 * returns every managed resource of the final state. Throws with Terraform's output when a step fails.
 */
export async function mockApplyState(stackDir: string): Promise<EvaluatedStack> {
  const checker = await TerraformChecker.create();
  const scratch = mkdtempSync(path.join(tmpdir(), 'hot-path-tf-eval-'));
  try {
    const stack = JSON.parse(readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8')) as Json;
    const pinned = pinnedAwsVersion(stack);
    if (pinned === undefined) throw new Error(`${stackDir}/cdk.tf.json pins no aws provider version`);
    const provider = await checker.provider(pinned);
    const dir = path.join(scratch, 'stack');
    cpSync(stackDir, dir, { recursive: true, filter: (from) => !/(^|\/)(\.terraform|tests)(\/|$)|\.tfstate/.test(path.relative(stackDir, from)) });
    const prepared = prepareStackJson(stack, provider.version).json;
    writeFileSync(path.join(dir, 'cdk.tf.json'), withoutImportBlocks(serializeStack(prepared)).text);
    const contexts = providerContexts(prepared);
    const context = contexts[0]!.context;
    const test = [renderMockTest(mockProvidersFor(prepared), []), ...awsDerivedArnOverrides(prepared, context), 'run "apply" {', '  command = apply', '}', ''].join('\n');
    mkdirSync(path.join(dir, 'tests'), { recursive: true });
    writeFileSync(path.join(dir, 'tests', 'evaluate.tftest.hcl'), test);
    const rc = path.join(scratch, 'terraformrc.empty');
    writeFileSync(rc, '');
    const env: NodeJS.ProcessEnv = { ...process.env, TF_CLI_CONFIG_FILE: rc, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1', TF_INPUT: '0' };
    for (const k of Object.keys(env)) if (k.startsWith('TF_CLI_ARGS') || k === 'TF_DATA_DIR' || k === 'TF_WORKSPACE') delete env[k];
    const init = run(checker.terraform, ['init', '-backend=false', '-input=false', '-no-color', `-plugin-dir=${provider.pluginDir}`], dir, env);
    if (init.code !== 0) throw new Error(`terraform init failed:\n${init.stdout}\n${init.stderr}`);
    const r = run(checker.terraform, ['test', '-json', '-verbose', '-no-color'], dir, env);
    let state: Json | undefined;
    const errors: string[] = [];
    for (const line of r.stdout.split('\n')) {
      if (!line.startsWith('{')) continue;
      const ev = JSON.parse(line) as Json;
      if (ev.type === 'test_state' && isObj(ev.test_state)) state = ev.test_state;
      if (ev.type === 'diagnostic' && isObj(ev.diagnostic) && ev.diagnostic.severity === 'error') errors.push(`${String(ev.diagnostic.summary)}: ${String(ev.diagnostic.detail ?? '')}`);
    }
    if (r.code !== 0 || state === undefined) throw new Error(`terraform test (mock apply) failed (exit ${String(r.code)}):\n${errors.join('\n')}\n${r.stderr}`);
    const root = (isObj(state.root_module) ? state.root_module : isObj(state.values) && isObj(state.values.root_module) ? state.values.root_module : {}) as Json;
    const resources = ((root.resources ?? []) as Json[])
      .filter((x) => x.mode === 'managed')
      .map((x) => ({ address: String(x.address), type: String(x.type), values: (x.values ?? {}) as Json }));
    return { resources, context, providerVersion: provider.version };
  } finally {
    checker.dispose();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** A function identifier as Lambda resolves it: `<region>:<account>:<name>` plus `:<qualifier>` when there is one. */
export function qualifiedFunctionKey(value: string, c: MockContext): string {
  // Formats CreateEventSourceMapping accepts: name, name:qualifier, partial ARN, full ARN (with or without qualifier).
  // An unqualified name means $LATEST, so both are read as one key (the conservative reading).
  const key = (region: string, account: string, name: string, qualifier: string | undefined): string =>
    `${region}:${account}:${name}${qualifier !== undefined && qualifier !== '$LATEST' ? `:${qualifier}` : ''}`;
  const full = /^arn:[^:]+:lambda:([^:]+):(\d{12}):function:([^:]+)(?::([^:]+))?$/.exec(value);
  if (full) return key(full[1]!, full[2]!, full[3]!, full[4]);
  const partial = /^(\d{12}):function:([^:]+)(?::([^:]+))?$/.exec(value);
  if (partial) return key(c.region, partial[1]!, partial[2]!, partial[3]);
  const [name, qualifier] = value.split(':');
  return key(c.region, c.account, name!, qualifier);
}
