/**
 * CloudWatch Embedded Metric Format: one JSON log line per invocation, turned into metrics by
 * CloudWatch Logs (namespace TrackingPipeline, dimensions Environment and Function). Pure.
 */
import { emfMetadata } from '../../lib/emf';
import type { Counts } from './processor';

export const METRIC_NAMESPACE = 'TrackingPipeline';
/** Value of the `Function` dimension of the hot path's metrics. */
export const METRIC_FUNCTION = 'hot-path';

/** The metrics the hot path publishes (the dashboard row reads them). */
export const HOT_PATH_METRICS = ['Records', 'UndecodableRecords', 'Matches', 'Notified', 'Stored', 'Duplicates', 'FailedRecords', 'MarkFailures'] as const;
export type HotPathMetric = (typeof HOT_PATH_METRICS)[number];

export function emfLine(environment: string, counts: Counts & { readonly MarkFailures?: number }, timestamp: number): string {
  const values: Record<HotPathMetric, number> = {
    Records: counts.Records,
    UndecodableRecords: counts.UndecodableRecords,
    Matches: counts.Matches,
    Notified: counts.Notified,
    Stored: counts.Stored,
    Duplicates: counts.Duplicates,
    FailedRecords: counts.FailedRecords,
    MarkFailures: counts.MarkFailures ?? 0,
  };
  return JSON.stringify({
    ...emfMetadata(METRIC_NAMESPACE, [['Environment', 'Function']], HOT_PATH_METRICS, timestamp),
    Environment: environment,
    Function: METRIC_FUNCTION,
    ...values,
  });
}
