/**
 * CloudWatch Embedded Metric Format line for schema violations (pure). Written only when an
 * invocation saw violations, so a stream that never violates its contract costs no metric.
 *
 * Namespace `TrackingPipeline` (the router's), metric `SchemaViolations` (events that violated
 * their schema, Count), with two dimension sets:
 * - `Environment`, `Mode`: one series per environment and mode, for dashboards and alarms;
 * - `Environment`, `DeliveryStream`: which stream; a custom metric exists only for streams that
 *   actually violated in the month.
 * Format: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
import { emfMetadata } from '../../lib/emf';
export const METRIC_NAMESPACE = 'TrackingPipeline';
export const SCHEMA_VIOLATIONS_METRIC = 'SchemaViolations';

export function schemaViolationsEmf(
  environment: string,
  deliveryStream: string,
  mode: 'enforce' | 'observe',
  violations: number,
  timestamp: number,
): string {
  return JSON.stringify({
    ...emfMetadata(METRIC_NAMESPACE, [['Environment', 'Mode'], ['Environment', 'DeliveryStream']], [SCHEMA_VIOLATIONS_METRIC], timestamp),
    Environment: environment,
    Mode: mode,
    DeliveryStream: deliveryStream,
    [SCHEMA_VIOLATIONS_METRIC]: violations,
  });
}
