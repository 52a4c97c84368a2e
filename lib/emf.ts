/**
 * CloudWatch Embedded Metric Format (EMF): the `_aws` member that turns a JSON log line into
 * metrics, for the Lambdas' one log line per invocation or request. Counts only.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 *
 * Spread it first into the log line's object, then the dimension values and the metric values as
 * members of their own: `JSON.stringify({ ...emfMetadata(ns, [['Environment']], ['Sent'], now), Environment: 'dev', Sent: 3 })`.
 * Dependency-free.
 */
export interface EmfMetadata {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit: 'Count' }[];
    }[];
  };
}

/** The `_aws` member for count metrics `metricNames` in `namespace`, with these dimension sets. */
export function emfMetadata(namespace: string, dimensions: readonly (readonly string[])[], metricNames: readonly string[], timestamp: number): EmfMetadata {
  return {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [{ Namespace: namespace, Dimensions: dimensions, Metrics: metricNames.map((Name) => ({ Name, Unit: 'Count' as const })) }],
    },
  };
}
