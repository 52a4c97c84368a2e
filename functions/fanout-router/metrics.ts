/**
 * CloudWatch Embedded Metric Format: one JSON log line per invocation, turned into metrics by
 * CloudWatch Logs (namespace TrackingPipeline, dimension Environment). Pure.
 */

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
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: METRIC_NAMESPACE,
          Dimensions: [['Environment']],
          Metrics: (Object.keys(counts) as (keyof RouterCounts)[]).map((Name) => ({ Name, Unit: 'Count' })),
        },
      ],
    },
    Environment: environment,
    ...counts,
  });
}
