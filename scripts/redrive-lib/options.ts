/**
 * The command line of `npm run redrive` (docs/redrive.md).
 */
import * as path from 'node:path';
import { configPathFromEnv } from '../../config/loader';
import { FIREHOSE_LIMITS } from '../../lib/limits';
import type { RouteTarget } from './records';
import { RedriveUsageError, type SourceName } from './types';

export const USAGE = [
  'usage: npm run redrive -- --env <env> --source errors|dlq|unroutable [options]',
  '  --type <app/type>          only this event type (repeatable, or comma-separated)',
  '  --since <time>             only records that failed at or after <time> (ISO 8601, or 30m, 6h, 7d ago)',
  '  --until <time>             only records that failed before <time>',
  '  --dry-run                  count per event type and failure reason; send, mark and delete nothing',
  '  --to delivery|root         dlq, unroutable: to the delivery stream (default) or back into the root stream',
  '  --mark tag|move            errors, unroutable: tag finished objects (default) or move them to redriven/',
  '  --delete                   errors, unroutable: delete finished objects instead of marking them',
  '  --checkpoint <file>        default .redrive/<project>-<env>-<source>.jsonl',
  '  --config <path>            default $TRACKING_CONFIG or config/tracking.yaml',
  '  --batch-size <n>           records per batch, 1-500 (default 500): the most a crash can send twice',
  '  --rate <records/s>         pace the sending (default: as fast as the streams accept)',
  '  --retry-seconds <s>        how long a batch\'s failed records are retried (default 60)',
  '  --visibility-timeout <s>   dlq: how long received messages stay hidden (default 900)',
  '  --wait-seconds <s>         dlq: long polling of each receive, 1-20 (default 5)',
  '  --limit <n>                at most n objects or messages',
  '  --progress auto|bar|plain|none   (default auto: a bar on a terminal, lines otherwise)',
  '  --endpoint <service>=<url> s3, firehose, kinesis or sqs at another endpoint (local stand-ins); repeatable',
].join('\n');

export interface RedriveOptions {
  readonly environment: string;
  readonly source: SourceName;
  readonly types?: readonly string[];
  readonly since?: number;
  readonly until?: number;
  readonly dryRun: boolean;
  readonly to: RouteTarget;
  readonly mark: 'tag' | 'move';
  readonly deleteObjects: boolean;
  readonly checkpoint?: string;
  readonly config: string;
  readonly batchSize: number;
  readonly ratePerSecond?: number;
  readonly retrySeconds: number;
  readonly visibilityTimeoutSeconds: number;
  readonly waitSeconds: number;
  readonly limit?: number;
  readonly progress: 'auto' | 'bar' | 'plain' | 'none';
  readonly endpoints: Readonly<Partial<Record<'s3' | 'firehose' | 'kinesis' | 'sqs', string>>>;
}

const TYPE_KEY = /^[a-z0-9][a-z0-9_-]*\/[a-z0-9][a-z0-9_-]*$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `2026-11-20T10:00:00Z`, `2026-11-20`, or a duration ago: `30m`, `6h`, `7d`. */
export function parseTime(value: string, option: string, now: number): number {
  const rel = /^(\d+)([mhd])$/.exec(value);
  if (rel !== null) return now - Number(rel[1]) * UNIT_MS[rel[2] as keyof typeof UNIT_MS];
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) {
    const t = Date.parse(value);
    if (Number.isFinite(t)) return t;
  }
  throw new RedriveUsageError(`${option} "${value.slice(0, 64)}" is not a time: use ISO 8601 (2026-11-20T10:00:00Z) or a duration ago (30m, 6h, 7d)`);
}

export function parseRedriveArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, now = Date.now(), cwd = process.cwd()): RedriveOptions | 'help' {
  let environment: string | undefined;
  let source: SourceName | undefined;
  const types: string[] = [];
  let since: number | undefined;
  let until: number | undefined;
  let dryRun = false;
  let to: RouteTarget | undefined;
  let mark: 'tag' | 'move' | undefined;
  let deleteObjects = false;
  let checkpoint: string | undefined;
  let config: string | undefined;
  let batchSize: number = FIREHOSE_LIMITS.maxRecordsPerCall;
  let ratePerSecond: number | undefined;
  let retrySeconds = 60;
  let visibilityTimeoutSeconds = 900;
  let waitSeconds = 5;
  let limit: number | undefined;
  let progress: RedriveOptions['progress'] = 'auto';
  const endpoints: Partial<Record<'s3' | 'firehose' | 'kinesis' | 'sqs', string>> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new RedriveUsageError(`${arg} needs a value`);
      return v;
    };
    const int = (min: number, max: number): number => {
      const v = value();
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) throw new RedriveUsageError(`${arg} must be an integer from ${min} to ${max}, got "${v.slice(0, 32)}"`);
      return n;
    };
    const oneOf = <T extends string>(allowed: readonly T[]): T => {
      const v = value();
      if (!(allowed as readonly string[]).includes(v)) throw new RedriveUsageError(`${arg} must be ${allowed.join(' or ')}, got "${v.slice(0, 32)}"`);
      return v as T;
    };
    switch (arg) {
      case '-h':
      case '--help':
        return 'help';
      case '--env': environment = value(); break;
      case '--source': source = oneOf(['errors', 'dlq', 'unroutable'] as const); break;
      case '--type':
        for (const t of value().split(',').map((x) => x.trim()).filter((x) => x !== '')) {
          if (!TYPE_KEY.test(t)) throw new RedriveUsageError(`--type "${t.slice(0, 64)}" is not <application>/<event type>`);
          types.push(t);
        }
        break;
      case '--since': since = parseTime(value(), arg, now); break;
      case '--until': until = parseTime(value(), arg, now); break;
      case '--dry-run': dryRun = true; break;
      case '--to': to = oneOf(['delivery', 'root'] as const); break;
      case '--mark': mark = oneOf(['tag', 'move'] as const); break;
      case '--delete': deleteObjects = true; break;
      case '--checkpoint': checkpoint = path.resolve(cwd, value()); break;
      case '--config': config = path.resolve(cwd, value()); break;
      case '--batch-size': batchSize = int(1, FIREHOSE_LIMITS.maxRecordsPerCall); break;
      case '--rate': {
        const v = value();
        const n = Number(v);
        if (!Number.isFinite(n) || n <= 0) throw new RedriveUsageError(`--rate must be a positive number of records per second, got "${v.slice(0, 32)}"`);
        ratePerSecond = n;
        break;
      }
      case '--retry-seconds': retrySeconds = int(1, 3_600); break;
      case '--visibility-timeout': visibilityTimeoutSeconds = int(30, 43_200); break;
      case '--wait-seconds': waitSeconds = int(1, 20); break;
      case '--limit': limit = int(1, Number.MAX_SAFE_INTEGER); break;
      case '--progress': progress = oneOf(['auto', 'bar', 'plain', 'none'] as const); break;
      case '--endpoint': {
        const v = value();
        const m = /^(s3|firehose|kinesis|sqs)=(https?:\/\/.+)$/.exec(v);
        if (m === null) throw new RedriveUsageError(`--endpoint must be <s3|firehose|kinesis|sqs>=<http(s) URL>, got "${v.slice(0, 64)}"`);
        endpoints[m[1] as keyof typeof endpoints] = m[2]!;
        break;
      }
      default:
        throw new RedriveUsageError(`unknown option ${arg.slice(0, 64)}`);
    }
  }
  if (environment === undefined) throw new RedriveUsageError('missing --env <environment>');
  if (source === undefined) throw new RedriveUsageError('missing --source errors|dlq|unroutable');
  if (since !== undefined && until !== undefined && since >= until) throw new RedriveUsageError('--since must be before --until');
  if (source === 'errors' && to === 'root') {
    throw new RedriveUsageError('--to root is for dlq and unroutable: error-output records are Firehose records (packed records are not envelopes) and go back to their delivery stream');
  }
  if (source === 'dlq' && (mark !== undefined || deleteObjects)) {
    throw new RedriveUsageError('--mark and --delete are for errors and unroutable: a dlq message is deleted once its records are confirmed');
  }
  if (deleteObjects && mark !== undefined) throw new RedriveUsageError('--delete deletes finished objects instead of marking them: give --mark or --delete, not both');
  return {
    environment,
    source,
    ...(types.length > 0 ? { types: [...new Set(types)] } : {}),
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
    dryRun,
    to: to ?? 'delivery',
    mark: mark ?? 'tag',
    deleteObjects,
    ...(checkpoint !== undefined ? { checkpoint } : {}),
    config: config ?? path.resolve(cwd, configPathFromEnv(env)),
    batchSize,
    ...(ratePerSecond !== undefined ? { ratePerSecond } : {}),
    retrySeconds,
    visibilityTimeoutSeconds,
    waitSeconds,
    ...(limit !== undefined ? { limit } : {}),
    progress,
    endpoints,
  };
}
