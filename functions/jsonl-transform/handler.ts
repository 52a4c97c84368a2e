import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { transformEvent } from './transform';

/**
 * Firehose data-transformation Lambda: records -> JSON lines (see ./transform.ts and docs/transform.md).
 * Thin on purpose: transform, log one structured line (counts only, never payloads), return.
 */
export const handler = async (event: FirehoseTransformationEvent): Promise<FirehoseTransformationResult> => {
  const { response, summary } = transformEvent(event);
  console.log(
    JSON.stringify({
      level: summary.processingFailed > 0 ? 'warn' : 'info',
      message: 'jsonl-transform',
      invocationId: event.invocationId,
      deliveryStreamArn: event.deliveryStreamArn,
      ...summary,
    }),
  );
  return response;
};
