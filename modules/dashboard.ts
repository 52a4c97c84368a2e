/**
 * One CloudWatch dashboard per environment, showing the signals the alarms watch. The body is
 * built as plain data from the EnvironmentSpec and serialized once: the same spec always gives
 * byte-identical JSON, so plans stay empty.
 */
import { CloudwatchDashboard } from '@cdktf/provider-aws/lib/cloudwatch-dashboard';
import { Construct } from 'constructs';
import type { EnvironmentSpec } from '../config/model';
import * as naming from '../config/naming';
import { DURATION_ALARM_RATIO, firehoseQuery, usesTransformLambda } from './alarms';
import { hotPathDashboardWidgets } from './hot-path';

/** Width of the dashboard grid (CloudWatch dashboards are 24 units wide). */
const GRID_WIDTH = 24;
const WIDGET_WIDTH = 12;
const WIDGET_HEIGHT = 6;
/** Rows shown by the "worst streams" widgets. */
export const TOP_STREAMS = 10;

type MetricRow = readonly (string | Readonly<Record<string, unknown>>)[];

interface Widget {
  readonly type: 'metric' | 'text';
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: Readonly<Record<string, unknown>>;
}

export interface WidgetSpec {
  readonly title: string;
  readonly metrics: readonly MetricRow[];
  readonly stat?: string;
  /** Horizontal annotation: the alarm threshold. */
  readonly threshold?: { readonly label: string; readonly value: number };
}

function queryRow(expression: string, label: string, id: string): MetricRow {
  return [{ expression, label, id }];
}

/** The widgets of an environment, in a fixed order. */
export function dashboardWidgets(env: EnvironmentSpec): WidgetSpec[] {
  const a = env.alarms;
  const specs: WidgetSpec[] = [
    {
      title: 'Delivery to S3: data freshness (s), max over all streams',
      metrics: [queryRow(firehoseQuery('MAX', 'DeliveryToS3.DataFreshness'), 'max freshness', 'q1')],
      threshold: { label: 'alarm', value: a.freshnessThresholdSeconds },
    },
    {
      title: `Delivery to S3: ${TOP_STREAMS} least fresh streams (s)`,
      metrics: [
        queryRow(
          `${firehoseQuery('MAX', 'DeliveryToS3.DataFreshness')} GROUP BY DeliveryStreamName ORDER BY MAX() DESC LIMIT ${TOP_STREAMS}`,
          '',
          'q1',
        ),
      ],
    },
    {
      title: 'Delivery to S3: success (min over all streams)',
      metrics: [queryRow(firehoseQuery('MIN', 'DeliveryToS3.Success'), 'min success', 'q1')],
      threshold: { label: 'alarm below', value: 1 },
    },
    {
      title: 'Throttled records (sum over all streams)',
      metrics: [queryRow(firehoseQuery('SUM', 'ThrottledRecords'), 'throttled', 'q1')],
    },
  ];
  if (usesTransformLambda(env) && env.stacks.layout === 'sharded') {
    // One transform function per shard: the core dashboard cannot list them without changing when a
    // shard is added, so it searches for them by name (search expressions work in dashboards, not alarms).
    const search = (metric: string, stat: string): string =>
      `SEARCH('{AWS/Lambda,FunctionName} MetricName="${metric}" FunctionName=${naming.shardTransformFunctionPrefix(env.prefix).replace(/-$/, '')}', '${stat}', 300)`;
    specs.push(
      {
        title: 'Transform: ExecuteProcessing.Success (min over all streams)',
        metrics: [queryRow(firehoseQuery('MIN', 'ExecuteProcessing.Success'), 'min processing success', 'q1')],
        threshold: { label: 'alarm below', value: 1 },
      },
      {
        title: `Transform Lambdas ${naming.shardTransformFunctionPrefix(env.prefix)}*: errors (one line per shard)`,
        metrics: [[{ expression: search('Errors', 'Sum'), label: '', id: 'e1' }]],
      },
      {
        title: `Transform Lambdas ${naming.shardTransformFunctionPrefix(env.prefix)}*: duration p99 (ms)`,
        metrics: [[{ expression: search('Duration', 'p99'), label: '', id: 'e1' }]],
      },
    );
  } else if (usesTransformLambda(env)) {
    const fn = env.transformFunction.functionName;
    specs.push(
      {
        title: 'Transform: ExecuteProcessing.Success (min over all streams)',
        metrics: [queryRow(firehoseQuery('MIN', 'ExecuteProcessing.Success'), 'min processing success', 'q1')],
        threshold: { label: 'alarm below', value: 1 },
      },
      {
        title: `Transform Lambda ${fn}: errors and throttles`,
        metrics: [
          ['AWS/Lambda', 'Errors', 'FunctionName', fn],
          ['AWS/Lambda', 'Throttles', 'FunctionName', fn],
        ],
        stat: 'Sum',
      },
      {
        title: `Transform Lambda ${fn}: duration p99 (ms)`,
        metrics: [['AWS/Lambda', 'Duration', 'FunctionName', fn]],
        stat: 'p99',
        threshold: { label: 'alarm', value: Math.round(env.transformFunction.timeoutSeconds * 1000 * DURATION_ALARM_RATIO) },
      },
    );
  }
  if (env.rootStream.enabled && env.rootStream.hotPath !== undefined) specs.push(...hotPathDashboardWidgets(env.rootStream.hotPath, env.name));
  if (env.rootStream.enabled) {
    const rs = env.rootStream;
    specs.push(
      {
        title: `Router ${rs.router.functionName}: iterator age (ms)`,
        metrics: [['AWS/Lambda', 'IteratorAge', 'FunctionName', rs.router.functionName]],
        stat: 'Maximum',
        threshold: { label: 'alarm', value: a.iteratorAgeThresholdSeconds * 1000 },
      },
      {
        title: `Root stream ${rs.streamName}: incoming records and write throttling`,
        metrics: [
          ['AWS/Kinesis', 'IncomingRecords', 'StreamName', rs.streamName],
          ['AWS/Kinesis', 'WriteProvisionedThroughputExceeded', 'StreamName', rs.streamName],
        ],
        stat: 'Sum',
      },
      {
        title: `Dead-letter queue ${rs.router.deadLetterQueueName}: messages visible`,
        metrics: [['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', rs.router.deadLetterQueueName]],
        stat: 'Maximum',
      },
    );
  }
  return specs;
}

/** The dashboard_body JSON of an environment. Deterministic. */
export function dashboardBody(env: EnvironmentSpec, extraWidgets: readonly WidgetSpec[] = []): string {
  const header: Widget = {
    type: 'text',
    x: 0,
    y: 0,
    width: GRID_WIDTH,
    height: 2,
    properties: {
      markdown:
        `# ${naming.environmentPrefix(env.prefix)} tracking pipeline\n` +
        // No event-type count here: adding an event type must not change the dashboard.
        `Delivery streams in ${env.region}. Firehose widgets aggregate every delivery stream ` +
        'of the account and region (Metrics Insights). Runbooks: README "Operations".',
    },
  };
  const widgets: Widget[] = [header];
  [...dashboardWidgets(env), ...extraWidgets].forEach((w, i) => {
    widgets.push({
      type: 'metric',
      x: (i % 2) * WIDGET_WIDTH,
      y: 2 + Math.floor(i / 2) * WIDGET_HEIGHT,
      width: WIDGET_WIDTH,
      height: WIDGET_HEIGHT,
      properties: {
        title: w.title,
        region: env.region,
        view: 'timeSeries',
        stacked: false,
        period: 300,
        ...(w.stat !== undefined ? { stat: w.stat } : {}),
        metrics: w.metrics,
        ...(w.threshold !== undefined ? { annotations: { horizontal: [{ label: w.threshold.label, value: w.threshold.value }] } } : {}),
      },
    });
  });
  return JSON.stringify({ widgets });
}

export interface DashboardProps {
  /** The resolved environment. */
  readonly env: EnvironmentSpec;
  /**
   * Widgets of parts that need a resource reference (the collector's API id), after the others.
   * @default []
   */
  readonly extraWidgets?: readonly WidgetSpec[];
}

/** The CloudWatch dashboard of one environment. */
export class Dashboard extends Construct {
  public readonly dashboard: CloudwatchDashboard;

  public constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    this.dashboard = new CloudwatchDashboard(this, 'dashboard', {
      dashboardName: naming.dashboardName(props.env.prefix),
      dashboardBody: dashboardBody(props.env, props.extraWidgets),
    });
  }
}
