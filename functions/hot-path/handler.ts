import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, ScheduledEvent } from 'aws-lambda';
import type { HotPathConsumer } from '../../config/hot-path';
import * as path from 'node:path';
import { TrackingPipelineError } from '../../config/errors';
import { emfLine } from './metrics';
import { processBatch, processSchedule, systemClock, type Counts, type ProcessorDeps } from './processor';
import { indexRules, loadRules, RULES_FILE, type RuleIndex } from './rules';
import { AwsHotPathStore } from './store';

/**
 * Hot-path Lambda: evaluates the environment's hot-path rules on root-stream records (match rules,
 * rate rules on tumbling windows) and on a schedule (`fewerThan` rules). Thin on purpose:
 * dependencies are built once per container, the work is in ./processor.ts. Logs one EMF metrics
 * line and one summary line per invocation: counts only, never payloads.
 *
 * Every event source mapping of the hot path invokes its own alias of this function (Lambda allows
 * one mapping per event source and qualified function). The alias is the last part of
 * `context.invokedFunctionArn` ("the ARN that's used to invoke the function. Indicates if the
 * invoker specified a version number or alias",
 * https://docs.aws.amazon.com/lambda/latest/dg/nodejs-context.html), and names the consumer in
 * the rules file. See docs/hot-path.md.
 */

/** A required environment variable is missing: a deployment bug. */
export class HotPathConfigError extends TrackingPipelineError {
  public constructor(message: string) {
    super(message);
    this.name = 'HotPathConfigError';
  }
}

/** The schedule's evaluation of `fewerThan` rules failed for some rules (EventBridge retries the invocation). */
export class ScheduleError extends TrackingPipelineError {
  public constructor(message: string) {
    super(message);
    this.name = 'ScheduleError';
  }
}

export interface HotPathEnvironment {
  readonly tableName: string;
  readonly topicArn: string;
}

export function readEnvironment(env: NodeJS.ProcessEnv): HotPathEnvironment {
  const need = (name: string): string => {
    const v = env[name];
    if (!v) throw new HotPathConfigError(`environment variable ${name} is not set`);
    return v;
  };
  return { tableName: need('TABLE_NAME'), topicArn: need('TOPIC_ARN') };
}

/** Production dependencies: SDK clients and the rules file, once per container. */
export function createDependencies(env: NodeJS.ProcessEnv = process.env, rulesFile = path.join(__dirname, RULES_FILE)): ProcessorDeps {
  const cfg = readEnvironment(env);
  // Three attempts with the SDK's backoff; what still fails is retried by Lambda (the record is reported).
  const requestHandler = new NodeHttpHandler({ connectionTimeout: 2_000, requestTimeout: 5_000 });
  return {
    rules: indexRules(loadRules(rulesFile)),
    store: new AwsHotPathStore({
      dynamodb: new DynamoDBClient({ maxAttempts: 3, requestHandler }),
      sns: new SNSClient({ maxAttempts: 3, requestHandler }),
      tableName: cfg.tableName,
      topicArn: cfg.topicArn,
    }),
    clock: systemClock,
  };
}

/**
 * The qualifier of an invoked function ARN (`arn:aws:lambda:<region>:<account>:function:<name>:<qualifier>`),
 * or undefined for an unqualified ARN.
 */
export function qualifierOf(invokedFunctionArn: string | undefined): string | undefined {
  if (invokedFunctionArn === undefined) return undefined;
  const parts = invokedFunctionArn.split(':');
  return parts.length >= 8 && parts[7] !== '' ? parts[7] : undefined;
}

/**
 * The consumer that invoked the function: the alias in the invoked ARN, looked up in the rules
 * file. Undefined when there is no alias (the unqualified function, `$LATEST` or a version number:
 * a direct invocation, or an old unqualified mapping during an upgrade), so the batch's shape
 * decides. An alias the rules file does not declare is a deployment fault: HotPathConfigError.
 */
export function consumerOf(invokedFunctionArn: string | undefined, rules: RuleIndex): HotPathConsumer | undefined {
  const qualifier = qualifierOf(invokedFunctionArn);
  if (qualifier === undefined || qualifier === '$LATEST' || /^[0-9]+$/.test(qualifier)) return undefined;
  const consumer = rules.consumers.get(qualifier);
  if (consumer === undefined) {
    const known = [...rules.consumers.keys()];
    throw new HotPathConfigError(
      `invoked through alias "${qualifier}", which the rules file of this version does not declare ` +
        `(its consumers: ${known.length > 0 ? known.join(', ') : 'none'}); the alias and its event source mapping belong to another deployment: re-apply the stack`,
    );
  }
  return consumer;
}

export const isScheduledEvent = (e: unknown): e is ScheduledEvent =>
  e !== null && typeof e === 'object' && (e as Partial<ScheduledEvent>)['detail-type'] === 'Scheduled Event' && (e as Partial<ScheduledEvent>).source === 'aws.events';

type HotPathEvent = KinesisStreamEvent | ScheduledEvent;
export type HotPathResponse = (KinesisStreamBatchResponse & { state?: unknown }) | { evaluatedWindows: number };

/** The handler over a dependency factory, called once (lazily) per container. */
/** What the handler reads of Lambda's context: the deadline, and the ARN it was invoked with (absent in some tests). */
export type HotPathContext = Pick<Context, 'getRemainingTimeInMillis'> & Partial<Pick<Context, 'invokedFunctionArn'>>;

export function createHandler(factory: () => ProcessorDeps): (event: HotPathEvent, context: HotPathContext) => Promise<HotPathResponse> {
  let deps: ProcessorDeps | undefined;
  let markFailures = 0;
  return async (event, context) => {
    deps ??= {
      ...factory(),
      onMarkFailure: (m, err) => {
        markFailures++;
        console.log(JSON.stringify({ level: 'warn', message: 'hot-path: published but not marked notified', rule: m.rule.name, matchId: m.matchId, error: (err as Error).message }));
      },
    };
    markFailures = 0;
    const environment = deps.rules.doc.environment;
    const log = (counts: Counts, extra: Record<string, unknown>): void => {
      process.stdout.write(`${emfLine(environment, { ...counts, MarkFailures: markFailures }, deps!.clock.now())}\n`);
      console.log(JSON.stringify({ level: counts.FailedRecords > 0 || extra.error !== undefined ? 'warn' : 'info', message: 'hot-path', ...counts, MarkFailures: markFailures, ...extra }));
    };
    if (isScheduledEvent(event)) {
      const tick = await processSchedule(deps);
      log(tick.counts, { evaluatedWindows: tick.evaluatedWindows, ...(tick.errors.length > 0 ? { error: tick.errors.join('; ') } : {}) });
      if (tick.errors.length > 0) throw new ScheduleError(`fewerThan evaluation failed: ${tick.errors.join('; ')}`);
      return { evaluatedWindows: tick.evaluatedWindows };
    }
    let consumer: HotPathConsumer | undefined;
    try {
      consumer = consumerOf(context.invokedFunctionArn, deps.rules);
      const result = await processBatch(event, context.getRemainingTimeInMillis(), deps, consumer);
      log(result.counts, { consumer: consumer?.alias ?? 'unqualified', ...(result.error !== undefined ? { error: result.error } : {}) });
      return result.response;
    } catch (err) {
      const records = event.Records?.length ?? 0;
      log(
        { Records: records, UndecodableRecords: 0, Matches: 0, Notified: 0, Stored: 0, Duplicates: 0, FailedRecords: records },
        { consumer: consumer?.alias ?? qualifierOf(context.invokedFunctionArn) ?? 'unqualified', error: (err as Error).message },
      );
      throw err;
    }
  };
}

export const handler = createHandler(() => createDependencies());
