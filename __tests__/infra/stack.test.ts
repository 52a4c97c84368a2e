import { parseConfig } from '../../config/loader';
import { buildManifest } from '../../config/manifest';
import { deploy, exampleConfigText, instancesOf, minimalConfig, resourcesOf, type StackJson } from '../helpers/deploy';

/** Removes what legitimately differs between two synths of the same config. */
function normalize(json: StackJson): StackJson {
  const text = JSON.stringify(json)
    // Asset folders are content hashes; the Lambda source hash is checked in its own test.
    .replace(/assets\/[^"]+\/archive\.zip/g, 'assets/<asset>/archive.zip')
    .replace(/"source_code_hash":"[^"]+"/g, '"source_code_hash":"<hash>"')
    // Local state is relative to the stack folder: the test app's temp outdir, wherever the repo is.
    .replace(/"path":"[^"]*\/terraform-state\//g, '"path":"<relative>/terraform-state/');
  return JSON.parse(text) as StackJson;
}

/** Resource addresses with their bodies: plain resources, and for_each instances expanded. */
function addresses(json: StackJson): Map<string, string> {
  const out = new Map<string, string>();
  for (const type of Object.keys(json.resource ?? {})) {
    for (const [address, body] of instancesOf(json, type)) out.set(address, JSON.stringify(body));
  }
  return out;
}

describe('environment stack', () => {
  it('configures the provider region and the common tags once, as default_tags', () => {
    // Act
    const { json } = deploy(minimalConfig().replace('applications:', 'tags: { cost-center: analytics }\napplications:'));
    // Assess
    expect(json.provider?.aws).toEqual([
      {
        region: 'eu-central-1',
        default_tags: [{ tags: { 'cost-center': 'analytics', project: 'acme', environment: 'dev', 'managed-by': 'cdktf' } }],
        // Firehose's control plane allows 5 calls/s: adaptive client-side rate limiting and more retries.
        retry_mode: 'adaptive',
        max_retries: 25,
      },
    ]);
  });

  it('pins the account when the config names one', () => {
    const { json } = deploy(minimalConfig().replace('dev: { region: eu-central-1 }', 'dev: { region: eu-central-1, account: "123456789012" }'));
    expect(json.provider?.aws).toEqual([expect.objectContaining({ allowed_account_ids: ['123456789012'] })]);
  });

  it('outputs the bucket name and the delivery stream name of each event type', () => {
    // Act
    const { json } = deploy(minimalConfig());
    // Assess
    expect(json.output?.['bucket-name']?.value).toMatch(/^\$\{aws_s3_bucket\.events-bucket_[A-F0-9]+\.bucket\}$/);
    expect(json.output?.['delivery-stream-names']?.value).toEqual({
      'web-shop/checkout_completed': 'acme-dev-web-shop-checkout_completed',
      'web-shop/page_view': 'acme-dev-web-shop-page_view',
    });
  });

  it.each(['dev', 'prod'])('synthesizes the example config (%s): one stream and log stream per event type, one bucket', (environment) => {
    // Prepare
    const config = parseConfig(exampleConfigText());
    const env = config.environments.find((e) => e.name === environment)!;
    // Act
    const { json } = deploy(exampleConfigText(), environment);
    // Assess
    const typeCount = config.applications.reduce((n, a) => n + a.eventTypes.length, 0);
    expect(env.eventTypes).toHaveLength(typeCount);
    expect(instancesOf(json, 'aws_kinesis_firehose_delivery_stream').size).toBe(typeCount);
    expect(instancesOf(json, 'aws_cloudwatch_log_stream').size).toBe(typeCount);
    expect(Object.keys(resourcesOf(json, 'aws_s3_bucket'))).toHaveLength(1);
    expect(Object.keys(resourcesOf(json, 'aws_s3_bucket_public_access_block'))).toHaveLength(1);
    expect(Object.keys(resourcesOf(json, 'aws_s3_bucket_policy'))).toHaveLength(1);
    expect(Object.keys(resourcesOf(json, 'aws_iam_role')).length).toBeGreaterThanOrEqual(2);
  });

  describe('stability', () => {
    it('adding an event type adds only that type\'s resources', () => {
      // Prepare
      const before = addresses(deploy(minimalConfig()).json);
      // Act
      const after = addresses(deploy(minimalConfig().replace('      - page_view\n', '      - page_view\n      - search\n')).json);
      // Assess
      const added = [...after.keys()].filter((a) => !before.has(a)).sort();
      const removed = [...before.keys()].filter((a) => !after.has(a));
      const changed = [...before.keys()].filter((a) => after.has(a) && after.get(a) !== before.get(a));
      expect(added).toEqual([
        'aws_cloudwatch_log_stream.web-shop__search',
        'aws_glue_catalog_table.web-shop__search',
        'aws_glue_catalog_table.web-shop__search__errors',
        'aws_kinesis_firehose_delivery_stream.web-shop__search',
      ]);
      expect(removed).toEqual([]);
      // The transform's contract table lists every stream it serves (an unknown stream fails loudly
      // rather than passing unvalidated), so its code hash moves with the new type; nothing else changes.
      expect(changed).toEqual([expect.stringMatching(/^aws_lambda_function\.jsonl-transform_function_/)]);
    });

    it('reordering applications, event types and environments changes nothing', () => {
      // Prepare
      const a = `project: acme
environments:
  dev: { region: eu-central-1 }
  prod: { region: us-east-1 }
applications:
  - name: web-shop
    eventTypes: [page_view, add_to_cart, { name: checkout, avgRecordBytes: 100 }]
  - name: mobile
    eventTypes: [app_open, screen_view]
`;
      const b = `project: acme
applications:
  - name: mobile
    eventTypes: [screen_view, app_open]
  - name: web-shop
    eventTypes: [{ name: checkout, avgRecordBytes: 100 }, add_to_cart, page_view]
environments:
  prod: { region: us-east-1 }
  dev: { region: eu-central-1 }
`;
      for (const environment of ['dev', 'prod']) {
        // Act
        const first = deploy(a, environment).synthesized;
        const second = deploy(b, environment).synthesized;
        // Assess: byte-identical Terraform
        expect(second).toBe(first);
      }
      expect(buildManifest(parseConfig(b))).toEqual(buildManifest(parseConfig(a)));
    });
  });

  it.each(['dev', 'prod'])('matches the normalized snapshot of the example %s stack', (environment) => {
    expect(normalize(deploy(exampleConfigText(), environment).json)).toMatchSnapshot();
  });
});
