/**
 * The collector in the environment's stacks (config/schema.ts, config/model.ts, config/loader.ts
 * and stacks/parts.ts, as docs/collector.md describes): with the collector off none of it
 * exists in any stack; with it on, the API lives in the single or core stack, a catalog object in
 * every stack holding event types, each application's write-key parameter in the stack holding
 * the application; adding an event type changes exactly one stack (its shard), and adding an
 * application's key changes only that application's stack.
 */
import { Testing } from 'cdktf';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../../config/loader';
import type { EnvironmentSpec } from '../../config/model';
import { addEnvironmentStacks } from '../../stacks/app';
import { deployStacks, resourcesOf, type StackJson } from '../helpers/deploy';
import { hashWriteKey } from '../../lib/write-keys';

const KEY_A = hashWriteKey('tpk_a');
const KEY_B = hashWriteKey('tpk_b');

function yaml(opts: { collector?: Record<string, unknown>; layout?: 'single' | 'sharded'; extraType?: boolean; rootStream?: boolean } = {}): string {
  return stringify({
    project: 'acme',
    stacks: { layout: opts.layout ?? 'sharded' },
    environments: { dev: { region: 'eu-central-1', ...(opts.rootStream ? { rootStream: { enabled: true } } : {}), ...(opts.collector ? { collector: opts.collector } : {}) } },
    applications: [
      { name: 'web', eventTypes: ['page_view', 'click', ...(opts.extraType ? ['scroll'] : [])] },
      { name: 'mobile', eventTypes: ['open'] },
    ],
  });
}

const COLLECTOR = { enabled: true, applications: { web: { writeKeys: [KEY_A], allowedOrigins: ['https://shop.example.com'] }, mobile: { writeKeys: [KEY_B] } } };

const count = (json: StackJson, type: string): number => Object.keys(resourcesOf(json, type)).length;
const catalogKeys = (json: StackJson): string[] => Object.values(resourcesOf(json, 'aws_s3_object')).map((o) => o.key as string).filter((k) => k.startsWith('catalog/'));
const parameters = (json: StackJson): string[] => Object.values(resourcesOf(json, 'aws_ssm_parameter')).map((p) => p.name as string).filter((n) => n.includes('/collector/'));

let warn: jest.SpyInstance;
beforeAll(() => {
  warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
});
afterAll(() => warn.mockRestore());

describe('with the collector off', () => {
  it.each(['single', 'sharded'] as const)('no stack of the %s layout holds any of it', (layout) => {
    // Act
    const { stacks } = deployStacks(yaml({ layout }));

    // Assess
    for (const json of stacks.values()) {
      expect(Object.keys(json.resource ?? {}).filter((t) => t.startsWith('aws_apigatewayv2_'))).toEqual([]);
      expect(catalogKeys(json)).toEqual([]);
      expect(parameters(json)).toEqual([]);
      expect(Object.keys(json.output ?? {}).filter((o) => o.startsWith('collector-'))).toEqual([]);
    }
  });
});

describe('with the collector on', () => {
  const stacksOf = (y: string): Map<string, StackJson> => deployStacks(y).stacks;

  it('sharded: the API in the core, a catalog object per shard, each application\'s parameter in its shard', () => {
    // Act
    const stacks = stacksOf(yaml({ collector: COLLECTOR }));

    // Assess
    const core = stacks.get('tracking-dev')!;
    expect(count(core, 'aws_apigatewayv2_api')).toBe(1);
    expect(catalogKeys(core)).toEqual([]);
    expect(catalogKeys(stacks.get('tracking-dev-web')!)).toEqual(['catalog/tracking-dev-web.json.gz']);
    expect(catalogKeys(stacks.get('tracking-dev-mobile')!)).toEqual(['catalog/tracking-dev-mobile.json.gz']);
    expect(parameters(stacks.get('tracking-dev-web')!)).toEqual(['/acme/dev/collector/write-keys/web']);
    expect(parameters(stacks.get('tracking-dev-mobile')!)).toEqual(['/acme/dev/collector/write-keys/mobile']);
    for (const id of ['tracking-dev-web', 'tracking-dev-mobile']) expect(count(stacks.get(id)!, 'aws_apigatewayv2_api')).toBe(0);
  });

  it('single: everything in the one stack, with one catalog object', () => {
    // Act
    const stacks = stacksOf(yaml({ collector: COLLECTOR, layout: 'single', rootStream: true }));

    // Assess
    const only = stacks.get('tracking-dev')!;
    expect(count(only, 'aws_apigatewayv2_api')).toBe(1);
    expect(catalogKeys(only)).toEqual(['catalog/tracking-dev.json.gz']);
    expect(parameters(only).sort()).toEqual(['/acme/dev/collector/write-keys/mobile', '/acme/dev/collector/write-keys/web']);
  });

  it('adding an event type changes exactly one stack (its shard); adding a key changes only its application\'s stack', () => {
    // Prepare
    const before = stacksOf(yaml({ collector: COLLECTOR }));
    const withType = stacksOf(yaml({ collector: COLLECTOR, extraType: true }));
    const withKey = stacksOf(yaml({ collector: { ...COLLECTOR, applications: { ...COLLECTOR.applications, mobile: { writeKeys: [KEY_B, hashWriteKey('tpk_c')] } } } }));

    // Act
    const changed = (after: Map<string, StackJson>): string[] => [...after.keys()].filter((id) => JSON.stringify(after.get(id)) !== JSON.stringify(before.get(id)));

    // Assess
    expect(changed(withType)).toEqual(['tracking-dev-web']);
    expect(changed(withKey)).toEqual(['tracking-dev-mobile']);
  });

  it('keeps the single stack\'s catalog object in the core while a moves file moves its event types to shards', () => {
    // Prepare: prod of the every-option fixture moves from one stack to its shards (every-option.moves.json).
    const prod = loadConfig(path.join(__dirname, '../fixtures/every-option.yaml')).environments.find((e) => e.name === 'prod')!;
    const synth = (env: EnvironmentSpec): Map<string, StackJson> => {
      const app = Testing.app();
      return new Map(addEnvironmentStacks(app, env).map((st) => [st.node.id, JSON.parse(Testing.synth(st)) as StackJson]));
    };

    // Act
    const moving = synth(prod);
    const moved = synth({ ...prod, moves: [] });
    const single = synth({ ...prod, moves: [], stacks: { ...prod.stacks, layout: 'single', shards: [] } });

    // Assess: the same object at the same address as in the single stack, listing every event type; gone once the moves are done.
    const core = moving.get('tracking-prod')!;
    expect(catalogKeys(core)).toEqual(['catalog/tracking-prod.json.gz']);
    const address = (json: StackJson): string[] => Object.entries(resourcesOf(json, 'aws_s3_object')).filter(([, o]) => (o.key as string).startsWith('catalog/')).map(([id]) => id);
    expect(address(core)).toEqual(address(single.get('tracking-prod')!));
    const content = (json: StackJson): unknown => Object.values(resourcesOf(json, 'aws_s3_object')).find((o) => (o.key as string).startsWith('catalog/'))!.content_base64;
    expect(content(core)).toEqual(content(single.get('tracking-prod')!));
    expect(catalogKeys(moved.get('tracking-prod')!)).toEqual([]);
    expect([...moving.keys()].filter((id) => id !== 'tracking-prod').every((id) => catalogKeys(moving.get(id)!).length === 1)).toBe(true);
  });
});
