/**
 * What Terraform evaluates for a synthesized stack, read from a mock-provider apply.
 *
 * `terraform test -json -verbose` prints, after each run, the plan (`test_plan`) or the state
 * (`test_state`) in Terraform's JSON renderer format. The checker of scripts/terraform-check.ts
 * keeps both when created with `mockState` (the same runs `npm run validate` makes, so the rules
 * cost no extra Terraform time there). This module:
 *
 *   - gives the mock provider realistic identities: an `override_resource` block per resource that
 *     sets its computed ARNs, ids and URLs as AWS would build them from the configured name (a
 *     Lambda function `acme-dev-router` gets `arn:aws:lambda:<region>:<account>:function:acme-dev-router`),
 *     so that references between resources evaluate to distinct, well-formed values instead of the
 *     mock provider's random strings or one shared default;
 *   - turns the runs' output into a `MockState`: every resource instance with its applied values,
 *     plus what was still unknown when Terraform planned it (`after_unknown`), which tells values
 *     set by the configuration from values the (mock) provider computed;
 *   - offers `mockApplyState(stackDir)`, the reusable entry point (the rules check, and the local
 *     pipeline runtime that starts a local counterpart of each resource).
 *
 * Only the scratch copy that terraform-check makes is run; the synthesized folder is never written.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  providerContexts,
  TerraformCheckError,
  TerraformChecker,
  type CheckerOptions,
  type MockContext,
  type MockProvider,
  type MockRunOutput,
  type MockStateOptions,
  type ResourceOverride,
  type StackResult,
} from '../terraform-check';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------
// The state
// ---------------------------------------------------------------------------------------------

/** One resource or data source instance of the applied mock state. */
export interface StateResource {
  /** Full address, such as `aws_s3_object.catalog` or `module.m.aws_x.y["k"]`. */
  readonly address: string;
  readonly mode: 'managed' | 'data';
  readonly type: string;
  readonly name: string;
  /** count index or for_each key, when the resource has one. */
  readonly index?: string | number;
  /** Attribute values after the mock apply: configured values as Terraform evaluated them, computed ones from the mock. */
  readonly values: Readonly<Json>;
  /**
   * The plan's `after_unknown` for this instance: `true` where a value was not known when
   * Terraform planned (computed by the provider, or derived from such a value). Undefined when the
   * plan did not list the instance (data sources, for example).
   */
  readonly unknownAtPlan?: unknown;
  /** The resource's block in the synthesized cdk.tf.json, when the state was read with it (shared by count/for_each instances). */
  readonly config?: Readonly<Json>;
}

/** The applied state of one stack's mock apply. */
export interface MockState {
  readonly resources: readonly StateResource[];
  /** Root module outputs: name -> { value, sensitive }. */
  readonly outputs: Readonly<Record<string, unknown>>;
}

/** The resources of a renderer-format module (its child modules included), flattened. */
function moduleResources(mod: unknown, into: Json[]): void {
  if (!isObj(mod)) return;
  if (Array.isArray(mod.resources)) for (const r of mod.resources) if (isObj(r)) into.push(r);
  if (Array.isArray(mod.child_modules)) for (const c of mod.child_modules) moduleResources(c, into);
}

/**
 * The state of a stack's mock runs (`StackResult.mockOutput`), or undefined when the apply run
 * printed none. With the stack's synthesized JSON, each root-module resource carries its block
 * (`config`), which tells the attributes the configuration sets from those the provider computes.
 */
export function mockStateFromOutput(output: MockRunOutput | undefined, stack?: Json): MockState | undefined {
  const state = output?.state;
  if (state === undefined) return undefined;
  const unknown = new Map<string, unknown>();
  const changes = output?.plan?.resource_changes;
  if (Array.isArray(changes)) {
    for (const c of changes) {
      if (isObj(c) && typeof c.address === 'string' && isObj(c.change)) unknown.set(c.address, c.change.after_unknown);
    }
  }
  const raw: Json[] = [];
  moduleResources(state.root_module, raw);
  const blocks = isObj(stack?.resource) ? stack.resource : {};
  const resources = raw.map((r): StateResource => {
    const address = String(r.address ?? '');
    const index = typeof r.index === 'string' || typeof r.index === 'number' ? r.index : undefined;
    const byType = r.mode === 'managed' && !address.startsWith('module.') ? blocks[String(r.type)] : undefined;
    const config = isObj(byType) ? byType[String(r.name)] : undefined;
    return {
      address,
      mode: r.mode === 'data' ? 'data' : 'managed',
      type: String(r.type ?? ''),
      name: String(r.name ?? ''),
      ...(index !== undefined ? { index } : {}),
      values: isObj(r.values) ? r.values : {},
      ...(unknown.has(address) ? { unknownAtPlan: unknown.get(address) } : {}),
      ...(isObj(config) ? { config } : {}),
    };
  });
  return { resources, outputs: isObj(state.outputs) ? state.outputs : {} };
}

/** A path into a resource's values: attribute names and list indexes, such as `['rule', 0, 'filter', 0, 'prefix']`. */
export type ValuePath = readonly (string | number)[];

/** The value at `path` of a value tree, or undefined. */
export function valueAt(root: unknown, p: ValuePath): unknown {
  let v: unknown = root;
  for (const k of p) {
    if (typeof k === 'number') v = Array.isArray(v) ? v[k] : undefined;
    else v = isObj(v) ? v[k] : undefined;
    if (v === undefined) return undefined;
  }
  return v;
}

/**
 * Whether the value at `path` was known when Terraform planned: true for values the configuration
 * set (as Terraform evaluated them), false for values the provider computed (the mock's random
 * strings and zeros) or derived from them. Without plan information, true.
 */
export function knownAtPlan(r: StateResource, p: ValuePath): boolean {
  let mask: unknown = r.unknownAtPlan;
  if (mask === undefined) return true;
  for (const k of p) {
    if (mask === true) return false;
    if (typeof k === 'number') mask = Array.isArray(mask) ? mask[k] : undefined;
    else mask = isObj(mask) ? mask[k] : undefined;
    if (mask === undefined || mask === false) return true;
  }
  return mask !== true;
}

/**
 * Whether the configuration block sets the attribute at `path` (a literal or an expression; an
 * expression that yields a whole block or list covers everything under it). Nested blocks are
 * written as a list or, when single, as an object; `dynamic` blocks count as set.
 */
export function setInConfig(block: unknown, p: ValuePath): boolean {
  let v: unknown = block;
  for (const k of p) {
    if (typeof v === 'string') return v.includes('${');
    if (typeof k === 'number') {
      if (Array.isArray(v)) v = v[k];
      else if (!(isObj(v) && k === 0)) return false;
    } else {
      if (!isObj(v)) return false;
      if (!(k in v)) return isObj(v.dynamic) && k in v.dynamic;
      v = v[k];
    }
    if (v === undefined || v === null) return false;
  }
  return true;
}

/**
 * The value at `path` when the configuration set it, as Terraform evaluated it (references to
 * other resources included); undefined when the provider computed it (here: the mock provider's
 * made-up strings and zeros). Decided by the resource's configuration block when the state was
 * read with it, else by the plan (known when planned).
 */
export function configured(r: StateResource, p: ValuePath): unknown {
  const set = r.config !== undefined ? setInConfig(r.config, p) : knownAtPlan(r, p);
  return set ? valueAt(r.values, p) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Realistic identities for the mock provider
// ---------------------------------------------------------------------------------------------

/** A string without template sequences, or undefined. */
function literal(v: unknown): string | undefined {
  return typeof v === 'string' && !v.includes('${') && !v.includes('%{') ? v : undefined;
}

const WHOLE_REFERENCE = /^\$\{(aws_[a-z0-9_]+)\.([A-Za-z_][\w-]*)\.([a-z_][a-z0-9_]*)\}$/;

/** 32 hex digits from a text, as a UUID (KMS key ids). */
function uuidOf(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** A 10-character lowercase id from a text (API Gateway API ids look like this). */
function shortIdOf(text: string): string {
  const h = createHash('sha256').update(text).digest();
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < 10; i++) s += alphabet[h[i]! % alphabet.length];
  return s;
}

interface ResourceBlock {
  readonly type: string;
  readonly name: string;
  readonly config: Json;
  readonly context: MockContext;
  readonly alias?: string;
}

/**
 * Computed identity attributes of every resource of a stack (address -> attribute -> value), as
 * AWS builds them from the configured names: ARNs, ids that are names or ARNs, URLs, KMS key ids.
 * Names that are not literals in the stack (rare; `${...}` expressions) get a stable made-up name
 * from the address, so that two resources never share an identity. Resources with `count` or
 * `for_each` are left to the mock defaults (no single literal name; the project's stacks have none).
 */
export function identityValues(stack: Json): Map<string, Record<string, string>> {
  const contexts = providerContexts(stack);
  const contextOf = (provider: unknown): { context: MockContext; alias?: string } => {
    const alias = typeof provider === 'string' ? /^aws\.(.+)$/.exec(provider)?.[1] : undefined;
    const found = contexts.find((c) => c.alias === alias) ?? contexts.find((c) => c.alias === undefined) ?? contexts[0]!;
    return alias !== undefined ? { context: found.context, alias } : { context: found.context };
  };
  const blocks = new Map<string, ResourceBlock>();
  const resources = isObj(stack.resource) ? stack.resource : {};
  for (const [type, byName] of Object.entries(resources)) {
    if (!isObj(byName)) continue;
    for (const [name, config] of Object.entries(byName)) {
      if (!isObj(config) || config.count !== undefined || config.for_each !== undefined) continue;
      blocks.set(`${type}.${name}`, { type, name, config, ...contextOf(config.provider) });
    }
  }
  const memo = new Map<string, Record<string, string> | undefined>();
  const visiting = new Set<string>();

  /** A configured attribute: its literal value, or the value of the single reference it holds. */
  const resolve = (v: unknown): string | undefined => {
    const lit = literal(v);
    if (lit !== undefined) return lit;
    const m = typeof v === 'string' ? WHOLE_REFERENCE.exec(v) : null;
    if (!m) return undefined;
    const address = `${m[1]}.${m[2]}`;
    const attr = m[3]!;
    const target = blocks.get(address);
    const own = target !== undefined ? literal(target.config[attr]) : undefined;
    return own ?? identityOf(address)?.[attr];
  };

  const identityOf = (address: string): Record<string, string> | undefined => {
    if (memo.has(address)) return memo.get(address);
    const b = blocks.get(address);
    if (b === undefined || visiting.has(address)) return undefined;
    visiting.add(address);
    const values = compute(b, address);
    visiting.delete(address);
    memo.set(address, values);
    return values;
  };

  const compute = (b: ResourceBlock, address: string): Record<string, string> | undefined => {
    const { partition: p, region: r, account: a } = b.context;
    // Made-up ids depend on the block and its provider too, so that the same address in two
    // stacks (an environment's core and another's, checked together) never shares an identity.
    const seed = `${address}\n${p}:${r}:${a}\n${JSON.stringify(b.config)}`;
    const made = `mock-${shortIdOf(seed)}`;
    const nameOf = (attr: string): string => literal(b.config[attr]) ?? made;
    switch (b.type) {
      case 'aws_lambda_function': {
        const name = nameOf('function_name');
        const arn = `arn:${p}:lambda:${r}:${a}:function:${name}`;
        const version = b.config.publish === true ? '1' : '$LATEST';
        const invoke = (fn: string): string => `arn:${p}:apigateway:${r}:lambda:path/2015-03-31/functions/${fn}/invocations`;
        return { id: name, arn, qualified_arn: `${arn}:${version}`, version, invoke_arn: invoke(arn), qualified_invoke_arn: invoke(`${arn}:${version}`) };
      }
      case 'aws_lambda_alias': {
        const fn = resolve(b.config.function_name);
        // The function's unqualified ARN (a name, or an ARN whose qualifier, if any, is dropped).
        const fnArn =
          fn === undefined
            ? `arn:${p}:lambda:${r}:${a}:function:${made}`
            : fn.startsWith('arn:')
              ? fn.split(':').slice(0, 7).join(':')
              : `arn:${p}:lambda:${r}:${a}:function:${fn}`;
        const arn = `${fnArn}:${nameOf('name')}`;
        return { arn, id: arn, invoke_arn: `arn:${p}:apigateway:${r}:lambda:path/2015-03-31/functions/${arn}/invocations` };
      }
      case 'aws_s3_bucket': {
        const name = nameOf('bucket');
        return {
          id: name,
          arn: `arn:${p}:s3:::${name}`,
          bucket_domain_name: `${name}.s3.amazonaws.com`,
          bucket_regional_domain_name: `${name}.s3.${r}.amazonaws.com`,
        };
      }
      case 'aws_kinesis_stream': {
        const arn = `arn:${p}:kinesis:${r}:${a}:stream/${nameOf('name')}`;
        return { id: arn, arn };
      }
      case 'aws_kinesis_stream_consumer': {
        const stream = resolve(b.config.stream_arn) ?? `arn:${p}:kinesis:${r}:${a}:stream/${made}`;
        const arn = `${stream}/consumer/${nameOf('name')}:1700000000`;
        return { id: arn, arn };
      }
      case 'aws_kinesis_firehose_delivery_stream': {
        const arn = `arn:${p}:firehose:${r}:${a}:deliverystream/${nameOf('name')}`;
        return { id: arn, arn };
      }
      case 'aws_sqs_queue': {
        const name = nameOf('name');
        const url = `https://sqs.${r}.amazonaws.com/${a}/${name}`;
        return { id: url, url, arn: `arn:${p}:sqs:${r}:${a}:${name}` };
      }
      case 'aws_sns_topic': {
        const arn = `arn:${p}:sns:${r}:${a}:${nameOf('name')}`;
        return { id: arn, arn };
      }
      case 'aws_kms_key': {
        const keyId = uuidOf(seed);
        return { id: keyId, key_id: keyId, arn: `arn:${p}:kms:${r}:${a}:key/${keyId}` };
      }
      case 'aws_kms_alias': {
        const name = nameOf('name');
        const target = resolve(b.config.target_key_id);
        const keyArn = target === undefined ? undefined : target.startsWith('arn:') ? target : `arn:${p}:kms:${r}:${a}:key/${target}`;
        return { id: name, arn: `arn:${p}:kms:${r}:${a}:${name}`, ...(keyArn !== undefined ? { target_key_arn: keyArn } : {}) };
      }
      case 'aws_iam_role': {
        const name = nameOf('name');
        const rolePath = literal(b.config.path) ?? '/';
        return { id: name, arn: `arn:${p}:iam::${a}:role${rolePath}${name}`, unique_id: `AROA${shortIdOf(seed).toUpperCase()}` };
      }
      case 'aws_iam_policy': {
        const arn = `arn:${p}:iam::${a}:policy${literal(b.config.path) ?? '/'}${nameOf('name')}`;
        return { id: arn, arn };
      }
      case 'aws_cloudwatch_log_group': {
        const name = nameOf('name');
        return { id: name, arn: `arn:${p}:logs:${r}:${a}:log-group:${name}` };
      }
      case 'aws_dynamodb_table': {
        const name = nameOf('name');
        const arn = `arn:${p}:dynamodb:${r}:${a}:table/${name}`;
        return { id: name, arn, stream_arn: `${arn}/stream/2024-01-01T00:00:00.000`, stream_label: '2024-01-01T00:00:00.000' };
      }
      case 'aws_apigatewayv2_api': {
        const id = shortIdOf(seed);
        return {
          id,
          arn: `arn:${p}:apigateway:${r}::/apis/${id}`,
          execution_arn: `arn:${p}:execute-api:${r}:${a}:${id}`,
          api_endpoint: `https://${id}.execute-api.${r}.amazonaws.com`,
        };
      }
      case 'aws_glue_catalog_database': {
        const name = nameOf('name');
        return { id: `${a}:${name}`, arn: `arn:${p}:glue:${r}:${a}:database/${name}` };
      }
      case 'aws_athena_workgroup': {
        const name = nameOf('name');
        return { id: name, arn: `arn:${p}:athena:${r}:${a}:workgroup/${name}` };
      }
      case 'aws_cloudwatch_event_rule': {
        const name = nameOf('name');
        return { id: name, arn: `arn:${p}:events:${r}:${a}:rule/${name}` };
      }
      case 'aws_ssm_parameter': {
        const name = nameOf('name');
        return { id: name, arn: `arn:${p}:ssm:${r}:${a}:parameter/${name.replace(/^\//, '')}` };
      }
      case 'aws_cloudwatch_metric_alarm': {
        const name = nameOf('alarm_name');
        return { id: name, arn: `arn:${p}:cloudwatch:${r}:${a}:alarm:${name}` };
      }
      case 'aws_cloudwatch_dashboard': {
        const name = nameOf('dashboard_name');
        return { id: name, dashboard_arn: `arn:${p}:cloudwatch::${a}:dashboard/${name}` };
      }
      default:
        return undefined;
    }
  };

  const out = new Map<string, Record<string, string>>();
  for (const address of blocks.keys()) {
    const v = identityOf(address);
    if (v !== undefined) out.set(address, v);
  }
  return out;
}

/**
 * `override_resource` blocks for one mock provider: the identities of the stack's resources that
 * use this provider configuration (the default one when `alias` is undefined). Attributes the
 * configuration sets keep their configured values: Terraform applies overrides to computed
 * attributes only.
 */
export function identityOverrides(stack: Json, alias?: string): ResourceOverride[] {
  const values = identityValues(stack);
  const resources = isObj(stack.resource) ? stack.resource : {};
  const out: ResourceOverride[] = [];
  for (const [address, v] of values) {
    const [type, ...rest] = address.split('.');
    const config = isObj(resources[type!]) ? (resources[type!] as Json)[rest.join('.')] : undefined;
    const provider = isObj(config) && typeof config.provider === 'string' ? /^aws\.(.+)$/.exec(config.provider)?.[1] : undefined;
    if (provider === alias) out.push({ target: address, values: v });
  }
  return out;
}

/** The checker options that keep the mock runs' plan and state, with realistic identities. */
export function mockStateOptions(opts: { readonly skipValidate?: boolean } = {}): MockStateOptions {
  return {
    providers: (stack, providers) => providers.map((p): MockProvider => ({ ...p, overrides: [...(p.overrides ?? []), ...identityOverrides(stack, p.alias)] })),
    ...(opts.skipValidate !== undefined ? { skipValidate: opts.skipValidate } : {}),
  };
}

/** A checker whose results carry the mock runs' plan and state (`StackResult.mockOutput`). */
export function createStateChecker(opts: CheckerOptions & { readonly skipValidate?: boolean } = {}): Promise<TerraformChecker> {
  const { skipValidate, ...rest } = opts;
  return TerraformChecker.create({ ...rest, mockState: mockStateOptions(skipValidate !== undefined ? { skipValidate } : {}) });
}

// ---------------------------------------------------------------------------------------------
// mockApplyState
// ---------------------------------------------------------------------------------------------

export interface MockApplyResult {
  /** True when every phase passed and the apply run printed a state. */
  readonly ok: boolean;
  /** The checker's result: phases, diagnostics, the provider used and its version skew. */
  readonly result: StackResult;
  /** The applied state, when the apply run got that far. */
  readonly state?: MockState;
  /** The stack's cdk.tf.json as synthesized (for what the state does not hold, such as provider default tags). */
  readonly config: Json;
}

/**
 * Mock apply of one synthesized stack folder (`<outdir>/stacks/<id>`): init, validate (unless
 * `skipValidate`), a mock plan and a mock apply on a scratch copy, and the applied state with every
 * resource's attribute values as Terraform evaluated them. Pass `checker` (from
 * `createStateChecker`) to reuse one across stacks; otherwise one is created and disposed.
 * Costs what a mock plan and apply cost: seconds for the example stacks, about a minute for a
 * 1,000-type stack (docs/terraform-check.md).
 */
export async function mockApplyState(
  stackDir: string,
  opts: CheckerOptions & { readonly checker?: TerraformChecker; readonly label?: string; readonly skipValidate?: boolean } = {},
): Promise<MockApplyResult> {
  const { checker: given, label, skipValidate, ...checkerOptions } = opts;
  const checker = given ?? (await createStateChecker({ ...checkerOptions, ...(skipValidate !== undefined ? { skipValidate } : {}) }));
  try {
    const dir = path.resolve(stackDir);
    const result = await checker.checkStack({ id: path.basename(dir), dir, ...(label !== undefined ? { label } : {}) });
    if (result.ok && result.mockOutput === undefined) {
      throw new TerraformCheckError('mockApplyState: the checker keeps no mock output; create it with createStateChecker()');
    }
    const config = JSON.parse(readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8')) as Json;
    const state = mockStateFromOutput(result.mockOutput, config);
    return { ok: result.ok && state !== undefined, result, ...(state !== undefined ? { state } : {}), config };
  } finally {
    if (given === undefined) checker.dispose();
  }
}
