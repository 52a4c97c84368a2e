/**
 * Issue #11: shard assignment. An event type's shard comes from the config (its own `shard`, else
 * its application's, else the application name), so it never depends on the other event types.
 */
import fc from 'fast-check';
import { stringify } from 'yaml';
import { ConfigError, type ConfigIssue } from '../../config/errors';
import { parseConfig } from '../../config/loader';
import type { EnvironmentSpec } from '../../config/model';

function issuesOf(yaml: string): ConfigIssue[] {
  try {
    parseConfig(yaml, 'test.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).issues];
  }
  throw new Error('config was accepted');
}

interface AppInput {
  readonly name: string;
  readonly shard?: string;
  readonly types: readonly { readonly name: string; readonly shard?: string }[];
}

function yamlOf(apps: readonly AppInput[], stacks: Record<string, unknown> = { layout: 'sharded' }): string {
  return stringify({
    project: 'acme',
    stacks,
    environments: { dev: { region: 'us-east-1' } },
    applications: apps.map((a) => ({
      name: a.name,
      ...(a.shard !== undefined ? { shard: a.shard } : {}),
      eventTypes: a.types.map((t) => (t.shard !== undefined ? { name: t.name, shard: t.shard } : t.name)),
    })),
  });
}

const devOf = (yaml: string): EnvironmentSpec => parseConfig(yaml).environments[0]!;

/** Event type key -> shard stack id. */
function assignment(env: EnvironmentSpec): Map<string, string> {
  const out = new Map<string, string>();
  for (const shard of env.stacks.shards) for (const key of shard.eventTypeKeys) out.set(key, shard.stackId);
  return out;
}

describe('stack layout', () => {
  it('stays one stack for a small config (auto)', () => {
    const env = devOf(yamlOf([{ name: 'web', types: [{ name: 'a' }, { name: 'b' }] }], {}));
    expect(env.stacks).toMatchObject({ requested: 'auto', layout: 'single', shards: [] });
  });

  it('puts each application in its own shard by default, with names from config/naming', () => {
    const env = devOf(yamlOf([{ name: 'web', types: [{ name: 'a' }, { name: 'b' }] }, { name: 'app', types: [{ name: 'c' }] }]));
    expect(env.stacks.shards).toEqual([
      { name: 'app', stackId: 'tracking-dev-app', transformFunctionName: 'acme-dev-transform-app', eventTypeKeys: ['app/c'] },
      { name: 'web', stackId: 'tracking-dev-web', transformFunctionName: 'acme-dev-transform-web', eventTypeKeys: ['web/a', 'web/b'] },
    ]);
  });

  it('splits a large application with `shard` on its event types', () => {
    const env = devOf(yamlOf([{ name: 'web', types: [{ name: 'a' }, { name: 'b', shard: 'web-2' }] }]));
    expect(assignment(env)).toEqual(new Map([['web/a', 'tracking-dev-web'], ['web/b', 'tracking-dev-web-2']]));
  });

  it('derives each shard state key from the core key', () => {
    const yaml = yamlOf([{ name: 'web', types: [{ name: 'a' }] }]).replace('region: us-east-1', 'region: us-east-1\n    backend: { bucket: acme-state }');
    const env = devOf(yaml);
    expect(env.backend?.key).toBe('acme/dev/terraform.tfstate');
    expect(env.stacks.shards[0]?.stateKey).toBe('acme/dev/terraform.shards/web.tfstate');
  });

  it('asks for an explicit layout above the single-stack threshold, with the fix', () => {
    const types = Array.from({ length: 251 }, (_, i) => ({ name: `t${i}` }));
    const issue = issuesOf(yamlOf([{ name: 'web', types }], {})).find((i) => i.path === 'environments.dev');
    expect(issue?.message).toMatch(/has 251 event types, more than one stack should hold \(stacks.maxStreamsPerShard: 250\); choose its layout: set stacks.layout: sharded/);
  });

  it('lets an environment keep one stack explicitly', () => {
    const types = Array.from({ length: 300 }, (_, i) => ({ name: `t${i}` }));
    expect(devOf(yamlOf([{ name: 'web', types }], { layout: 'single' })).stacks.layout).toBe('single');
  });

  it('rejects a shard over the bound and says how to split it', () => {
    const types = Array.from({ length: 11 }, (_, i) => ({ name: `t${i}` }));
    const issue = issuesOf(yamlOf([{ name: 'web', types }], { layout: 'sharded', maxStreamsPerShard: 10 })).find((i) => i.path === 'applications[0]');
    expect(issue?.message).toMatch(/shard "web" of environment "dev" holds 11 event types; a shard holds at most 10 \(stacks.maxStreamsPerShard\): give 1 or more of its event types their own shard, for example `shard: web-2`/);
  });

  it('lets one environment move to shards before another (per-environment layout)', () => {
    const yaml = stringify({
      project: 'acme',
      environments: { dev: { region: 'us-east-1', stacks: { layout: 'sharded' } }, prod: { region: 'us-east-1' } },
      applications: [{ name: 'web', eventTypes: ['a'] }],
    });
    const [dev, prod] = parseConfig(yaml).environments;
    expect([dev!.stacks.layout, prod!.stacks.layout]).toEqual(['sharded', 'single']);
  });

  it('rejects a shard whose transform function name would exceed 64 characters', () => {
    const shard = `s${'x'.repeat(50)}`;
    const issue = issuesOf(yamlOf([{ name: 'web', shard, types: [{ name: 'a' }] }])).find((i) => i.path === 'applications[0]');
    expect(issue?.message).toMatch(/Lambda function name "acme-dev-transform-sx+" is 70 characters; AWS allows at most 64; use a shorter shard name/);
  });
});

describe('shard assignment properties', () => {
  const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/);
  const typeArb = fc.record({ name, shard: fc.option(fc.constantFrom('s1', 's2', 's3'), { nil: undefined }) });
  const appArb = fc.record({
    name,
    shard: fc.option(fc.constantFrom('s1', 's2'), { nil: undefined }),
    types: fc.uniqueArray(typeArb, { minLength: 1, maxLength: 6, selector: (t) => t.name }),
  });
  const appsArb = fc.uniqueArray(appArb, { minLength: 1, maxLength: 5, selector: (a) => a.name });
  const clean = (apps: AppInput[]): AppInput[] =>
    apps.map((a) => ({ ...(a.shard !== undefined ? { shard: a.shard } : {}), name: a.name, types: a.types.map((t) => (t.shard !== undefined ? t : { name: t.name })) }));

  it('puts every event type in exactly one shard, within the bound', () => {
    fc.assert(
      fc.property(appsArb, (raw) => {
        const apps = clean(raw);
        const env = devOf(yamlOf(apps, { layout: 'sharded', maxStreamsPerShard: 1000 }));
        const keys = env.stacks.shards.flatMap((s) => s.eventTypeKeys);
        expect(keys.sort()).toEqual(env.eventTypes.map((t) => t.key).sort());
        expect(new Set(keys).size).toBe(keys.length);
        for (const s of env.stacks.shards) expect(s.eventTypeKeys.length).toBeLessThanOrEqual(env.stacks.maxStreamsPerShard);
      }),
      { numRuns: 60 },
    );
  });

  it('never moves an event type when others are added, removed or reordered', () => {
    fc.assert(
      fc.property(appsArb, appsArb, fc.integer({ min: 0, max: 1_000 }), (rawBase, rawExtra, seed) => {
        const base = clean(rawBase);
        const extra = clean(rawExtra).filter((e) => !base.some((b) => b.name === e.name));
        // Added: extra applications, and one more event type in the first application.
        const grown = [...base.map((a, i) => (i === 0 ? { ...a, types: [...a.types, { name: `zz${seed}` }] } : a)), ...extra];
        // Removed: every other event type (applications keep at least one), then everything reversed.
        const shrunk = base.map((a) => ({ ...a, types: a.types.filter((_, i) => i % 2 === 0) }));
        const reordered = [...grown].reverse().map((a) => ({ ...a, types: [...a.types].reverse() }));
        const before = assignment(devOf(yamlOf(base, { layout: 'sharded', maxStreamsPerShard: 1000 })));
        for (const variant of [grown, shrunk, reordered]) {
          const after = assignment(devOf(yamlOf(variant, { layout: 'sharded', maxStreamsPerShard: 1000 })));
          for (const [key, stack] of after) if (before.has(key)) expect(stack).toBe(before.get(key));
        }
      }),
      { numRuns: 40 },
    );
  });

  it('reports any shard over the bound, and only those', () => {
    fc.assert(
      fc.property(appsArb, fc.integer({ min: 1, max: 6 }), (raw, max) => {
        const apps = clean(raw);
        const sizes = new Map<string, number>();
        for (const a of apps) for (const t of a.types) sizes.set(t.shard ?? a.shard ?? a.name, (sizes.get(t.shard ?? a.shard ?? a.name) ?? 0) + 1);
        const over = [...sizes.entries()].filter(([, n]) => n > max).map(([s]) => s);
        const yaml = yamlOf(apps, { layout: 'sharded', maxStreamsPerShard: max });
        if (over.length === 0) expect(() => parseConfig(yaml)).not.toThrow();
        else {
          const reported = issuesOf(yaml).flatMap((i) => /^shard "([^"]+)"/.exec(i.message)?.[1] ?? []);
          expect(reported.sort()).toEqual(over.sort());
        }
      }),
      { numRuns: 60 },
    );
  });
});
