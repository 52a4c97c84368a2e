import * as path from 'node:path';
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { schemaViolationsEmf } from './metrics';
import { ContractRegistry, CONTRACT_TABLE_FILE, readContractTable, streamNameFromArn, UnknownDeliveryStreamError } from './table';
import { InvalidEventError, transformEvent } from './transform';

export type TransformHandler = (event: FirehoseTransformationEvent) => Promise<FirehoseTransformationResult>;

export interface HandlerOptions {
  /**
   * Where the log lines go.
   * @default console.log
   */
  readonly log?: (line: string) => void;
  /**
   * Clock for the metric timestamps.
   * @default Date.now
   */
  readonly now?: () => number;
}

/**
 * Firehose data-transformation Lambda: records -> JSON lines, validated against the stream's
 * contract (see ./transform.ts, ./contract.ts and docs/transform.md). Thin on purpose: find the
 * stream's contract, transform, log one structured line (counts only, never payloads) and, when
 * events violated their schema, one Embedded Metric Format line; return.
 *
 * The contract table is read once per instance, on the first invocation. A stream the table
 * does not list fails the whole invocation (UnknownDeliveryStreamError): its records must not
 * pass unvalidated. Firehose then retries the invocation and writes the records to the
 * processing-failed error prefix, and the transform alarms fire.
 */
export function createHandler(loadRegistry: () => ContractRegistry, options: HandlerOptions = {}): TransformHandler {
  const log = options.log ?? ((line: string) => console.log(line));
  const now = options.now ?? Date.now;
  let registry: ContractRegistry | undefined;
  return async (event) => {
    registry ??= loadRegistry();
    const deliveryStreamArn = (event as { deliveryStreamArn?: unknown } | null | undefined)?.deliveryStreamArn;
    const stream = streamNameFromArn(deliveryStreamArn);
    if (stream === undefined) throw new InvalidEventError('event.deliveryStreamArn is not a Firehose delivery stream ARN');
    let lookup: ReturnType<ContractRegistry['lookup']>;
    try {
      lookup = registry.lookup(stream);
    } catch (err) {
      if (err instanceof UnknownDeliveryStreamError) {
        log(
          JSON.stringify({
            level: 'error',
            message: 'jsonl-transform: unknown delivery stream',
            invocationId: event.invocationId,
            deliveryStreamArn,
            records: Array.isArray(event.records) ? event.records.length : 0,
            error: err.message,
          }),
        );
      }
      throw err;
    }
    const { contract } = lookup;
    const { response, summary } = transformEvent(event, contract);
    log(
      JSON.stringify({
        level: summary.processingFailed > 0 || summary.schemaViolations > 0 ? 'warn' : 'info',
        message: 'jsonl-transform',
        invocationId: event.invocationId,
        deliveryStreamArn,
        eventType: lookup.key,
        contract: contract?.mode ?? 'none',
        ...summary,
      }),
    );
    if (contract !== undefined && summary.schemaViolations > 0) {
      log(schemaViolationsEmf(registry.environment, stream, contract.mode, summary.schemaViolations, now()));
    }
    return response;
  };
}

/** The deployed handler: its contract table ships next to the bundle (`contracts.json`). */
export const handler: TransformHandler = createHandler(
  () => new ContractRegistry(readContractTable(path.join(__dirname, CONTRACT_TABLE_FILE))),
);
