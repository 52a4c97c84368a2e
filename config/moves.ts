/**
 * The moves file: resources that leave one stack of an environment and enter another (moving a
 * deployed environment from one stack to shards, or an event type to another shard), written by
 * `npm run migrate` and named by `stacks.moves` in the config. Synth turns each move into an
 * `import` block in the new stack and a `removed` block with `destroy = false` in the old one, so
 * Terraform moves the resources between states without destroying them and without hand-run
 * `terraform state mv` (docs/operations.md, "Moving to sharded stacks").
 */
import { z } from 'zod';

export const MOVES_VERSION = 1;

/** How a resource's import id is built at plan time. */
const importIdSchema = z.union([
  z.strictObject({ literal: z.string().min(1) }),
  z.strictObject({
    /** `arn:<partition>:<service>:<region>:<account>:<resource>` with the stack's partition, region and account. */
    arn: z.strictObject({ service: z.string().regex(/^[a-z0-9-]+$/), resource: z.string().min(1) }),
  }),
  z.strictObject({
    /** `<account>:<suffix>` with the stack's account (a Glue table: `<catalog id>:<database>:<table>`). */
    accountPrefixed: z.string().min(1),
  }),
]);

const movedResourceSchema = z.strictObject({
  /** Terraform resource type, e.g. aws_kinesis_firehose_delivery_stream. */
  type: z.string().regex(/^aws_[a-z0-9_]+$/),
  /** Address in the old stack (may be a for_each instance). */
  from: z.string().min(1),
  /** Address in the new stack. */
  to: z.string().min(1),
  /** Physical name, for people. */
  name: z.string().min(1),
  id: importIdSchema,
});

const moveSchema = z.strictObject({
  environment: z.string().min(1),
  from: z.string().min(1),
  to: z.string().min(1),
  resources: z.array(movedResourceSchema).min(1),
});

export const movesFileSchema = z.strictObject({
  version: z.literal(MOVES_VERSION),
  /** Where the file came from (git ref of the base), for people. */
  base: z.string().optional(),
  moves: z.array(moveSchema),
});

export type MovesFile = z.output<typeof movesFileSchema>;
export type Move = z.output<typeof moveSchema>;
export type MovedResource = z.output<typeof movedResourceSchema>;
export type ImportId = z.output<typeof importIdSchema>;

/** The Terraform address of a resource (type.name), or the resource of an instance address (type.name["key"] -> type.name). */
export function resourceOfAddress(address: string): string {
  const i = address.indexOf('[');
  return i === -1 ? address : address.slice(0, i);
}
