/**
 * CloudWatch Embedded Metric Format: one JSON log line per invocation, turned into metrics by
 * CloudWatch Logs (namespace TrackingPipeline, dimension Environment). Pure.
 */
import { emfMetadata } from '../../lib/emf';

export const METRIC_NAMESPACE = 'TrackingPipeline';

export interface RouterCounts {
  /** Records delivered to Firehose. */
  readonly DeliveredRecords: number;
  /** Records that could not be routed (dead-lettered, or reported failed when dead-lettering failed). */
  readonly UnroutableRecords: number;
  /** Entries re-sent to Firehose after a failed attempt. */
  readonly RetriedRecords: number;
  /** Records reported as batch item failures (Lambda re-delivers them). */
  readonly FailedRecords: number;
}

export function emfLine(environment: string, counts: RouterCounts, timestamp: number): string {
  return JSON.stringify({
    ...emfMetadata(METRIC_NAMESPACE, [['Environment']], Object.keys(counts), timestamp),
    Environment: environment,
    ...counts,
  });
}
