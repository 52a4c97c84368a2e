import * as path from 'node:path';
import { configureBackend, localStatePath, REQUIRED_TERRAFORM_VERSION } from '../../stacks/backend';
import { configYaml, envOf, resourcesOf, synthOps, synthStack } from './ops-helpers';

type DashboardBody = { widgets: { type: string; properties: { title?: string; region?: string; metrics?: unknown[] } }[] };

function dashboardOf(yamlText: string): { name: string; body: DashboardBody; raw: string } {
  const [d] = resourcesOf(synthOps(envOf(yamlText)), 'aws_cloudwatch_dashboard') as { dashboard_name: string; dashboard_body: string }[];
  return { name: d!.dashboard_name, body: JSON.parse(d!.dashboard_body) as DashboardBody, raw: d!.dashboard_body };
}

describe('dashboard', () => {
  it('is valid JSON named after the environment, with widgets in its region', () => {
    // Prepare
    const yamlText = configYaml();

    // Act
    const d = dashboardOf(yamlText);

    // Assess
    expect(d.name).toBe('acme-dev-tracking');
    const metrics = d.body.widgets.filter((w) => w.type === 'metric');
    expect(metrics.length).toBeGreaterThan(0);
    for (const w of metrics) expect(w.properties.region).toBe('eu-central-1');
  });

  it.each([
    ['root stream on', true, ['Router acme-dev-fanout-router', 'Root stream acme-dev-root', 'Dead-letter queue acme-dev-fanout-router-dlq']],
    ['root stream off', false, []],
  ])('shows the router, stream and queue only with the root stream (%s)', (_label, rootStream, expected) => {
    // Prepare
    const yamlText = configYaml({ rootStream });

    // Act
    const titles = dashboardOf(yamlText).body.widgets.map((w) => w.properties.title ?? '');

    // Assess
    for (const prefix of ['Router', 'Root stream', 'Dead-letter queue']) {
      const found = titles.filter((t) => t.startsWith(prefix));
      expect(found.length).toBe(expected.filter((e) => e.startsWith(prefix)).length);
    }
    for (const e of expected) expect(titles.some((t) => t.startsWith(e))).toBe(true);
  });

  it('shows the transform Lambda only when an event type uses it', () => {
    // Prepare
    const native = configYaml({ eventTypes: [{ name: 'a', transform: 'native' }] });
    const lambda = configYaml({ eventTypes: [{ name: 'a', transform: 'lambda' }] });

    // Act
    const nativeTitles = dashboardOf(native).body.widgets.map((w) => w.properties.title ?? '');
    const lambdaTitles = dashboardOf(lambda).body.widgets.map((w) => w.properties.title ?? '');

    // Assess
    expect(nativeTitles.some((t) => t.includes('acme-dev-jsonl-transform'))).toBe(false);
    expect(lambdaTitles.some((t) => t.includes('acme-dev-jsonl-transform'))).toBe(true);
  });

  it('is byte-identical for the same config in another order', () => {
    // Prepare
    const a = configYaml({ eventTypes: [{ name: 'x' }, { name: 'y' }] });
    const b = configYaml({ eventTypes: [{ name: 'y' }, { name: 'x' }] });

    // Act
    const rawA = dashboardOf(a).raw;
    const rawB = dashboardOf(b).raw;

    // Assess
    expect(rawA).toBe(rawB);
  });
});

describe('backend', () => {
  let warn: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());

  const backendOf = (env: ReturnType<typeof envOf>) =>
    synthStack((stack) => configureBackend(stack, { env, stackId: 'tracking-dev', stateKey: env.backend?.key ?? '', outdir: 'cdktf.out' }));

  it('is S3 with encryption and S3-native locking when a bucket is configured', () => {
    // Prepare
    const env = envOf(configYaml({ backend: { bucket: 'acme-tf-state' } }));

    // Act
    const json = backendOf(env);

    // Assess
    expect(json.terraform?.backend).toEqual({
      s3: { bucket: 'acme-tf-state', key: 'acme/dev/terraform.tfstate', region: 'eu-central-1', encrypt: true, use_lockfile: true },
    });
    expect(warn).not.toHaveBeenCalled();
  });

  it('requires the Terraform version that S3-native locking and removed/import blocks need', () => {
    const json = backendOf(envOf(configYaml({ backend: { bucket: 'acme-tf-state' } })));
    expect((json.terraform as Record<string, unknown>).required_version).toBe('>= 1.11.0');
    expect(REQUIRED_TERRAFORM_VERSION).toBe('>= 1.11.0');
    expect((backendOf(envOf(configYaml())).terraform as Record<string, unknown>).required_version).toBe('>= 1.11.0');
  });

  it('locks with S3 as well as the deprecated DynamoDB table when one is configured, and warns', () => {
    // Prepare
    const env = envOf(configYaml({ backend: { bucket: 'acme-tf-state', key: 'x/y.tfstate', region: 'us-east-1', dynamodbTable: 'tf-locks' } }));

    // Act
    const json = backendOf(env);

    // Assess
    expect(json.terraform?.backend).toEqual({
      s3: { bucket: 'acme-tf-state', key: 'x/y.tfstate', region: 'us-east-1', encrypt: true, dynamodb_table: 'tf-locks', use_lockfile: true },
    });
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/deprecated/);
  });

  it('is local, per stack, outside the synth output, with one warning naming the environment, when no backend is configured', () => {
    // Prepare
    const env = envOf(configYaml());

    // Act
    const json = backendOf(env);

    // Assess: Terraform resolves the path from cdktf.out/stacks/tracking-dev
    expect(json.terraform?.backend).toEqual({ local: { path: '../../../terraform-state/tracking-dev.tfstate' } });
    expect(path.resolve('/repo/cdktf.out/stacks/tracking-dev', '../../../terraform-state/tracking-dev.tfstate')).toBe('/repo/terraform-state/tracking-dev.tfstate');
    // A synth output outside the project keeps its state beside it: the path never names the checkout
    expect(localStatePath('tracking-dev', '/tmp/out', '/repo')).toBe('../../../terraform-state/tracking-dev.tfstate');
    expect(localStatePath('tracking-dev', 'build/out', '/repo')).toBe('../../../../terraform-state/tracking-dev.tfstate');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/environment "dev".*terraform-state\/tracking-dev\.tfstate.*environments\.dev\.backend\.bucket/);
  });
});
