/**
 * Lambda permissions (resource-based policy statements) as Terraform evaluated them: the source
 * ARN must be an ARN of the principal's service, and for API Gateway an execute-api ARN of an API
 * of the environment that matches one of its routes; every route integrated with a Lambda function
 * needs a permission that API Gateway's calls match.
 */
import { allOf, contextOf, str, type Finding, type Rule, type RuleSource, type StackView } from '../engine';
import type { StateResource } from '../state';
import { qualifiedFunctionArn } from './lambda-mappings';

const ADD_PERMISSION: RuleSource = {
  title: 'AWS Lambda API Reference: AddPermission (SourceArn: the ARN of the AWS resource that invokes the function)',
  url: 'https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html',
};
const EXECUTE_API_ARN: RuleSource = {
  title:
    'Amazon API Gateway Developer Guide: Control access to an API with IAM permissions ' +
    '(execute-api resource format arn:<partition>:execute-api:<region>:<account-id>:<api-id>/<stage>/<HTTP-VERB>/<resource-path>)',
  url: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html',
};
const HTTP_API_LAMBDA: RuleSource = {
  title: 'Amazon API Gateway Developer Guide: Create AWS Lambda proxy integrations for HTTP APIs (API Gateway needs permission to invoke the function)',
  url: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html',
};

/** The ARN service a principal's calls carry in their source ARN, for the principals the stacks use. */
export const SERVICE_OF_PRINCIPAL: Readonly<Record<string, string>> = {
  'apigateway.amazonaws.com': 'execute-api',
  'events.amazonaws.com': 'events',
  'scheduler.amazonaws.com': 'scheduler',
  'sns.amazonaws.com': 'sns',
  's3.amazonaws.com': 's3',
  'sqs.amazonaws.com': 'sqs',
  'elasticloadbalancing.amazonaws.com': 'elasticloadbalancing',
};

const ARN = /^arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9-]+):([a-z0-9-]*):(\d{12})?:(.+)$/;
/** `arn:<p>:execute-api:<region>:<account>:<api-id>/<stage>/<route>`, the route being `$default` or `<VERB>/<path>`. */
const EXECUTE_API = /^arn:(aws[a-zA-Z0-9-]*):execute-api:([a-z0-9-]+|\*):(\d{12}|\*):([a-z0-9]+|\*)\/([^/]+)\/(.+)$/;
const VERBS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'ANY', '*']);

/** An IAM ARN pattern (`*` any run of characters, `?` one) as a regular expression. */
function arnPattern(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

interface Api {
  readonly stack: StackView;
  readonly r: StateResource;
  readonly id: string;
  readonly region: string;
  readonly account: string;
  readonly partition: string;
  /** Route keys as they appear in an execute-api ARN: `POST/v1/events`, `$default`. */
  readonly routes: { readonly r: StateResource; readonly key: string; readonly target?: string }[];
  readonly stages: string[];
}

function apis(stacks: readonly StackView[]): Api[] {
  const routes = allOf(stacks, 'aws_apigatewayv2_route');
  const stages = allOf(stacks, 'aws_apigatewayv2_stage');
  return allOf(stacks, 'aws_apigatewayv2_api').flatMap(({ stack, r }): Api[] => {
    const id = typeof r.values.id === 'string' ? r.values.id : undefined;
    if (id === undefined) return [];
    const c = contextOf(stack, r);
    return [
      {
        stack,
        r,
        id,
        region: c.region,
        account: c.account,
        partition: c.partition,
        routes: routes
          .filter((x) => x.r.values.api_id === id && typeof x.r.values.route_key === 'string')
          .map((x) => {
            const key = String(x.r.values.route_key);
            const m = /^(\S+)\s+\/(.*)$/.exec(key);
            const target = typeof x.r.values.target === 'string' ? x.r.values.target.replace(/^integrations\//, '') : undefined;
            return { r: x.r, key: m ? `${m[1]}/${m[2]}` : key, ...(target !== undefined ? { target } : {}) };
          }),
        stages: stages.filter((x) => x.r.values.api_id === id && typeof x.r.values.name === 'string').map((x) => String(x.r.values.name)),
      },
    ];
  });
}

export const permissionSourceArn: Rule = {
  id: 'lambda-permission-source-arn',
  family: 'lambda-permissions',
  title:
    "A Lambda permission's source_arn is an ARN of its principal's service; for API Gateway an execute-api ARN " +
    '<api-id>/<stage>/<verb>/<path> of an API of the environment, matching at least one of its routes',
  sources: [ADD_PERMISSION, EXECUTE_API_ARN],
  check(ctx): Finding[] {
    const out: Finding[] = [];
    const all = apis(ctx.stacks);
    for (const { stack, r } of allOf(ctx.stacks, 'aws_lambda_permission')) {
      const source = typeof r.values.source_arn === 'string' ? r.values.source_arn : undefined;
      const principal = str(r, ['principal']);
      if (source === undefined || source === '') continue;
      const report = (message: string): void => {
        out.push({ stack, address: r.address, message, value: { principal, source_arn: source } });
      };
      const arn = ARN.exec(source);
      if (!arn) {
        report(`source_arn ${JSON.stringify(source)} is not an ARN (arn:<partition>:<service>:<region>:<account>:<resource>)`);
        continue;
      }
      const expected = principal !== undefined ? SERVICE_OF_PRINCIPAL[principal] : undefined;
      if (expected !== undefined && arn[2] !== expected) {
        report(`source_arn is an ${arn[2]} ARN, but calls from ${principal} carry ${expected} ARNs: the permission never matches, and every invocation is denied`);
        continue;
      }
      if (expected !== 'execute-api') continue;
      const m = EXECUTE_API.exec(source);
      if (!m) {
        report('source_arn is not an execute-api ARN of the form arn:<partition>:execute-api:<region>:<account>:<api-id>/<stage>/<verb>/<path>');
        continue;
      }
      const [, , region, account, apiId, stage, route] = m;
      if (route !== '$default' && route !== '*' && !VERBS.has(route!.split('/')[0]!)) {
        report(`source_arn route part ${JSON.stringify(route)} does not start with an HTTP verb (or *, or $default)`);
      }
      if (all.length === 0) continue;
      const api = all.find((a) => a.id === apiId);
      if (api === undefined && apiId !== '*') {
        report(`source_arn names API ${JSON.stringify(apiId)}, which is not an API of this environment (${all.map((a) => a.id).join(', ')})`);
        continue;
      }
      if (api === undefined) continue;
      if (region !== '*' && region !== api.region) report(`source_arn is in ${region}, but the API is in ${api.region}`);
      if (account !== '*' && account !== api.account) report(`source_arn names account ${account}, but the API belongs to ${api.account}`);
      if (stage !== '*' && api.stages.length > 0 && !api.stages.includes(stage!)) {
        report(`source_arn names stage ${JSON.stringify(stage)}, which the API does not have (${api.stages.join(', ')})`);
      }
      const re = arnPattern(route!);
      if (api.routes.length > 0 && !api.routes.some((x) => re.test(x.key))) {
        report(`source_arn matches none of the API's routes (${api.routes.map((x) => x.key).join(', ')}): API Gateway never calls with such an ARN`);
      }
    }
    return out;
  },
};

export const routesHavePermission: Rule = {
  id: 'apigateway-route-permission',
  family: 'lambda-permissions',
  title: 'Every HTTP API route integrated with a Lambda function has a permission whose source_arn the route\'s calls match (else API Gateway answers 500)',
  sources: [HTTP_API_LAMBDA, EXECUTE_API_ARN, ADD_PERMISSION],
  check(ctx): Finding[] {
    const out: Finding[] = [];
    const integrations = allOf(ctx.stacks, 'aws_apigatewayv2_integration');
    const permissions = allOf(ctx.stacks, 'aws_lambda_permission').filter(({ r }) => r.values.principal === 'apigateway.amazonaws.com');
    for (const api of apis(ctx.stacks)) {
      for (const route of api.routes) {
        const integration = integrations.find((i) => i.r.values.id === route.target && i.r.values.api_id === api.id);
        const uri = integration !== undefined && typeof integration.r.values.integration_uri === 'string' ? integration.r.values.integration_uri : undefined;
        // A function ARN, or its invoke ARN (arn:<p>:apigateway:<region>:lambda:path/2015-03-31/functions/<function ARN>/invocations).
        const inner = uri !== undefined ? (/\/functions\/(arn:[^/]+)\/invocations$/.exec(uri)?.[1] ?? uri) : undefined;
        const fn = inner !== undefined && /^arn:[^:]+:lambda:/.test(inner) ? qualifiedFunctionArn(inner, api) : undefined;
        if (fn === undefined) continue;
        const stages = api.stages.length > 0 ? api.stages : ['$default'];
        const calls = stages.map((s) => `arn:${api.partition}:execute-api:${api.region}:${api.account}:${api.id}/${s}/${route.key}`);
        const allowed = permissions.some(({ stack, r }) => {
          const named = typeof r.values.function_name === 'string' ? qualifiedFunctionArn(r.values.function_name, contextOf(stack, r)) : undefined;
          const qualifier = typeof r.values.qualifier === 'string' && r.values.qualifier !== '' ? `:${r.values.qualifier}` : '';
          // An unqualified ARN has 7 parts; `qualifier` then names the version or alias.
          const target = named !== undefined && named.split(':').length === 7 ? `${named}${qualifier}` : named;
          if (target !== fn) return false;
          const source = typeof r.values.source_arn === 'string' ? r.values.source_arn : undefined;
          return source === undefined || source === '' || calls.some((c) => arnPattern(source).test(c));
        });
        if (!allowed) {
          out.push({
            stack: api.stack,
            address: route.r.address,
            message: `route ${JSON.stringify(route.r.values.route_key)} invokes ${fn}, but no Lambda permission for apigateway.amazonaws.com matches its calls (${calls.join(', ')})`,
            value: { route_key: route.r.values.route_key, function: fn },
          });
        }
      }
    }
    return out;
  },
};

export const LAMBDA_PERMISSION_RULES: readonly Rule[] = [permissionSourceArn, routesHavePermission];
