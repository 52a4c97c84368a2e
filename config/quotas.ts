/**
 * Firehose service quotas per region (Direct PUT), as published by AWS.
 * https://docs.aws.amazon.com/firehose/latest/dev/limits.html
 */

import { defined } from './model';

export interface StreamQuota {
  /** Throughput of one delivery stream, MiB per second. */
  readonly mibPerSecond: number;
  /** PutRecord + PutRecordBatch calls per second on one delivery stream. */
  readonly requestsPerSecond: number;
  /** Records per second on one delivery stream. */
  readonly recordsPerSecond: number;
  /** Delivery streams per account and region. */
  readonly deliveryStreamsPerRegion: number;
}

/** Regions with the higher Direct PUT quotas. */
export const HIGH_QUOTA_REGIONS: readonly string[] = ['us-east-1', 'us-west-2', 'eu-west-1'];

export const HIGH_QUOTA: StreamQuota = {
  mibPerSecond: 5,
  requestsPerSecond: 2_000,
  recordsPerSecond: 500_000,
  deliveryStreamsPerRegion: 5_000,
};

export const STANDARD_QUOTA: StreamQuota = {
  mibPerSecond: 1,
  requestsPerSecond: 1_000,
  recordsPerSecond: 100_000,
  deliveryStreamsPerRegion: 5_000,
};

/** Average record size assumed when a type declares a peak rate but no size. */
export const DEFAULT_AVG_RECORD_BYTES = 1_024;

/** Published quotas of a region, with the raised values the config declares on top. */
export function streamQuota(region: string, raised: Partial<StreamQuota> = {}): StreamQuota {
  const base = HIGH_QUOTA_REGIONS.includes(region) ? HIGH_QUOTA : STANDARD_QUOTA;
  return { ...base, ...defined(raised) };
}
