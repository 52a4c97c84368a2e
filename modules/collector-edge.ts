/**
 * The edge in front of the HTTP collector (docs/collector.md, "Protection"; why this design and
 * what it costs: docs/decisions.md §14): a CloudFront distribution whose origin is the collector's
 * HTTP API, with an AWS WAF web ACL of rate-based rules. HTTP APIs cannot be associated with AWS
 * WAF themselves (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-vs-rest.html),
 * so the web ACL sits on CloudFront.
 *
 * - **Web ACL** (`aws_wafv2_web_acl`, scope CLOUDFRONT): created through a provider for us-east-1,
 *   where AWS requires CloudFront web ACLs to live (`Scope` of CreateWebACL,
 *   https://docs.aws.amazon.com/waf/latest/APIReference/API_CreateWebACL.html). Default action
 *   allow; one rate-based rule per line of `edgeRules` (config/collector.ts): the viewer's IP
 *   address, then the write key per application. Requests over a limit get 429 with a JSON body.
 * - **Client IP.** WAF on CloudFront sees the viewer's own address as the request's IP (aggregate
 *   key type IP). Never a forwarded-IP header: with no proxy in front of CloudFront, a client
 *   writes X-Forwarded-For itself and would pick a new "address" per request
 *   (https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-forwarded-ip-address.html).
 * - **Write key.** Custom aggregation keys on the `x-write-key` header and the `key` query argument
 *   (URL-decoded, so that an encoded key is counted as the key API Gateway decodes); a request
 *   missing a key component is not counted by that rule
 *   (https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-aggregation-options.html).
 * - **Distribution**: the API's execute-api host as a custom origin (HTTPS only, TLS 1.2), the
 *   origin secret as a custom header (CloudFront overwrites a viewer's header of that name:
 *   https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/add-origin-custom-headers.html),
 *   no caching (managed policy CachingDisabled), every viewer header but Host forwarded (managed
 *   policy AllViewerExceptHostHeader, meant for API Gateway origins, which need their own Host;
 *   https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-origin-request-policies.html),
 *   HTTPS only for viewers, the web ACL by ARN (`WebACLId` takes the ARN of a WAFv2 web ACL:
 *   https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DistributionConfig.html), and
 *   the custom domain with its us-east-1 certificate (SNI, TLSv1.2_2021).
 */
import { CloudfrontDistribution } from '@cdktf/provider-aws/lib/cloudfront-distribution';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Wafv2WebAcl, type Wafv2WebAclRule } from '@cdktf/provider-aws/lib/wafv2-web-acl';
import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { EDGE_REGION, edgeRules, type CollectorProtectionSpec, type EdgeRule } from '../config/collector';
import { APPLICATION_QUERY, WRITE_KEY_HEADER, WRITE_KEY_QUERY } from '../lib/collector-protocol';

/** CloudFront's managed cache policy "CachingDisabled" (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html). */
export const CACHING_DISABLED_POLICY_ID = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
/** CloudFront's managed origin request policy "AllViewerExceptHostHeader" (for API Gateway and Lambda URL origins). */
export const ALL_VIEWER_EXCEPT_HOST_POLICY_ID = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';
/** Alias of the us-east-1 provider in the stack's Terraform (`provider = aws.us_east_1`). */
export const EDGE_PROVIDER_ALIAS = 'us_east_1';
/** Key of the web ACL's response body for requests over a limit. */
export const RATE_LIMITED_BODY_KEY = 'rate-limited';
/** What a client over a limit reads (429). */
export const RATE_LIMITED_BODY = JSON.stringify({
  error: { code: 'rate-limited', message: 'too many requests from this client or with this write key; send them again later' },
});
/** Seconds a client over a limit is told to wait (AWS WAF re-checks rates continuously). */
export const RATE_LIMITED_RETRY_AFTER_SECONDS = 60;
/** CloudFront waits this long for the API (API Gateway's own integration ceiling is 30 s). */
export const ORIGIN_READ_TIMEOUT_SECONDS = 30;
const ORIGIN_ID = 'collector-api';

export interface CollectorEdgeProps {
  /** The resolved protection (config/collector.ts). */
  readonly protection: CollectorProtectionSpec;
  /** The API's endpoint, `https://<id>.execute-api.<region>.amazonaws.com` (a reference): CloudFront's origin. */
  readonly apiEndpoint: string;
  /** The header CloudFront adds to every origin request, and its value (a reference to the generated secret). */
  readonly originSecret: { readonly header: string; readonly value: string };
  /**
   * The custom domain CloudFront serves, with its certificate in us-east-1.
   * @default none (the distribution's cloudfront.net address)
   */
  readonly domain?: { readonly name: string; readonly certificateArn: string };
  /**
   * Default tags and allowed account of the us-east-1 provider the web ACL is created with (the
   * stack's own provider settings).
   * @default no default tags, no account restriction
   */
  readonly provider?: { readonly defaultTags?: Readonly<Record<string, string>>; readonly allowedAccountIds?: readonly string[] };
  /** The distribution's comment (at most 128 characters). */
  readonly comment: string;
}

export class CollectorEdge extends Construct {
  public readonly provider: AwsProvider;
  public readonly webAcl: Wafv2WebAcl;
  public readonly distribution: CloudfrontDistribution;
  /** The rules of the web ACL, as data. */
  public readonly rules: readonly EdgeRule[];

  public constructor(scope: Construct, id: string, props: CollectorEdgeProps) {
    super(scope, id);
    const p = props.protection;
    const tags = props.provider?.defaultTags ?? {};
    this.provider = new AwsProvider(this, 'provider-us-east-1', {
      alias: EDGE_PROVIDER_ALIAS,
      region: EDGE_REGION,
      ...(Object.keys(tags).length > 0 ? { defaultTags: [{ tags: { ...tags } }] } : {}),
      ...(props.provider?.allowedAccountIds !== undefined ? { allowedAccountIds: [...props.provider.allowedAccountIds] } : {}),
    });

    this.rules = edgeRules(p);
    this.webAcl = new Wafv2WebAcl(this, 'web-acl', {
      provider: this.provider,
      name: p.webAclName,
      description: `Rate limits of the collector ${p.webAclName}: per client IP and per write key`,
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      customResponseBody: [{ key: RATE_LIMITED_BODY_KEY, content: RATE_LIMITED_BODY, contentType: 'APPLICATION_JSON' }],
      rule: this.rules.map((r, priority) => wafRule(r, priority, p)),
      visibilityConfig: { cloudwatchMetricsEnabled: true, metricName: p.webAclName, sampledRequestsEnabled: true },
    });

    const domain = props.domain;
    this.distribution = new CloudfrontDistribution(this, 'distribution', {
      enabled: true,
      comment: props.comment.slice(0, 128),
      isIpv6Enabled: p.ipv6,
      httpVersion: 'http2and3',
      priceClass: p.priceClass,
      webAclId: this.webAcl.arn,
      ...(domain !== undefined ? { aliases: [domain.name] } : {}),
      origin: [
        {
          originId: ORIGIN_ID,
          // api_endpoint is https://<host>: CloudFront wants the host alone.
          domainName: Fn.replace(props.apiEndpoint, 'https://', ''),
          customOriginConfig: {
            httpPort: 80,
            httpsPort: 443,
            originProtocolPolicy: 'https-only',
            originSslProtocols: ['TLSv1.2'],
            originReadTimeout: ORIGIN_READ_TIMEOUT_SECONDS,
          },
          customHeader: [{ name: props.originSecret.header, value: props.originSecret.value }],
        },
      ],
      defaultCacheBehavior: {
        targetOriginId: ORIGIN_ID,
        viewerProtocolPolicy: 'https-only',
        allowedMethods: ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'],
        cachedMethods: ['GET', 'HEAD'],
        cachePolicyId: CACHING_DISABLED_POLICY_ID,
        originRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_POLICY_ID,
        compress: false,
      },
      restrictions: { geoRestriction: { restrictionType: 'none' } },
      viewerCertificate:
        domain !== undefined
          ? { acmCertificateArn: domain.certificateArn, sslSupportMethod: 'sni-only', minimumProtocolVersion: 'TLSv1.2_2021' }
          : { cloudfrontDefaultCertificate: true },
    });
  }
}

/** One rate-based rule of `edgeRules`, as the provider's `rule` block (statements in Terraform's own attribute names). */
function wafRule(r: EdgeRule, priority: number, p: CollectorProtectionSpec): Wafv2WebAclRule {
  const rate: Record<string, unknown> = { limit: r.limit, evaluation_window_sec: p.evaluationWindowSeconds };
  if (r.key === 'client-ip') rate.aggregate_key_type = 'IP';
  else {
    rate.aggregate_key_type = 'CUSTOM_KEYS';
    rate.custom_key =
      r.key === 'write-key-header'
        ? [{ header: { name: WRITE_KEY_HEADER, text_transformation: [{ priority: 0, type: 'NONE' }] } }]
        : [{ query_argument: { name: WRITE_KEY_QUERY, text_transformation: [{ priority: 0, type: 'URL_DECODE' }] } }];
  }
  const scope = scopeDown(r);
  if (scope !== undefined) rate.scope_down_statement = scope;
  return {
    name: r.name,
    priority,
    action: {
      block: {
        customResponse: {
          responseCode: 429,
          customResponseBodyKey: RATE_LIMITED_BODY_KEY,
          responseHeader: [{ name: 'retry-after', value: String(RATE_LIMITED_RETRY_AFTER_SECONDS) }],
        },
      },
    },
    statement: { rate_based_statement: rate },
    visibilityConfig: { cloudwatchMetricsEnabled: true, metricName: `${p.webAclName}-${r.name}`, sampledRequestsEnabled: true },
  };
}

/** `?app=<name>`, URL-decoded as API Gateway decodes it. */
function namesApplication(name: string): Record<string, unknown> {
  return {
    byte_match_statement: {
      positional_constraint: 'EXACTLY',
      search_string: name,
      field_to_match: { single_query_argument: { name: APPLICATION_QUERY } },
      text_transformation: [{ priority: 0, type: 'URL_DECODE' }],
    },
  };
}

function scopeDown(r: EdgeRule): Record<string, unknown> | undefined {
  if (r.application !== undefined) return namesApplication(r.application);
  const except = r.exceptApplications ?? [];
  if (except.length === 0) return undefined;
  const named = except.length === 1 ? namesApplication(except[0]!) : { or_statement: { statement: except.map(namesApplication) } };
  return { not_statement: { statement: named } };
}
