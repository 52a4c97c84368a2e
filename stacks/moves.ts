/**
 * Turns the moves of an environment (config `stacks.moves`, written by `npm run migrate`) into
 * Terraform blocks: `import` in the stack a resource moves to, `removed` with `destroy = false` in
 * the stack it leaves. Import blocks are idempotent (a resource already in the state is not imported
 * again) and a `removed` block of a resource no longer in the state does nothing, so the blocks may
 * stay until the moves file is deleted.
 */
import type { TerraformStack } from 'cdktf';
import type { EnvironmentSpec } from '../config/model';
import { resourceOfAddress, type ImportId } from '../config/moves';
import type { AwsContext } from '../modules/aws-context';

function importId(id: ImportId, context: AwsContext): string {
  if ('literal' in id) return id.literal;
  if ('accountPrefixed' in id) return `${context.accountId}:${id.accountPrefixed}`;
  return context.arn(id.arn.service, id.arn.resource);
}

export interface MoveBlocks {
  readonly imports: readonly { readonly to: string; readonly id: string }[];
  /** Resource addresses removed from this stack's state without being destroyed. */
  readonly removed: readonly string[];
}

/** The import and removed blocks of one stack. */
export function moveBlocks(env: EnvironmentSpec, stackId: string, context: AwsContext): MoveBlocks {
  const imports = env.moves
    .filter((m) => m.to === stackId)
    .flatMap((m) => m.resources.map((r) => ({ to: r.to, id: importId(r.id, context) })));
  const removed = [
    ...new Set(env.moves.filter((m) => m.from === stackId).flatMap((m) => m.resources.map((r) => resourceOfAddress(r.from)))),
  ].sort();
  return { imports, removed };
}

/** Adds the stack's import and removed blocks (Terraform 1.7 or later: `required_version` is 1.11). */
export function addMoveBlocks(stack: TerraformStack, env: EnvironmentSpec, stackId: string, context: AwsContext): MoveBlocks {
  const blocks = moveBlocks(env, stackId, context);
  if (blocks.imports.length > 0) stack.addOverride('import', blocks.imports.map((i) => ({ to: i.to, id: i.id })));
  if (blocks.removed.length > 0) stack.addOverride('removed', blocks.removed.map((from) => ({ from, lifecycle: { destroy: false } })));
  return blocks;
}

/** Whether this environment's resources are moving out of its core (or single) stack, i.e. to shards. */
export function movingOutOf(env: EnvironmentSpec, stackId: string): boolean {
  return env.moves.some((m) => m.from === stackId);
}
