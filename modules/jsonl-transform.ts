import type { Construct } from 'constructs';
import type { EventContract } from '../config/contracts';
import { CONTRACT_TABLE_FILE, type ContractTable } from '../functions/jsonl-transform/table';
import type { AwsContext } from './aws-context';
import type { ExtraFileBytes } from './bundle';
import { buildContractTable, contractTableFile } from './contracts';
import { NodejsFunction } from './nodejs-function';

/** One event type a transform function serves (structurally a subset of EventTypeSpec). */
export interface TransformedEventType {
  /** `<application>/<eventType>`. */
  readonly key: string;
  readonly deliveryStreamName: string;
  /** Only `lambda` types are served; `native` ones never invoke the function. */
  readonly transform: 'lambda' | 'native';
  /** The resolved contract, when the event type has a schema. */
  readonly contract?: EventContract;
}

export interface JsonlTransformFunctionProps {
  /** Physical function name, from `config/naming`. */
  readonly functionName: string;
  readonly context: AwsContext;
  /** Retention of the function's log group, in days. */
  readonly logRetentionDays: number;
  /** Environment name: the `Environment` dimension of the SchemaViolations metric. */
  readonly environment: string;
  /**
   * The event types whose delivery streams invoke this function: in the single-stack layout every
   * type of the environment, in the sharded layout the types of this shard. Their compiled
   * schemas, and nothing else, go into the function's contract table.
   */
  readonly eventTypes: readonly TransformedEventType[];
  /** @default 512 */
  readonly memoryMiB?: number;
  /** @default 60 */
  readonly timeoutSeconds?: number;
  /**
   * Asset folder under `dist/assets/` (one per function: the contract tables differ).
   * @default the function name
   */
  readonly assetName?: string;
  /** @default 'Turns Firehose records into JSON lines and enforces event contracts; bad records go to the error prefix' */
  readonly description?: string;
}

/** Defaults, as pure data. */
export const JSONL_TRANSFORM_DEFAULTS = {
  memoryMiB: 512,
  timeoutSeconds: 60,
  description: 'Turns Firehose records into JSON lines and enforces event contracts; bad records go to the error prefix',
} as const;

/**
 * The JSONL transform Lambda of one stack group, with the contracts of exactly the event types it
 * serves compiled into its asset (`contracts.json.gz` next to `index.js`). Adding an event type
 * changes only the function of its own group. The function picks the contract from the
 * invocation's `deliveryStreamArn`; a stream missing from its table fails the invocation
 * (docs/transform.md, "Unknown delivery streams").
 *
 * It is a NodejsFunction (same children, same Terraform addresses as the plain function it
 * replaces: the single-stack layout moves nothing).
 */
export class JsonlTransformFunction extends NodejsFunction {
  /** The contract table shipped with the function. */
  public readonly table: ContractTable;
  /** Delivery stream names the function serves, sorted. */
  public readonly streamNames: readonly string[];

  public constructor(scope: Construct, id: string, props: JsonlTransformFunctionProps) {
    const o = { ...JSONL_TRANSFORM_DEFAULTS, ...definedOnly(props) };
    const table = buildContractTable(
      props.environment,
      props.eventTypes
        .filter((t) => t.transform === 'lambda')
        .map((t) => ({ key: t.key, deliveryStreamName: t.deliveryStreamName, ...(t.contract ? { contract: t.contract } : {}) })),
    );
    super(scope, id, {
      source: 'jsonl-transform',
      functionName: props.functionName,
      description: o.description,
      context: props.context,
      logRetentionDays: props.logRetentionDays,
      memoryMiB: o.memoryMiB,
      timeoutSeconds: o.timeoutSeconds,
      assetName: props.assetName ?? props.functionName,
      // The compiled contract table (gzip bytes) next to index.js; its hash covers the uncompressed text.
      extraFiles: { [CONTRACT_TABLE_FILE]: contractTableFile(table) as ExtraFileBytes },
    });
    this.table = table;
    this.streamNames = Object.keys(table.streams);
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
