/**
 * Test helper: values as Terraform evaluates them. Synthesizes a config with the built app
 * (`dist/main.js`, what `npm run synth` runs), then, for every stack, a scratch copy gets
 * `terraform init -backend=false` from the local provider mirror and `terraform test -verbose` with
 * a mock AWS provider and one `command = apply` run. `-verbose` prints the state of the mock apply:
 * every attribute the configuration sets, after Terraform has evaluated its templates (`$${` read
 * as a literal `${`, references resolved). Computed attributes the configuration leaves open hold
 * the mock provider's made-up values and mean nothing.
 *
 * The scratch copy differs from the synthesized stack only as scripts/terraform-check.ts makes it
 * differ (no backend, the mirror's provider version, no import blocks); the same functions do it.
 * Without terraform or the mirror, `stateOf` throws with the install instructions: a test that
 * needs it fails, it never passes silently.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  findProviderMirror,
  findTerraform,
  mockProvidersFor,
  prepareStackJson,
  renderMockTest,
  serializeStack,
  synthConfig,
  terraformMissingMessage,
  withoutImportBlocks,
  type StackInput,
} from '../../scripts/terraform-check';

const ROOT = path.join(__dirname, '..', '..');

type Json = Record<string, unknown>;

/** One resource instance of a mock-applied state (`terraform show -json` format). */
export interface StateResource {
  readonly address: string;
  readonly type: string;
  readonly name: string;
  readonly values: Json;
}

/** The mock-applied state of one stack. */
export interface StackState {
  readonly id: string;
  /** The synthesized `cdk.tf.json`, as synth wrote it. */
  readonly synthesized: Json;
  readonly resources: readonly StateResource[];
}

/** Resources of one type. */
export function ofType(state: StackState, type: string): StateResource[] {
  return state.resources.filter((r) => r.type === type);
}

/** A scratch folder for one test file; `dispose` removes it. */
export interface Workspace {
  readonly dir: string;
  dispose(): void;
}

export function workspace(label: string): Workspace {
  const dir = mkdtempSync(path.join(tmpdir(), `tf-state-${label}-`));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes `yaml` to `<work>/<label>.yaml` and synthesizes it with `dist/main.js`. */
export function synthYaml(work: string, label: string, yaml: string): StackInput[] {
  const config = path.join(work, `${label}.yaml`);
  writeFileSync(config, yaml);
  return [...synthConfig({ root: ROOT, config, outdir: path.join(work, label, 'out'), label }).stacks];
}

let mirrorFound: ReturnType<typeof findProviderMirror> | null | undefined;

/** Mock-applies one synthesized stack and returns its state. */
export function stateOf(stack: StackInput, work: string): StackState {
  const terraform = findTerraform();
  if (terraform === undefined) throw new Error(terraformMissingMessage());
  mirrorFound ??= findProviderMirror() ?? null;
  const mirror = mirrorFound ?? undefined;
  const version = mirror?.versions[0];
  if (mirror === undefined || version === undefined) throw new Error('no local hashicorp/aws provider mirror (see /work/shared/gotchas.md; TRACKING_TF_PLUGIN_DIR names one)');
  const synthesized = JSON.parse(readFileSync(path.join(stack.dir, 'cdk.tf.json'), 'utf8')) as Json;
  const dir = path.join(work, 'scratch', `${stack.label ?? 'stacks'}-${stack.id}`);
  rmSync(dir, { recursive: true, force: true });
  cpSync(stack.dir, dir, { recursive: true });
  const prepared = prepareStackJson(synthesized, version).json;
  writeFileSync(path.join(dir, 'cdk.tf.json'), withoutImportBlocks(serializeStack(prepared)).text);
  mkdirSync(path.join(dir, 'tests'), { recursive: true });
  writeFileSync(path.join(dir, 'tests', 'state.tftest.hcl'), renderMockTest(mockProvidersFor(prepared), ['apply']));
  const cliConfig = path.join(work, 'terraformrc.empty');
  writeFileSync(cliConfig, '');
  const env: NodeJS.ProcessEnv = { ...process.env, TF_CLI_CONFIG_FILE: cliConfig, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1', TF_INPUT: '0' };
  for (const k of Object.keys(env)) if (k.startsWith('TF_CLI_ARGS')) delete env[k];
  const run = (args: string[]): string => {
    const r = spawnSync(terraform, args, { cwd: dir, env, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, timeout: 600_000 });
    if (r.error !== undefined || r.status !== 0) {
      throw new Error(`terraform ${args.join(' ')} in ${dir} failed (${r.error?.message ?? `exit ${String(r.status)}`}):\n${(r.stderr ?? '').slice(-4000)}\n${(r.stdout ?? '').slice(-4000)}`);
    }
    return r.stdout;
  };
  run(['init', '-backend=false', '-input=false', '-no-color', `-plugin-dir=${mirror.root}`]);
  const out = run(['test', '-verbose', '-json', '-no-color']);
  const line = out.split('\n').find((l) => l.includes('"type":"test_state"'));
  if (line === undefined) throw new Error(`terraform test -verbose printed no state for ${stack.id}:\n${out.slice(-4000)}`);
  const state = (JSON.parse(line) as { test_state: { root_module?: { resources?: StateResource[] } } }).test_state;
  return { id: stack.id, synthesized, resources: state.root_module?.resources ?? [] };
}
