import { ConfigError, type ConfigIssue } from '../../config/errors';
import { configPathFromEnv, loadConfig, parseConfig } from '../../config/loader';
import { EXAMPLE_CONFIG_PATH, minimalConfig } from '../helpers/deploy';

/** Parses and returns the issues; fails the test if the config is accepted. */
function issuesOf(yaml: string): ConfigIssue[] {
  try {
    parseConfig(yaml, 'test.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).issues];
  }
  throw new Error('config was accepted');
}

const appWith = (types: string) => `project: acme
environments:
  dev: { region: eu-central-1 }
applications:
  - name: web-shop
    eventTypes:
${types}`;

describe('config loader', () => {
  it('accepts the minimum contract and resolves defaults', () => {
    // Prepare
    const yaml = `project: acme
environments:
  dev:  { region: eu-central-1 }
  prod: { region: us-east-1 }
applications:
  - name: web-shop
    eventTypes:
      - page_view
      - name: checkout_completed
        peakRecordsPerSecond: 400
        avgRecordBytes: 2000
`;
    // Act
    const config = parseConfig(yaml);
    // Assess
    expect(config.environments.map((e) => [e.name, e.region, e.stackId])).toEqual([
      ['dev', 'eu-central-1', 'tracking-dev'],
      ['prod', 'us-east-1', 'tracking-prod'],
    ]);
    const dev = config.environments[0]!;
    expect(dev.eventTypes.map((t) => t.deliveryStreamName)).toEqual([
      'acme-dev-web-shop-checkout_completed',
      'acme-dev-web-shop-page_view',
    ]);
    expect(dev.eventTypes[0]).toMatchObject({ buffering: { sizeMiB: 64, intervalSeconds: 300 }, compression: 'GZIP', transform: 'lambda' });
    expect(dev.logRetentionDays).toBe(30);
    expect(dev.tags).toEqual({ project: 'acme', environment: 'dev', 'managed-by': 'cdktf' });
    expect(dev.rootStream.enabled).toBe(false);
    expect(dev.alarms.enabled).toBe(true);
  });

  it('loads the example config', () => {
    const config = loadConfig(EXAMPLE_CONFIG_PATH);
    expect(config.project).toBe('acme');
    expect(config.environments.length).toBeGreaterThanOrEqual(2);
  });

  it('merges buffering as defaults, then config defaults, then the event type', () => {
    // Prepare
    const yaml = minimalConfig().replace(
      'applications:',
      'defaults:\n  buffering: { intervalSeconds: 60 }\n  compression: UNCOMPRESSED\napplications:',
    ).replace('avgRecordBytes: 2000', 'avgRecordBytes: 2000\n        buffering: { sizeMiB: 16 }\n        transform: native');
    // Act
    const [checkout, pageView] = parseConfig(yaml).environments[0]!.eventTypes;
    // Assess
    expect(checkout).toMatchObject({ buffering: { sizeMiB: 16, intervalSeconds: 60 }, transform: 'native', compression: 'UNCOMPRESSED' });
    expect(pageView).toMatchObject({ buffering: { sizeMiB: 64, intervalSeconds: 60 }, transform: 'lambda' });
  });

  it('adds the common tags to the user tags', () => {
    const yaml = minimalConfig().replace('applications:', 'tags: { team: data }\napplications:');
    expect(parseConfig(yaml).environments[0]!.tags).toEqual({ project: 'acme', team: 'data', environment: 'dev', 'managed-by': 'cdktf' });
  });

  it('refuses a user tag that the pipeline sets itself instead of silently overriding it', () => {
    const yaml = minimalConfig().replace('applications:', 'tags: { project: other }\napplications:');
    const issue = issuesOf(yaml).find((i) => i.path === 'tags.project');
    expect(issue?.message).toMatch(/tag key "project" is set by the pipeline itself/);
  });

  it('sorts environments and event types so that file order does not matter', () => {
    const a = parseConfig(appWith('      - b\n      - a\n'));
    const b = parseConfig(appWith('      - a\n      - b\n'));
    expect(a).toEqual(b);
  });

  describe('reports every error at once, with path, line and a fix', () => {
    it('collects schema, duplicate and quota problems together', () => {
      // Prepare
      const yaml = `project: acme
environments:
  dev: { region: eu-central-1, regoin: x }
applications:
  - name: web-shop
    eventTypes:
      - page_view
      - page_view
      - name: big
        peakRecordsPerSecond: 5000
        avgRecordBytes: 1000
  - name: web-shop
    eventTypes: [a]
`;
      // Act
      const issues = issuesOf(yaml);
      // Assess
      expect(issues.map((i) => i.path)).toEqual(
        expect.arrayContaining([
          'environments.dev.regoin',
          'applications[0].eventTypes[1]',
          'applications[1].name',
          'applications[0].eventTypes[2].peakRecordsPerSecond',
        ]),
      );
      expect(issues.length).toBeGreaterThanOrEqual(4);
    });

    it.each<[string, string, string, RegExp]>([
      ['unknown key with a suggestion', minimalConfig().replace('- name: web-shop', '- name: web-shop\n    ownr: x'), 'applications[0].ownr', /unknown key "ownr"; did you mean "owner"\?/],
      ['unknown top-level key', `${minimalConfig()}aplications: []\n`, 'aplications', /unknown key "aplications"; did you mean "applications"\?/],
      ['unknown key in an event type object', minimalConfig().replace('avgRecordBytes: 2000', 'avgRecordBytes: 2000\n        bufering: {}'), 'applications[0].eventTypes[1].bufering', /did you mean "buffering"/],
      ['duplicate application', `${minimalConfig()}  - name: web-shop\n    eventTypes: [x]\n`, 'applications[1].name', /duplicate application "web-shop" \(first declared at applications\[0\]\)/],
      ['duplicate event type', appWith('      - a\n      - b\n      - name: a\n'), 'applications[0].eventTypes[2].name', /duplicate event type "a" in application "web-shop"/],
      ['bad characters in an event type', appWith('      - Page.View\n'), 'applications[0].eventTypes[0]', /not allowed: use lowercase letters, digits, "_" and "-"/],
      ['bad characters in an application', appWith('      - a\n').replace('name: web-shop', 'name: Web_Shop'), 'applications[0].name', /not allowed/],
      ['bad characters in the project', appWith('      - a\n').replace('project: acme', 'project: acme_co'), 'project', /lowercase letters, digits and "-"/],
      ['bad characters in an environment', appWith('      - a\n').replace('dev: {', 'Dev: {'), 'environments.Dev', /not allowed/],
      ['a missing required field', appWith('      - a\n').replace('dev: { region: eu-central-1 }', 'dev: {}'), 'environments.dev.region', /is required/],
      ['a wrong type', appWith('      - a\n').replace('eu-central-1', '42'), 'environments.dev.region', /must be a string/],
      ['an invalid region', appWith('      - a\n').replace('eu-central-1', 'europe'), 'environments.dev.region', /unknown AWS region "europe"; use one of/],
      ['an invalid retention', `logRetentionDays: 31\n${appWith('      - a\n')}`, 'logRetentionDays', /must be one of 1, 3, 5, 7, 14, 30,/],
      ['an unknown per-stream alarm', minimalConfig().replace('dev: { region: eu-central-1 }', 'dev: { region: eu-central-1, alarms: { perStreamAlarms: [web-shop/nope] } }'), 'environments.dev.alarms.perStreamAlarms[0]', /not a declared event type/],
      ['a shard count in on-demand mode', minimalConfig().replace('dev: { region: eu-central-1 }', 'dev: { region: eu-central-1, rootStream: { enabled: true, shardCount: 2 } }'), 'environments.dev.rootStream.shardCount', /only applies in provisioned mode/],
    ])('%s', (_name, yaml, path, message) => {
      // Act
      const issues = issuesOf(yaml);
      // Assess
      const issue = issues.find((i) => i.path === path);
      expect(issue).toBeDefined();
      expect(issue!.message).toMatch(message);
      expect(issue!.line).toBeGreaterThan(0);
    });

    it('points at the line and column of the offending key', () => {
      const yaml = minimalConfig().replace('- name: web-shop', '- name: web-shop\n    ownr: x');
      const issue = issuesOf(yaml).find((i) => i.path === 'applications[0].ownr')!;
      expect([issue.line, issue.column]).toEqual([6, 5]);
    });
  });

  describe('physical names', () => {
    it('rejects a delivery stream name over 64 characters instead of truncating it', () => {
      const long = 'x'.repeat(60);
      const issue = issuesOf(appWith(`      - ${long}\n`)).find((i) => i.path === 'applications[0].eventTypes[0]');
      expect(issue?.message).toMatch(/Firehose delivery stream name "acme-dev-web-shop-x+" is 78 characters; AWS allows at most 64/);
      expect(issue?.message).toMatch(/shorten/);
    });

    it('accepts a delivery stream name of exactly 64 characters', () => {
      const name = 'x'.repeat(64 - 'acme-dev-web-shop-'.length);
      expect(parseConfig(appWith(`      - ${name}\n`)).environments[0]!.eventTypes[0]!.deliveryStreamName).toHaveLength(64);
    });

    it('rejects a bucket name AWS would refuse, naming the setting that fixes it', () => {
      const issue = issuesOf(appWith('      - a\n').replace('dev: {', 'dev_eu: {')).find((i) => i.path === 'environments.dev_eu');
      expect(issue?.message).toMatch(/bucket name "acme-dev_eu-tracking-events" may only use lowercase letters.*set environments\.dev_eu\.bucket\.name/);
    });

    it('rejects names that collide once joined with "-"', () => {
      const yaml = `project: acme
environments:
  dev: { region: eu-central-1 }
applications:
  - name: a
    eventTypes: [b-c]
  - name: a-b
    eventTypes: [c]
`;
      const issue = issuesOf(yaml).find((i) => i.path === 'applications[1].eventTypes[0]');
      expect(issue?.message).toMatch(/"acme-dev-a-b-c" of environments\.dev a-b\/c collides with environments\.dev a\/b-c/);
    });

    it('rejects an environment whose name extends another one (IAM namespaces would overlap)', () => {
      const yaml = appWith('      - a\n').replace('dev: { region: eu-central-1 }', 'dev: { region: eu-central-1 }\n  dev-eu: { region: eu-west-1 }');
      const issue = issuesOf(yaml).find((i) => i.path === 'environments.dev-eu');
      expect(issue?.message).toMatch(/starts with "dev-"/);
    });
  });

  describe('quotas', () => {
    it.each<[string, string, number, number, boolean]>([
      ['eu-central-1: 1 MiB/s', 'eu-central-1', 500, 2000, false],
      ['eu-central-1: over 1 MiB/s', 'eu-central-1', 600, 2000, true],
      ['us-east-1: 5 MiB/s', 'us-east-1', 2600, 2000, false],
      ['us-east-1: over 5 MiB/s', 'us-east-1', 2700, 2000, true],
      ['eu-west-1: 5 MiB/s', 'eu-west-1', 2600, 2000, false],
      ['us-west-2: over 500,000 records/s', 'us-west-2', 500_001, 1, true],
      ['ap-south-1: over 100,000 records/s', 'ap-south-1', 100_001, 1, true],
    ])('checks the declared peak against one stream (%s)', (_name, region, rps, bytes, rejected) => {
      // Prepare
      const yaml = appWith(`      - name: t\n        peakRecordsPerSecond: ${rps}\n        avgRecordBytes: ${bytes}\n`).replace('eu-central-1', region);
      // Act
      const act = () => parseConfig(yaml);
      // Assess
      if (!rejected) expect(act).not.toThrow();
      else {
        const issue = issuesOf(yaml).find((i) => i.path === 'applications[0].eventTypes[0].peakRecordsPerSecond');
        expect(issue?.message).toMatch(/exceeds one delivery stream's .* in .*split "t" into several event types.*streamQuota/);
      }
    });

    it('checks declared requests per second against the region quota', () => {
      const yaml = appWith('      - name: t\n        peakRequestsPerSecond: 1500\n');
      const issue = issuesOf(yaml).find((i) => i.path === 'applications[0].eventTypes[0].peakRequestsPerSecond');
      expect(issue?.message).toMatch(/1500 requests\/s exceeds one delivery stream's 1000 requests\/s in eu-central-1/);
    });

    it('honours a raised quota declared for the environment', () => {
      const yaml = appWith('      - name: t\n        peakRecordsPerSecond: 600\n        avgRecordBytes: 2000\n').replace(
        'dev: { region: eu-central-1 }',
        'dev: { region: eu-central-1, streamQuota: { mibPerSecond: 2 } }',
      );
      expect(() => parseConfig(yaml)).not.toThrow();
    });

    it('rejects more delivery streams than the region allows, counting every environment there', () => {
      // Prepare: 1,001 types x 2 environments in eu-central-1 (2,000 streams per region)
      const types = Array.from({ length: 1001 }, (_, i) => `      - t${i}\n`).join('');
      const yaml = appWith(types).replace('dev: { region: eu-central-1 }', 'dev: { region: eu-central-1 }\n  prod: { region: eu-central-1 }');
      // Act
      const issues = issuesOf(yaml);
      // Assess
      expect(issues.find((i) => i.path === 'environments.dev.region')?.message).toMatch(
        /2002 delivery streams in eu-central-1 \(1001 event types x environments dev, prod\) exceed Firehose's quota of 2,000 streams per account in eu-central-1/,
      );
    });

    it('accepts exactly 5,000 delivery streams in a 5,000-stream region', () => {
      const types = Array.from({ length: 5000 }, (_, i) => `      - t${i}\n`).join('');
      expect(parseConfig(`stacks: { layout: single }\n${appWith(types).replace('eu-central-1', 'us-east-1')}`).environments[0]!.eventTypes).toHaveLength(5000);
    });
  });

  it('reports a YAML syntax error with line and column', () => {
    const issues = issuesOf('project: acme\nenvironments:\n  dev: { region: eu-central-1\napplications: []\n');
    expect(issues[0]!.message).toMatch(/^YAML syntax error/);
    expect(issues[0]!.line).toBeGreaterThan(0);
    expect(issues[0]!.column).toBeGreaterThan(0);
  });

  it('reports a duplicate YAML key', () => {
    expect(issuesOf(`${minimalConfig()}project: other\n`)[0]!.message).toMatch(/YAML syntax error: Map keys must be unique/);
  });

  it('says how to fix a missing file', () => {
    expect(() => loadConfig('/nonexistent/tracking.yaml')).toThrow(/file not found.*set TRACKING_CONFIG/);
  });

  it('formats every problem in the error message', () => {
    const err = (() => {
      try {
        parseConfig(appWith('      - A\n      - B\n'), 'cfg.yaml');
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('accepted');
    })();
    expect(err.message).toMatch(/^Invalid tracking config \(2 problems\):\n {2}- cfg\.yaml:7:9 applications\[0\]\.eventTypes\[0\]: /);
    expect(err.name).toBe('ConfigError');
  });

  it('reads TRACKING_CONFIG, else the example path', () => {
    expect(configPathFromEnv({ TRACKING_CONFIG: 'x.yaml' })).toBe('x.yaml');
    expect(configPathFromEnv({})).toBe('config/tracking.yaml');
  });
});
