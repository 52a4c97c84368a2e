/**
 * One JSON log line per request, which is also an Embedded Metric Format document: CloudWatch Logs
 * turns its counts into metrics (namespace TrackingPipeline, dimension Environment) and keeps the
 * other fields searchable. Counts, codes and names only: never a payload, a key or a full IP address.
 */
import { emfMetadata } from '../../lib/emf';
import type { RequestSummary } from './ingest';

export const METRIC_NAMESPACE = 'TrackingPipeline';

/** Metric names (Count) and the summary field each reads. */
export const COLLECTOR_METRICS = {
  CollectorAcceptedEvents: 'accepted',
  CollectorRejectedEvents: 'rejected',
  CollectorRetryableEvents: 'retryable',
  CollectorObservedViolations: 'observedViolations',
} as const satisfies Record<string, keyof RequestSummary>;

export interface LogContext {
  readonly environment: string;
  readonly requestId: string;
  readonly durationMs: number;
  /** The truncated client address, only when the config asks for it. */
  readonly clientIp?: string;
  /** Why the catalog or the keys in use are stale (an error name), when they are. */
  readonly stale?: string;
  /** With an edge in front: whether the request came through it (the origin secret matched) or around it. */
  readonly via?: 'edge' | 'direct';
}

export function requestLogLine(summary: RequestSummary, ctx: LogContext, timestamp: number): string {
  const level = summary.status >= 500 ? 'error' : summary.status >= 400 || summary.rejected > 0 ? 'warn' : 'info';
  const metrics: Record<string, number> = {};
  for (const [name, field] of Object.entries(COLLECTOR_METRICS)) metrics[name] = summary[field];
  return JSON.stringify({
    ...emfMetadata(METRIC_NAMESPACE, [['Environment']], Object.keys(COLLECTOR_METRICS), timestamp),
    Environment: ctx.environment,
    ...metrics,
    level,
    message: 'collector',
    requestId: ctx.requestId,
    durationMs: ctx.durationMs,
    ...(ctx.clientIp !== undefined ? { clientIp: ctx.clientIp } : {}),
    ...(ctx.stale !== undefined ? { stale: ctx.stale } : {}),
    ...(ctx.via !== undefined ? { via: ctx.via } : {}),
    ...summary,
  });
}
