/**
 * The HTTP collector of one environment (issue #14): an API Gateway HTTP API with a Lambda
 * integration (payload format 2.0), through which browsers and phones send events with a write key.
 * Why HTTP API and Lambda (and what each option costs per million events): docs/decisions.md,
 * "The collector: HTTP API and a Lambda".
 *
 * - `Collector` (the environment's single or core stack): the API, its routes, the `$default`
 *   stage with throttling and access logs (a log group with retention; no IP address, no user
 *   agent), an optional JWT authorizer, an optional custom domain, the Lambda with one IAM policy
 *   per concern on exact ARNs, and metric filters that turn the access log into exact 5xx, 4xx and
 *   throttling rates. Its code and configuration name no application and no event type: those
 *   come at run time from Parameter Store and from the catalog objects.
 * - `CollectorWriteKeys` (each stack holding applications): one SSM parameter per application,
 *   holding the hashes of its write keys and its allowed origins.
 * - The catalog objects are modules/catalog-object.ts.
 * - Alarms and dashboard widgets are plain data (`collectorAlarmDefinitions`,
 *   `collectorDashboardWidgets`), wired into modules/alarms.ts and modules/dashboard.ts by the stack.
 *
 * Sources for every AWS fact used here: docs/collector.md.
 */
import { Apigatewayv2Api } from '@cdktf/provider-aws/lib/apigatewayv2-api';
import { Apigatewayv2ApiMapping } from '@cdktf/provider-aws/lib/apigatewayv2-api-mapping';
import { Apigatewayv2Authorizer } from '@cdktf/provider-aws/lib/apigatewayv2-authorizer';
import { Apigatewayv2DomainName } from '@cdktf/provider-aws/lib/apigatewayv2-domain-name';
import { Apigatewayv2Integration } from '@cdktf/provider-aws/lib/apigatewayv2-integration';
import { Apigatewayv2Route } from '@cdktf/provider-aws/lib/apigatewayv2-route';
import { Apigatewayv2Stage } from '@cdktf/provider-aws/lib/apigatewayv2-stage';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchLogMetricFilter } from '@cdktf/provider-aws/lib/cloudwatch-log-metric-filter';
import type { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { SsmParameter } from '@cdktf/provider-aws/lib/ssm-parameter';
import { TerraformOutput, Token } from 'cdktf';
import { Construct } from 'constructs';
import type { CollectorApplicationSpec, CollectorSpec } from '../config/collector';
import type { NamePrefix } from '../config/naming';
import * as naming from '../config/naming';
import { SETTINGS_FILE, SETTINGS_VERSION, type CollectorSettings } from '../functions/collector/settings';
import { METRIC_NAMESPACE } from '../functions/collector/metrics';
import { COLLECTOR_ROUTES } from '../lib/collector-protocol';
import type { AlarmDefinition } from './alarms';
import type { AwsContext } from './aws-context';
import { bucketKeyStatement } from './firehose-role';
import { ownEnvironmentTags, type PolicyStatement } from './iam';
import { NodejsFunction } from './nodejs-function';

/** Longest single PutRecords / PutRecordBatch call of the collector. */
export const COLLECTOR_REQUEST_TIMEOUT_MS = 2_000;
/** The stage: `$default` serves the API at its root (no stage segment in the URL). */
export const STAGE_NAME = '$default';
/** API Gateway's longest integration timeout for HTTP APIs. */
export const MAX_INTEGRATION_TIMEOUT_MS = 30_000;

/**
 * The access log line: JSON, one per request. No IP address and no user agent (personal data),
 * whatever the config says: a truncated IP, when configured, is written by the Lambda instead,
 * because API Gateway cannot truncate. `status` is a number (the metric filters compare it).
 */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  requestTimeEpoch: '$context.requestTimeEpoch',
  routeKey: '$context.routeKey',
  status: '@@STATUS@@',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  errorType: '$context.error.responseType',
  error: '@@ERROR@@',
  authorizerError: '$context.authorizer.error',
  domainName: '$context.domainName',
})
  .replace('"@@STATUS@@"', '$context.status')
  // messageString is the message already quoted (and escaped) by API Gateway.
  .replace('"@@ERROR@@"', '$context.error.messageString');

/** The access-log metric filters: each publishes 1 for a matching request and 0 for every other, so Average is the exact rate and Sum the count. */
export const ACCESS_LOG_METRICS = [
  { id: 'server-errors', metricName: 'ServerError', pattern: '{ $.status >= 500 }', what: 'answered 5xx' },
  { id: 'client-errors', metricName: 'ClientError', pattern: '{ $.status >= 400 && $.status <= 499 }', what: 'answered 4xx' },
  { id: 'throttled', metricName: 'Throttled', pattern: '{ $.status = 429 }', what: 'throttled by the stage (429)' },
] as const;

/** Exactly what the collector calls on the root stream / delivery streams. */
export const COLLECTOR_WRITE_ACTIONS = { 'root-stream': ['kinesis:PutRecords'], 'delivery-streams': ['firehose:PutRecordBatch'] } as const;

export interface CollectorProps {
  /** The resolved collector (config/collector.ts `resolveCollector`). Its `applications` are not read here. */
  readonly spec: CollectorSpec;
  readonly prefix: NamePrefix;
  readonly context: AwsContext;
  /** Retention of the function's and the access log's log groups, in days. */
  readonly logRetentionDays: number;
  /** The events bucket's name, a literal (it goes into the function's settings file). */
  readonly bucketName: string;
  /** The events bucket's ARN (a reference or a literal). */
  readonly bucketArn: string;
  /**
   * The bucket's customer managed key (SSE-KMS): the collector then needs kms:Decrypt to read the catalog objects.
   * @default none (SSE-S3)
   */
  readonly bucketKmsKeyArn?: string;
  /**
   * The root stream (when the spec's destination is `root-stream`): its ARN, and its customer managed key if any.
   * @default none
   */
  readonly rootStream?: { readonly streamArn: string; readonly kmsKeyArn?: string };
}

/** The function's settings file, from the spec: no application, no event type. */
export function collectorSettings(spec: CollectorSpec, environment: string, bucketName: string): CollectorSettings {
  return {
    version: SETTINGS_VERSION,
    environment,
    bucketName,
    catalogPrefix: spec.catalogPrefix,
    writeKeysPath: spec.writeKeysPath,
    destination:
      spec.destination.kind === 'root-stream'
        ? { kind: 'root-stream', streamName: spec.destination.streamName }
        : { kind: 'delivery-streams', packedRecordBytes: spec.destination.packedRecordBytes },
    limits: { ...spec.limits },
    writeDeadlineMs: spec.writeDeadlineMs,
    requestTimeoutMs: COLLECTOR_REQUEST_TIMEOUT_MS,
    refreshSeconds: spec.refreshSeconds,
    ipAddress: spec.ipAddress,
    corsMaxAgeSeconds: spec.corsMaxAgeSeconds,
  };
}

/** ARN of the SSM path itself: what `GetParametersByPath` is authorized against (not the parameters it returns). */
export function writeKeysPathArn(context: AwsContext, path: string): string {
  return context.arn('ssm', `parameter${path}`);
}

export class Collector extends Construct {
  public readonly function: NodejsFunction;
  public readonly api: Apigatewayv2Api;
  public readonly integration: Apigatewayv2Integration;
  public readonly routes: readonly Apigatewayv2Route[];
  public readonly stage: Apigatewayv2Stage;
  public readonly accessLogGroup: CloudwatchLogGroup;
  public readonly metricFilters: readonly CloudwatchLogMetricFilter[];
  public readonly permissions: readonly LambdaPermission[];
  public readonly policies: readonly IamRolePolicy[];
  public readonly authorizer?: Apigatewayv2Authorizer;
  public readonly domainName?: Apigatewayv2DomainName;
  public readonly apiMapping?: Apigatewayv2ApiMapping;
  /** The settings file shipped with the function. */
  public readonly settings: CollectorSettings;

  public constructor(scope: Construct, id: string, props: CollectorProps) {
    super(scope, id);
    const { spec, context } = props;
    if (Token.isUnresolved(props.bucketName)) throw new TypeError('Collector: bucketName must be a literal (it goes into the function\'s settings file)');
    if (spec.destination.kind === 'root-stream' && props.rootStream === undefined) {
      throw new TypeError('Collector: the spec writes to the root stream, but no rootStream was given');
    }
    this.settings = collectorSettings(spec, props.prefix.environment, props.bucketName);

    // --- Function ---------------------------------------------------------------------------------
    this.function = new NodejsFunction(this, 'function', {
      source: 'collector',
      functionName: spec.functionName,
      description: `HTTP collector of ${naming.environmentPrefix(props.prefix)}: checks events from browsers and phones and writes them`,
      context,
      logRetentionDays: props.logRetentionDays,
      memoryMiB: spec.memoryMiB,
      timeoutSeconds: spec.timeoutSeconds,
      extraFiles: { [SETTINGS_FILE]: `${JSON.stringify(this.settings, null, 2)}\n` },
      assetName: `${props.prefix.environment}/collector`,
    });
    if (spec.reservedConcurrency !== undefined) this.function.function.reservedConcurrentExecutions = spec.reservedConcurrency;

    // --- IAM: one policy per concern, exact ARNs ------------------------------------------------
    const policies: IamRolePolicy[] = [];
    const catalogStatements: PolicyStatement[] = [
      {
        Sid: 'ListCatalog',
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: [props.bucketArn],
        Condition: { StringLike: { 's3:prefix': [spec.catalogPrefix, `${spec.catalogPrefix}*`] } },
      },
      { Sid: 'ReadCatalog', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`${props.bucketArn}/${spec.catalogPrefix}*`] },
    ];
    if (props.bucketKmsKeyArn !== undefined) {
      catalogStatements.push(bucketKeyStatement('DecryptCatalog', ['kms:Decrypt'], props.bucketKmsKeyArn, props.bucketArn, context.region));
    }
    policies.push(this.function.addPolicy('catalog', ...catalogStatements));
    policies.push(
      this.function.addPolicy('write-keys', {
        Sid: 'ReadWriteKeys',
        Effect: 'Allow',
        Action: ['ssm:GetParametersByPath'],
        Resource: [writeKeysPathArn(context, spec.writeKeysPath)],
      }),
    );
    if (spec.destination.kind === 'root-stream') {
      const rs = props.rootStream!;
      const statements: PolicyStatement[] = [{ Sid: 'WriteRootStream', Effect: 'Allow', Action: [...COLLECTOR_WRITE_ACTIONS['root-stream']], Resource: [rs.streamArn] }];
      if (rs.kmsKeyArn !== undefined) statements.push({ Sid: 'EncryptWithStreamKey', Effect: 'Allow', Action: ['kms:GenerateDataKey'], Resource: [rs.kmsKeyArn] });
      policies.push(this.function.addPolicy('kinesis', ...statements));
    } else {
      policies.push(
        this.function.addPolicy('firehose', {
          Sid: 'WriteDeliveryStreams',
          Effect: 'Allow',
          Action: [...COLLECTOR_WRITE_ACTIONS['delivery-streams']],
          // The environment's namespace, and its tags: the prefix alone also matches project `<project>-<env>`'s streams (modules/iam.ts).
          Resource: [context.arn('firehose', `deliverystream/${spec.destination.streamNamePrefix}*`)],
          Condition: ownEnvironmentTags(props.prefix),
        }),
      );
    }
    this.policies = policies;

    // --- Access logs ----------------------------------------------------------------------------
    this.accessLogGroup = new CloudwatchLogGroup(this, 'access-logs', { name: spec.accessLogGroupName, retentionInDays: props.logRetentionDays });
    this.metricFilters = ACCESS_LOG_METRICS.map(
      (m) =>
        new CloudwatchLogMetricFilter(this, `metric-${m.id}`, {
          name: `${spec.apiName}-${m.id}`,
          logGroupName: this.accessLogGroup.name,
          pattern: m.pattern,
          metricTransformation: { name: m.metricName, namespace: spec.metricNamespace, value: '1', defaultValue: '0', unit: 'Count' },
        }),
    );

    // --- API ------------------------------------------------------------------------------------
    this.api = new Apigatewayv2Api(this, 'api', {
      name: spec.apiName,
      protocolType: 'HTTP',
      description: `Event collector of ${naming.environmentPrefix(props.prefix)}: POST /v1/events with a write key`,
      // CORS is answered by the function, per application (its allowed origins), not by the API.
      ...(spec.customDomain?.disableDefaultEndpoint === true ? { disableExecuteApiEndpoint: true } : {}),
    });
    this.integration = new Apigatewayv2Integration(this, 'integration', {
      apiId: this.api.id,
      integrationType: 'AWS_PROXY',
      integrationUri: this.function.function.arn,
      payloadFormatVersion: '2.0',
      timeoutMilliseconds: Math.min(MAX_INTEGRATION_TIMEOUT_MS, (spec.timeoutSeconds + 1) * 1000),
    });
    const target = `integrations/${this.integration.id}`;
    const keyed: [string, Apigatewayv2Route][] = [COLLECTOR_ROUTES.events, COLLECTOR_ROUTES.preflight, COLLECTOR_ROUTES.health].map((routeKey) => [
      routeKey,
      new Apigatewayv2Route(this, routeId(routeKey), { apiId: this.api.id, routeKey, target }),
    ]);
    if (spec.jwtAuthorizer !== undefined) {
      this.authorizer = new Apigatewayv2Authorizer(this, 'jwt-authorizer', {
        apiId: this.api.id,
        name: `${spec.apiName}-jwt`,
        authorizerType: 'JWT',
        identitySources: [spec.jwtAuthorizer.identitySource],
        jwtConfiguration: { issuer: spec.jwtAuthorizer.issuer, audience: [...spec.jwtAuthorizer.audiences] },
      });
      const authenticated = COLLECTOR_ROUTES.authenticatedEvents;
      keyed.push([
        authenticated,
        new Apigatewayv2Route(this, routeId(authenticated), { apiId: this.api.id, routeKey: authenticated, target, authorizationType: 'JWT', authorizerId: this.authorizer.id }),
      ]);
      // Preflights carry no token: their route has no authorizer.
      const preflight = COLLECTOR_ROUTES.authenticatedPreflight;
      keyed.push([preflight, new Apigatewayv2Route(this, routeId(preflight), { apiId: this.api.id, routeKey: preflight, target })]);
    }
    this.routes = keyed.map(([, r]) => r);
    this.stage = new Apigatewayv2Stage(this, 'stage', {
      apiId: this.api.id,
      name: STAGE_NAME,
      autoDeploy: true,
      accessLogSettings: { destinationArn: this.accessLogGroup.arn, format: ACCESS_LOG_FORMAT },
      defaultRouteSettings: {
        throttlingRateLimit: spec.throttling.rateLimit,
        throttlingBurstLimit: spec.throttling.burstLimit,
        detailedMetricsEnabled: false,
      },
    });
    // API Gateway may invoke the function for these routes only (any stage: a custom domain maps to one).
    this.permissions = keyed.map(([routeKey]) => {
      const [method, path] = routeKey.split(' ') as [string, string];
      return new LambdaPermission(this, `invoke-${routeId(routeKey)}`, {
        statementId: `ApiGateway-${method}-${path.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')}`,
        action: 'lambda:InvokeFunction',
        functionName: this.function.function.functionName,
        principal: 'apigateway.amazonaws.com',
        sourceArn: `${this.api.executionArn}/*/${method}${path}`,
      });
    });

    // --- Custom domain --------------------------------------------------------------------------
    if (spec.customDomain !== undefined) {
      this.domainName = new Apigatewayv2DomainName(this, 'domain', {
        domainName: spec.customDomain.domainName,
        domainNameConfiguration: { certificateArn: spec.customDomain.certificateArn, endpointType: 'REGIONAL', securityPolicy: 'TLS_1_2' },
      });
      this.apiMapping = new Apigatewayv2ApiMapping(this, 'domain-mapping', { apiId: this.api.id, domainName: this.domainName.id, stage: this.stage.id });
    }

    // --- Outputs --------------------------------------------------------------------------------
    const outputs: [string, string, string][] = [
      [
        'collector-endpoint',
        spec.customDomain !== undefined ? `https://${spec.customDomain.domainName}` : this.api.apiEndpoint,
        'Base URL of the collector: POST <endpoint>/v1/events with a write key',
      ],
      ['collector-api-id', this.api.id, 'API Gateway HTTP API id of the collector (the ApiId dimension of its metrics)'],
    ];
    if (this.domainName !== undefined) {
      outputs.push(
        ['collector-domain-target', this.domainName.domainNameConfiguration.targetDomainName, 'Point a CNAME or alias record of the custom domain at this name'],
        ['collector-domain-hosted-zone-id', this.domainName.domainNameConfiguration.hostedZoneId, 'Hosted zone id for a Route 53 alias record of the custom domain'],
      );
    }
    for (const [oid, value, description] of outputs) new TerraformOutput(this, oid, { value, description }).overrideLogicalId(oid);
  }
}

/** Construct id of a route: `route-post-v1-events`. */
function routeId(routeKey: string): string {
  return `route-${routeKey.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`;
}

// ---------------------------------------------------------------------------------------------
// Write keys (in the stack holding each application)
// ---------------------------------------------------------------------------------------------

export interface CollectorWriteKeysProps {
  /**
   * The applications whose parameters this stack holds (config/collector.ts
   * `collectorApplicationsOfStack`): every application in the single stack, a shard's own
   * applications in a shard stack.
   */
  readonly applications: readonly CollectorApplicationSpec[];
}

/**
 * One SSM parameter per application: `/<project>/<env>/collector/write-keys/<app>`, a String (the
 * SHA-256 of each key and the allowed origins are not secrets: they appear in the config and in the
 * plan, where reviewers can see a rotation), standard tier (4 KB). Resource names follow the
 * application, so adding one adds one resource and reordering the config changes nothing.
 */
export class CollectorWriteKeys extends Construct {
  public readonly parameters: readonly SsmParameter[];

  public constructor(scope: Construct, id: string, props: CollectorWriteKeysProps) {
    super(scope, id);
    this.parameters = [...props.applications]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((a) => {
        const p = new SsmParameter(this, `app-${a.name}`, {
          name: a.parameterName,
          description: `Collector write keys (SHA-256) and allowed origins of application ${a.name}`,
          type: 'String',
          tier: 'Standard',
          // insecure_value: shown in plans (value is always redacted), so a rotation can be reviewed.
          insecureValue: a.parameterValue,
        });
        // Named after the application (like an event type's resources): stable whatever the stack or the order.
        p.overrideLogicalId(writeKeyResourceName(a.name));
        return p;
      });
  }
}

/** Terraform name of an application's write-key parameter: `aws_ssm_parameter.collector-write-keys__<app>`. */
export function writeKeyResourceName(application: string): string {
  return `collector-write-keys__${application}`;
}

// ---------------------------------------------------------------------------------------------
// Operations, as plain data (wired into modules/alarms.ts and modules/dashboard.ts by the stack)
// ---------------------------------------------------------------------------------------------

const RUNBOOK = 'docs/collector.md#runbook-';
const ALARM_DEFAULTS = { periodSeconds: 300, treatMissingData: 'notBreaching' } as const;

export interface CollectorAlarmOptions {
  /** The API's id (`Collector.api.id`): the ApiId dimension of API Gateway's Latency metric. */
  readonly apiId: string;
}

/**
 * The collector's alarms: 5xx rate, 4xx rate and throttled-request rate (exact, from the access-log
 * metric filters: Average of a 0/1-per-request metric), p99 latency (API Gateway), and the
 * function's throttles (Lambda: requests API Gateway could not hand over, answered 5xx).
 */
export function collectorAlarmDefinitions(spec: CollectorSpec, prefix: NamePrefix, opts: CollectorAlarmOptions): AlarmDefinition[] {
  const a = spec.alarms;
  const ns = spec.metricNamespace;
  const api = spec.apiName;
  const pct = (x: number): string => `${Math.round(x * 10_000) / 100} %`;
  const rateAlarm = (id: string, metricName: string, threshold: number, what: string, runbook: string): AlarmDefinition => ({
    ...ALARM_DEFAULTS,
    id,
    alarmName: naming.alarmName(prefix, api, id.replace(/^collector-/, '')),
    description: `More than ${pct(threshold)} of the collector's requests were ${what} in 3 consecutive 5-minute periods (${ns} ${metricName}, Average).`,
    runbook: `${RUNBOOK}${runbook}`,
    source: { kind: 'metric', namespace: ns, metricName, dimensions: {}, stat: 'Average' },
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    comparisonOperator: 'GreaterThanThreshold',
    threshold,
  });
  return [
    rateAlarm('collector-5xx-rate', 'ServerError', a.serverErrorRate, 'answered 5xx (events to be sent again, or failures)', '5xx-rate'),
    rateAlarm('collector-4xx-rate', 'ClientError', a.clientErrorRate, 'answered 4xx (bad keys, refused origins, rejected events, throttling)', '4xx-rate'),
    rateAlarm('collector-throttled-rate', 'Throttled', a.throttledRequestRate, 'throttled by the stage (429)', 'throttles'),
    {
      ...ALARM_DEFAULTS,
      id: 'collector-latency',
      alarmName: naming.alarmName(prefix, api, 'latency'),
      description: `p99 latency of the collector's API is above ${a.latencyP99Ms} ms in 2 of 3 five-minute periods (AWS/ApiGateway Latency).`,
      runbook: `${RUNBOOK}latency`,
      source: { kind: 'metric', namespace: 'AWS/ApiGateway', metricName: 'Latency', dimensions: { ApiId: opts.apiId }, stat: 'p99' },
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: a.latencyP99Ms,
    },
    {
      ...ALARM_DEFAULTS,
      id: 'collector-function-throttles',
      alarmName: naming.alarmName(prefix, spec.functionName, 'throttles'),
      description: `Invocations of ${spec.functionName} were throttled (Lambda Throttles above 0): API Gateway answered those requests 5xx.`,
      runbook: `${RUNBOOK}throttles`,
      source: { kind: 'metric', namespace: 'AWS/Lambda', metricName: 'Throttles', dimensions: { FunctionName: spec.functionName }, stat: 'Sum' },
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: 0,
    },
  ];
}

type MetricRow = readonly (string | Readonly<Record<string, unknown>>)[];

/** Same shape as modules/dashboard.ts widget specs. */
export interface CollectorWidgetSpec {
  readonly title: string;
  readonly metrics: readonly MetricRow[];
  readonly stat?: string;
  readonly threshold?: { readonly label: string; readonly value: number };
}

/** The collector's dashboard row. */
export function collectorDashboardWidgets(spec: CollectorSpec, environment: string, opts: CollectorAlarmOptions): CollectorWidgetSpec[] {
  const ns = spec.metricNamespace;
  const emf = (name: string): MetricRow => [METRIC_NAMESPACE, name, 'Environment', environment];
  return [
    {
      title: `Collector ${spec.apiName}: requests (count)`,
      metrics: [['AWS/ApiGateway', 'Count', 'ApiId', opts.apiId]],
      stat: 'Sum',
    },
    {
      title: `Collector ${spec.apiName}: 5xx, 4xx and throttled rates`,
      metrics: [[ns, 'ServerError'], [ns, 'ClientError'], [ns, 'Throttled']],
      stat: 'Average',
      threshold: { label: '5xx alarm', value: spec.alarms.serverErrorRate },
    },
    {
      title: `Collector ${spec.apiName}: latency p99 (ms)`,
      metrics: [['AWS/ApiGateway', 'Latency', 'ApiId', opts.apiId], ['AWS/ApiGateway', 'IntegrationLatency', 'ApiId', opts.apiId]],
      stat: 'p99',
      threshold: { label: 'alarm', value: spec.alarms.latencyP99Ms },
    },
    {
      title: `Collector ${spec.functionName}: events accepted, rejected, to retry`,
      metrics: [emf('CollectorAcceptedEvents'), emf('CollectorRejectedEvents'), emf('CollectorRetryableEvents'), emf('CollectorObservedViolations')],
      stat: 'Sum',
    },
  ];
}
