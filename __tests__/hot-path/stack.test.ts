/**
 * The hot path wired into an environment: from `rootStream.hotPath` in the config to the resources,
 * alarms and dashboard row of the environment's single or core stack; nothing without rules.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { deployStacks, resourcesOf, type StackJson } from '../helpers/deploy';

const FIXTURE = parse(readFileSync(path.join(__dirname, '..', 'fixtures', 'hot-path-config.yaml'), 'utf8')) as { hotPath: unknown };

function yamlOf(hotPath: unknown, layout = 'single'): string {
  return stringify({
    project: 'acme',
    stacks: { layout },
    environments: { dev: { region: 'eu-central-1', rootStream: { enabled: true, ...(hotPath !== undefined ? { hotPath } : {}) } } },
    applications: [
      { name: 'web-shop', eventTypes: ['page_view', 'checkout_completed', 'refund_requested'] },
      { name: 'payments', eventTypes: ['payment_failed'] },
      { name: 'mobile-app', eventTypes: ['app_open'] },
    ],
  });
}

const types = (json: StackJson): string[] => Object.keys(json.resource ?? {});

describe('hot path in the environment', () => {
  let warn: jest.SpyInstance;
  beforeAll(() => (warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined)));
  afterAll(() => warn.mockRestore());

  it('adds the filtered consumer, the table, the topic, its alarms and a dashboard row to the core stack', () => {
    // Act
    const { stacks } = deployStacks(yamlOf(FIXTURE.hotPath, 'sharded'));
    const core = stacks.get('tracking-dev')!;
    // Assess
    expect(types(core)).toEqual(expect.arrayContaining(['aws_dynamodb_table', 'aws_sns_topic', 'aws_lambda_event_source_mapping']));
    const fn = Object.values(resourcesOf(core, 'aws_lambda_function')).map((f) => f.function_name);
    expect(fn).toContain('acme-dev-hot-path');
    const alarms = Object.values(resourcesOf(core, 'aws_cloudwatch_metric_alarm')).map((a) => a.alarm_name);
    expect(alarms).toEqual(expect.arrayContaining(['acme-dev acme-dev-hot-path iterator-age']));
    const body = JSON.stringify(Object.values(resourcesOf(core, 'aws_cloudwatch_dashboard'))[0]?.dashboard_body);
    expect(body).toContain('Hot path acme-dev-hot-path');
    // ...and nothing of it in the shards
    for (const [id, json] of stacks) if (id !== 'tracking-dev') expect(types(json)).not.toContain('aws_dynamodb_table');
  });

  it('creates none of it without rules', () => {
    const { stacks } = deployStacks(yamlOf(undefined));
    const single = stacks.get('tracking-dev')!;
    expect(types(single)).not.toContain('aws_dynamodb_table');
    expect(Object.values(resourcesOf(single, 'aws_lambda_function')).map((f) => f.function_name)).not.toContain('acme-dev-hot-path');
  });
});
