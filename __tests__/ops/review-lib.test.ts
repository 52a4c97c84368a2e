import { diffStacks, normalize, parseStack, renderMarkdown, type SynthesizedStack } from '../../scripts/review-lib';

type Resources = Record<string, Record<string, Record<string, unknown>>>;

function stacks(resource: Resources): Map<string, SynthesizedStack> {
  return new Map([['tracking-dev', parseStack('tracking-dev', { resource })]]);
}

const firehose = (name: string, interval = 300): Record<string, unknown> => ({
  name,
  destination: 'extended_s3',
  extended_s3_configuration: { buffering_interval: interval },
  '//': { metadata: { path: 'x' } },
});

const BASE: Resources = {
  aws_kinesis_firehose_delivery_stream: { s_a: firehose('acme-dev-shop-a'), s_b: firehose('acme-dev-shop-b') },
  aws_s3_bucket: { bucket: { bucket: 'acme-dev-tracking-events' } },
  aws_cloudwatch_log_group: { logs: { name: '/aws/kinesisfirehose/acme-dev' } },
  aws_kinesis_stream: { root: { name: 'acme-dev-root' } },
  aws_lambda_function: { fn: { function_name: 'acme-dev-jsonl-transform', filename: 'assets/fn/0123456789ABCDEF0123456789ABCDEF/archive.zip', source_code_hash: 'h1' } },
};

function edit(f: (r: Resources) => void): Resources {
  const copy = JSON.parse(JSON.stringify(BASE)) as Resources;
  f(copy);
  return copy;
}

describe('destructive changes', () => {
  describe.each<[string, Resources, string]>([
    ['a delivery stream removed', edit((r) => delete r.aws_kinesis_firehose_delivery_stream!.s_b), 'delivery stream `acme-dev-shop-b` would be destroyed'],
    [
      'a delivery stream renamed (new address)',
      edit((r) => {
        delete r.aws_kinesis_firehose_delivery_stream!.s_b;
        r.aws_kinesis_firehose_delivery_stream!.s_c = firehose('acme-dev-shop-c');
      }),
      'added in the same change: `acme-dev-shop-c`',
    ],
    ['a delivery stream name changed in place', edit((r) => (r.aws_kinesis_firehose_delivery_stream!.s_b!.name = 'acme-dev-shop-bb')), 'would be replaced: `name` changes to `acme-dev-shop-bb`'],
    ['the bucket renamed', edit((r) => (r.aws_s3_bucket!.bucket!.bucket = 'other-bucket')), 'bucket `acme-dev-tracking-events` would be replaced'],
    ['the bucket removed', edit((r) => delete r.aws_s3_bucket), 'bucket `acme-dev-tracking-events` would be destroyed'],
    ['the log group removed', edit((r) => delete r.aws_cloudwatch_log_group), 'log group `/aws/kinesisfirehose/acme-dev` would be destroyed'],
    ['the root stream removed', edit((r) => delete r.aws_kinesis_stream), 'root stream `acme-dev-root` would be destroyed'],
  ])('%s', (_label, head, message) => {
    it('is reported as destructive, naming what it destroys', () => {
      // Prepare
      const base = stacks(BASE);

      // Act
      const result = diffStacks(base, stacks(head));

      // Assess
      expect(result.destructive).toHaveLength(1);
      expect(result.destructive[0]!.message).toContain(message);
      expect(renderMarkdown(result, 'main')).toMatch(/^### ⚠ Destructive changes \(1\)$/m);
    });
  });
});

describe('non-destructive changes', () => {
  describe.each<[string, Resources, { added: number; changed: number; removed: number }]>([
    ['a delivery stream added', edit((r) => (r.aws_kinesis_firehose_delivery_stream!.s_c = firehose('acme-dev-shop-c'))), { added: 1, changed: 0, removed: 0 }],
    ['a buffering hint changed', edit((r) => (r.aws_kinesis_firehose_delivery_stream!.s_a = firehose('acme-dev-shop-a', 60))), { added: 0, changed: 1, removed: 0 }],
    ['the Lambda code changed', edit((r) => (r.aws_lambda_function!.fn!.source_code_hash = 'h2')), { added: 0, changed: 1, removed: 0 }],
    ['an alarm removed', edit((r) => (r.aws_cloudwatch_metric_alarm = {})), { added: 0, changed: 0, removed: 0 }],
    [
      'only the asset folder hash and metadata changed',
      edit((r) => {
        r.aws_lambda_function!.fn!.filename = 'assets/fn/FEDCBA9876543210FEDCBA9876543210/archive.zip';
        r.aws_kinesis_firehose_delivery_stream!.s_a!['//'] = { other: true };
      }),
      { added: 0, changed: 0, removed: 0 },
    ],
  ])('%s', (_label, head, counts) => {
    it('is listed with its counts and no destructive block', () => {
      // Prepare
      const base = stacks(BASE);

      // Act
      const result = diffStacks(base, stacks(head));
      const changes = result.stacks[0]!.changes;

      // Assess
      expect(result.destructive).toEqual([]);
      expect({
        added: changes.filter((c) => c.kind === 'added').length,
        changed: changes.filter((c) => c.kind === 'changed').length,
        removed: changes.filter((c) => c.kind === 'removed').length,
      }).toEqual(counts);
      expect(renderMarkdown(result, 'main')).toContain('No destructive changes.');
    });
  });

  it('names the changed attribute of a changed resource', () => {
    // Prepare
    const head = edit((r) => (r.aws_kinesis_firehose_delivery_stream!.s_a = firehose('acme-dev-shop-a', 60)));

    // Act
    const md = renderMarkdown(diffStacks(stacks(BASE), stacks(head)), 'main');

    // Assess
    expect(md).toContain('| changed | `aws_kinesis_firehose_delivery_stream` | `acme-dev-shop-a` | `extended_s3_configuration.buffering_interval` |');
  });
});

describe('for_each resources', () => {
  const stream = (entries: Record<string, { name: string; interval: number }>): Map<string, SynthesizedStack> =>
    stacks({
      aws_kinesis_firehose_delivery_stream: {
        delivery: {
          for_each: entries,
          name: '${each.value.name}',
          extended_s3_configuration: { buffering_interval: '${each.value.interval}', prefix: 'events/${each.key}/' },
        },
      },
    });

  it.each<[string, Record<string, { name: string; interval: number }>, number, string | undefined]>([
    ['an instance added', { 'shop/a': { name: 'acme-dev-shop-a', interval: 300 }, 'shop/b': { name: 'acme-dev-shop-b', interval: 300 }, 'shop/c': { name: 'acme-dev-shop-c', interval: 300 } }, 0, undefined],
    ['an instance removed', { 'shop/a': { name: 'acme-dev-shop-a', interval: 300 } }, 1, 'delivery stream `acme-dev-shop-b` would be destroyed'],
    ['an instance renamed', { 'shop/a': { name: 'acme-dev-shop-a', interval: 300 }, 'shop/bb': { name: 'acme-dev-shop-bb', interval: 300 } }, 1, 'added in the same change: `acme-dev-shop-bb`'],
  ])('are diffed per instance: %s', (_label, head, destructive, message) => {
    // Prepare
    const base = stream({ 'shop/a': { name: 'acme-dev-shop-a', interval: 300 }, 'shop/b': { name: 'acme-dev-shop-b', interval: 300 } });

    // Act
    const result = diffStacks(base, stream(head));

    // Assess
    expect(result.destructive).toHaveLength(destructive);
    if (message !== undefined) expect(result.destructive[0]!.message).toContain(message);
  });

  it('resolve each.key and each.value and name the changed attribute', () => {
    // Prepare
    const base = stream({ 'shop/a': { name: 'acme-dev-shop-a', interval: 300 } });
    const head = stream({ 'shop/a': { name: 'acme-dev-shop-a', interval: 60 } });

    // Act
    const result = diffStacks(base, head);
    const [c] = result.stacks[0]!.changes;

    // Assess
    expect(c).toMatchObject({ kind: 'changed', address: 'aws_kinesis_firehose_delivery_stream.delivery["shop/a"]', physicalName: 'acme-dev-shop-a' });
    expect(c!.changedPaths).toEqual(['extended_s3_configuration.buffering_interval']);
    expect(base.get('tracking-dev')!.resources.get('aws_kinesis_firehose_delivery_stream.delivery["shop/a"]')!.config).toMatchObject({
      extended_s3_configuration: { prefix: 'events/shop/a/', buffering_interval: 300 },
    });
  });
});

describe('normalize', () => {
  it('keeps source_code_hash and drops only metadata and asset folder hashes', () => {
    // Prepare
    const value = { '//': 1, source_code_hash: 'abc', filename: 'assets/x/00112233445566778899AABBCCDDEEFF/a.zip' };

    // Act
    const n = normalize(value);

    // Assess
    expect(n).toEqual({ filename: 'assets/x/<hash>/a.zip', source_code_hash: 'abc' });
  });
});

describe('stacks', () => {
  it('reports every protected resource of a removed stack', () => {
    // Prepare
    const base = stacks(BASE);

    // Act
    const result = diffStacks(base, new Map());

    // Assess
    expect(result.destructive.map((d) => d.target).sort()).toEqual(
      ['/aws/kinesisfirehose/acme-dev', 'acme-dev-root', 'acme-dev-shop-a', 'acme-dev-shop-b', 'acme-dev-tracking-events'].sort(),
    );
  });

  it('flags a changed backend block', () => {
    // Prepare
    const a = new Map([['s', parseStack('s', { terraform: { backend: { local: { path: 'a' } } } })]]);
    const b = new Map([['s', parseStack('s', { terraform: { backend: { s3: { bucket: 'b' } } } })]]);

    // Act
    const result = diffStacks(a, b);

    // Assess
    expect(result.stacks[0]!.backendChanged).toBe(true);
    expect(renderMarkdown(result, 'main')).toContain('migrate-state');
  });

  describe('Terraform and provider settings', () => {
    const doc = (over: { version?: string; tags?: Record<string, string>; meta?: string }): unknown => ({
      '//': { metadata: { version: over.meta ?? '0.21.0' } },
      terraform: {
        backend: { local: { path: 'state' } },
        required_providers: { aws: { source: 'aws', version: over.version ?? '6.25.0' } },
        required_version: '>= 1.11.0',
      },
      provider: { aws: [{ region: 'eu-central-1', default_tags: [{ tags: { environment: 'dev', ...(over.tags ?? {}) } }] }] },
      resource: BASE,
    });

    it.each<[string, { version?: string; tags?: Record<string, string> }, string]>([
      ['a provider upgrade', { version: '6.66.0' }, 'terraform.required_providers.aws.version'],
      ['a new default tag', { tags: { 'cost-center': 'analytics' } }, 'provider.aws[0].default_tags[0].tags'],
    ])('plans a stack whose only change is %s', (_what, over, changedPath) => {
      // Prepare
      const base = new Map([['tracking-dev', parseStack('tracking-dev', doc({}))]]);
      const head = new Map([['tracking-dev', parseStack('tracking-dev', doc(over))]]);

      // Act
      const result = diffStacks(base, head);

      // Assess
      expect(result.stacks[0]!.changes).toEqual([]);
      expect(result.stacks[0]!.settingsChanged.join(' ')).toContain(changedPath);
      expect(result.changedStacks).toEqual(['tracking-dev']);
      expect(renderMarkdown(result, 'main')).toContain('Terraform or provider settings changed');
    });

    it('ignores cdktf metadata, so an unchanged stack stays out of the plan', () => {
      // Prepare
      const base = new Map([['tracking-dev', parseStack('tracking-dev', doc({}))]]);
      const head = new Map([['tracking-dev', parseStack('tracking-dev', doc({ meta: '0.24.0' }))]]);

      // Act
      const result = diffStacks(base, head);

      // Assess
      expect(result.stacks[0]!.settingsChanged).toEqual([]);
      expect(result.changedStacks).toEqual([]);
    });
  });
});

describe('moved blocks', () => {
  const provider = { aws: [{ default_tags: [{ tags: { environment: 'dev' } }] }] };
  const legacy = (key: string, to: string) => ({ from: `aws_kinesis_firehose_delivery_stream.delivery[${JSON.stringify(key)}]`, to: `aws_kinesis_firehose_delivery_stream.${to}` });
  const stackOf = (streams: Record<string, unknown>, moved: unknown[]) =>
    new Map([['tracking-dev', parseStack('tracking-dev', { provider, resource: { aws_kinesis_firehose_delivery_stream: streams }, moved })]]);

  it('does not list the moved block that comes with a brand-new event type (its source was never deployed)', () => {
    // Prepare: one type, then a second one with the stacks' moved block from the earlier layout's address
    const base = stackOf({ shop__a: { name: 'acme-dev-shop-a' } }, [legacy('shop/a', 'shop__a')]);
    const head = stackOf({ shop__a: { name: 'acme-dev-shop-a' }, blog__read: { name: 'acme-dev-blog-read' } }, [legacy('shop/a', 'shop__a'), legacy('blog/read', 'blog__read')]);

    // Act
    const result = diffStacks(base, head);

    // Assess: the new stream is the change; the block that moves nothing is not
    expect(result.stacks[0]!.blockChanges).toEqual([]);
    expect(result.stacks[0]!.changes.map((c) => [c.kind, c.address])).toEqual([['added', 'aws_kinesis_firehose_delivery_stream.blog__read']]);
    expect(result.changedStacks).toEqual(['tracking-dev']);
    expect(renderMarkdown(result, 'main')).not.toContain('Block changed');
  });

  it('does not list the moved block that leaves with a removed event type', () => {
    const base = stackOf({ shop__a: { name: 'acme-dev-shop-a' }, blog__read: { name: 'acme-dev-blog-read' } }, [legacy('shop/a', 'shop__a'), legacy('blog/read', 'blog__read')]);
    const head = stackOf({ shop__a: { name: 'acme-dev-shop-a' } }, [legacy('shop/a', 'shop__a')]);
    expect(diffStacks(base, head).stacks[0]!.blockChanges).toEqual([]);
  });

  it('lists a moved block whose source the base deploys (a real move)', () => {
    // Prepare: the base has the earlier for_each layout; the working tree moves its instance
    const base = stackOf({ delivery: { for_each: { 'shop/a': { name: 'acme-dev-shop-a' } }, name: '${each.value.name}' } }, []);
    const head = stackOf({ shop__a: { name: 'acme-dev-shop-a' } }, [legacy('shop/a', 'shop__a')]);

    // Act
    const result = diffStacks(base, head);

    // Assess
    expect(result.stacks[0]!.blockChanges).toEqual(['moved aws_kinesis_firehose_delivery_stream.delivery["shop/a"] -> aws_kinesis_firehose_delivery_stream.shop__a']);
  });

  it('lists a moved block added for a resource the base already has (it changes what Terraform does)', () => {
    const base = stackOf({ shop__a: { name: 'acme-dev-shop-a' } }, []);
    const head = stackOf({ shop__a: { name: 'acme-dev-shop-a' } }, [legacy('shop/a', 'shop__a')]);
    expect(diffStacks(base, head).stacks[0]!.blockChanges).toHaveLength(1);
  });
});
