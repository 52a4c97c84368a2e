/** Shared helpers of the operations tests: configs as YAML text, and synthesis of one construct set. */
import { TerraformStack, Testing } from 'cdktf';
import { stringify } from 'yaml';
import { parseConfig } from '../../config/loader';
import type { EnvironmentSpec } from '../../config/model';
import { Alarms } from '../../modules/alarms';
import { AwsContext } from '../../modules/aws-context';
import { Dashboard } from '../../modules/dashboard';
import { instancesOf, type StackJson } from '../helpers/deploy';

export interface EventTypeInput {
  readonly name: string;
  readonly transform?: 'lambda' | 'native';
}

export interface ConfigInput {
  readonly eventTypes?: readonly EventTypeInput[];
  readonly rootStream?: boolean;
  readonly alarms?: Record<string, unknown>;
  readonly backend?: Record<string, unknown>;
  readonly timeoutSeconds?: number;
}

/** A one-environment (`dev`), one-application (`shop`) tracking config. */
export function configYaml(input: ConfigInput = {}): string {
  const types = input.eventTypes ?? [{ name: 'page_view' }, { name: 'checkout', transform: 'native' }];
  return stringify({
    project: 'acme',
    ...(input.timeoutSeconds !== undefined ? { defaults: { transformFunction: { timeoutSeconds: input.timeoutSeconds } } } : {}),
    environments: {
      dev: {
        region: 'eu-central-1',
        ...(input.rootStream ? { rootStream: { enabled: true } } : {}),
        ...(input.alarms ? { alarms: input.alarms } : {}),
        ...(input.backend ? { backend: input.backend } : {}),
      },
    },
    applications: [
      { name: 'shop', eventTypes: types.map((t) => (t.transform ? { name: t.name, transform: t.transform } : t.name)) },
    ],
  });
}

export function envOf(yamlText: string): EnvironmentSpec {
  const env = parseConfig(yamlText).environments[0];
  if (env === undefined) throw new Error('config has no environment');
  return env;
}

/** Synthesized Terraform JSON of the alarms and the dashboard of an environment. */
export interface SynthJson {
  readonly resource: Record<string, Record<string, Record<string, unknown>>>;
  readonly terraform?: { readonly backend?: Record<string, Record<string, unknown>> };
}

/**
 * The alarms and the dashboard of an environment as the single stack has them: environment-wide
 * alarms, the transform function's alarms and the per-stream alarms in one `alarms` construct.
 */
export function synthOps(env: EnvironmentSpec): SynthJson {
  const out = Testing.synthScope((scope) => {
    const context = new AwsContext(scope, 'context', { region: env.region });
    const lambda = env.eventTypes.some((t) => t.transform === 'lambda');
    if (env.alarms.enabled) {
      new Alarms(scope, 'alarms', {
        env,
        context,
        eventTypes: env.eventTypes,
        ...(lambda ? { transformFunction: { functionName: env.transformFunction.functionName, timeoutSeconds: env.transformFunction.timeoutSeconds } } : {}),
      });
    }
    new Dashboard(scope, 'dashboard', { env });
  });
  return JSON.parse(out) as SynthJson;
}

export function synthStack(fn: (stack: TerraformStack) => void): SynthJson {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'test');
  fn(stack);
  return JSON.parse(Testing.synth(stack)) as SynthJson;
}

/**
 * The resources of a type as Terraform will manage them: plain resources as they are, `for_each`
 * resources expanded to one object per key with `${each.value.*}` filled in.
 */
export function resourcesOf(json: SynthJson, type: string): Record<string, unknown>[] {
  return [...instancesOf(json as StackJson, type).values()];
}
