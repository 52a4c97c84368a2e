/**
 * The router's catalog in the environment's stacks: with a root stream (and no collector), every
 * stack holding event types publishes its catalog object, and adding an event type still changes
 * only the stack that holds it (sharded layout: never the core, whose router lists no event type).
 */
import { stringify } from 'yaml';
import { catalogContent } from '../../modules/catalog-content';
import { deployStacks, resourcesOf, type StackJson } from '../helpers/deploy';

function yaml(extraType: boolean): string {
  return stringify({
    project: 'acme',
    stacks: { layout: 'sharded' },
    environments: { dev: { region: 'eu-central-1', rootStream: { enabled: true } } },
    applications: [
      { name: 'web', eventTypes: ['page_view', 'click', ...(extraType ? ['scroll'] : [])] },
      { name: 'mobile', eventTypes: ['open'] },
    ],
  });
}

const catalogObjects = (json: StackJson): Record<string, unknown>[] => Object.values(resourcesOf(json, 'aws_s3_object')).filter((o) => (o.key as string).startsWith('catalog/'));

let warn: jest.SpyInstance;
beforeAll(() => {
  warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
});
afterAll(() => warn.mockRestore());

describe('catalog objects for the router', () => {
  it('each shard publishes the catalog of its own event types; the core publishes none', () => {
    // Act
    const { config, stacks } = deployStacks(yaml(false));
    // Assess
    const env = config.environments[0]!;
    expect(catalogObjects(stacks.get('tracking-dev')!)).toEqual([]);
    for (const shard of ['web', 'mobile']) {
      const objects = catalogObjects(stacks.get(`tracking-dev-${shard}`)!);
      const types = env.eventTypes.filter((t) => t.application === shard);
      expect(objects.map((o) => o.key)).toEqual([`catalog/tracking-dev-${shard}.json.gz`]);
      // Exactly the bytes the router decodes (modules/catalog-content.ts), listing exactly this shard's types.
      expect(objects[0]!.content_base64).toBe(catalogContent('dev', types).gzip.toString('base64'));
    }
  });

  it('adding an event type changes only the stack that holds it', () => {
    // Act
    const before = deployStacks(yaml(false)).stacks;
    const after = deployStacks(yaml(true)).stacks;
    // Assess
    const changed = [...after.keys()].filter((id) => JSON.stringify(after.get(id)) !== JSON.stringify(before.get(id)));
    expect(changed).toEqual(['tracking-dev-web']);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
  });
});
