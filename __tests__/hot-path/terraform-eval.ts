/**
 * Values as Terraform evaluates them, for the hot-path tests: the state of a mock-provider apply
 * of a synthesized stack, through the project's one evaluation module, scripts/aws-rules/state.ts
 * (`mockApplyState`), which gives each resource the identity AWS derives from its name (a
 * function's and an alias's ARN, a stream's ARN, ...). This file only adapts its result to the
 * shape these tests read, and adds `qualifiedFunctionKey`.
 *
 * Sources for the identities: https://docs.aws.amazon.com/lambda/latest/dg/configuration-aliases.html
 * and https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html (FunctionName).
 */
import { mockApplyState as applyState } from '../../scripts/aws-rules/state';
import { providerContexts, type MockContext } from '../../scripts/terraform-check';

type Json = Record<string, unknown>;

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

/** Mock apply of the stack in `stackDir`; every managed resource of the final state. Throws when a step fails. */
export async function mockApplyState(stackDir: string): Promise<EvaluatedStack> {
  const applied = await applyState(stackDir, { skipValidate: true });
  if (!applied.ok || applied.state === undefined) {
    const failed = applied.result.phases.filter((p) => !p.ok);
    throw new Error(`mock apply of ${stackDir} failed:\n${failed.map((p) => `${p.phase}: ${p.diagnostics.map((d) => d.summary).join('; ')} ${p.output ?? ''}`).join('\n')}`);
  }
  return {
    resources: applied.state.resources.filter((r) => r.mode === 'managed').map((r) => ({ address: r.address, type: r.type, values: r.values as Json })),
    context: providerContexts(applied.config)[0]!.context,
    providerVersion: applied.result.provider?.version ?? 'unknown',
  };
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
