/**
 * Firehose service quotas per region (Direct PUT), as published by AWS, and the regions the
 * loader knows. Source, checked on the date below: "Amazon Data Firehose Quota",
 * https://docs.aws.amazon.com/firehose/latest/dev/limits.html (details and quotes in
 * docs/decisions.md, "Firehose quotas per region"). Where the page lists a region twice with
 * different numbers, the lower one is used.
 */

import { defined } from './model';

export const QUOTA_SOURCE = 'https://docs.aws.amazon.com/firehose/latest/dev/limits.html';
export const QUOTA_CHECKED_ON = '2026-11-22';

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

/**
 * Firehose streams per account and region, as the quota page lists them (region names mapped to
 * codes). The page lists Canada (Central) and Canada West (Calgary) both under 2,000 and under
 * 100: the lower number is used.
 */
export const PUBLISHED_STREAMS_PER_REGION: Readonly<Record<string, number>> = {
  'us-east-1': 5_000,
  'us-east-2': 5_000,
  'us-west-2': 5_000,
  'eu-west-1': 5_000,
  'ap-northeast-1': 5_000,
  'eu-central-1': 2_000,
  'eu-west-2': 2_000,
  'ap-southeast-1': 2_000,
  'ap-southeast-2': 2_000,
  'ap-northeast-2': 2_000,
  'ap-south-1': 2_000,
  'us-gov-west-1': 2_000,
  'eu-west-3': 500,
  'eu-south-1': 500,
  'eu-north-1': 500,
  'ap-east-1': 500,
  'ap-northeast-3': 500,
  'sa-east-1': 500,
  'cn-northwest-1': 500,
  'cn-north-1': 500,
  'me-south-1': 500,
  'us-gov-east-1': 500,
  'af-south-1': 500,
  'eu-central-2': 100,
  'eu-south-2': 100,
  'ap-south-2': 100,
  'ap-southeast-3': 100,
  'ap-southeast-4': 100,
  'me-central-1': 100,
  'il-central-1': 100,
  'ca-west-1': 100, // also listed under 2,000 as "Canada (West)"
  'ca-central-1': 100, // also listed under 2,000
  'ap-southeast-5': 100,
  'ap-southeast-7': 100,
  'mx-central-1': 100,
};

/**
 * Regions where Firehose has an endpoint (the AWS SDK endpoint model) but that the quota page does
 * not list. They are accepted with the lowest published quota, 100: check the account's Service
 * Quotas and declare the real value in `streamQuota.deliveryStreamsPerRegion`.
 */
export const UNLISTED_REGIONS: readonly string[] = ['us-west-1', 'ap-east-2', 'ap-southeast-6'];

/** Quota assumed for a region Firehose serves that the quota page does not list. */
export const UNLISTED_REGION_STREAMS = 100;

/** Firehose streams per account and region, for every region the loader accepts. */
export const DELIVERY_STREAMS_PER_REGION: Readonly<Record<string, number>> = {
  ...PUBLISHED_STREAMS_PER_REGION,
  ...Object.fromEntries(UNLISTED_REGIONS.map((r) => [r, UNLISTED_REGION_STREAMS])),
};

/** Regions with the higher per-stream Direct PUT quotas (5 MiB/s, 2,000 requests/s, 500,000 records/s). */
export const HIGH_QUOTA_REGIONS: readonly string[] = ['us-east-1', 'us-west-2', 'eu-west-1'];

const HIGH_THROUGHPUT = { mibPerSecond: 5, requestsPerSecond: 2_000, recordsPerSecond: 500_000 } as const;
const STANDARD_THROUGHPUT = { mibPerSecond: 1, requestsPerSecond: 1_000, recordsPerSecond: 100_000 } as const;

/** Average record size assumed when a type declares a peak rate but no size. */
export const DEFAULT_AVG_RECORD_BYTES = 1_024;

/** Region codes the loader accepts, sorted. */
export const KNOWN_REGIONS: readonly string[] = Object.keys(DELIVERY_STREAMS_PER_REGION).sort();

/** The known regions, for messages. */
export const KNOWN_REGIONS_HINT = KNOWN_REGIONS.join(', ');

export function isKnownRegion(region: string): boolean {
  return Object.prototype.hasOwnProperty.call(DELIVERY_STREAMS_PER_REGION, region);
}

/** Published quotas of a region, with the raised values the config declares on top. */
export function streamQuota(region: string, raised: Partial<StreamQuota> = {}): StreamQuota {
  const throughput = HIGH_QUOTA_REGIONS.includes(region) ? HIGH_THROUGHPUT : STANDARD_THROUGHPUT;
  const deliveryStreamsPerRegion = isKnownRegion(region) ? DELIVERY_STREAMS_PER_REGION[region]! : 0;
  return { ...throughput, deliveryStreamsPerRegion, ...defined(raised) };
}
