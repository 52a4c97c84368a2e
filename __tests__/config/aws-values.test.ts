/**
 * Issue #9: the loader refuses config text that Terraform would evaluate, and every value AWS
 * would reject at apply time, each with its path, the offending value and the rule.
 */
import { ConfigError, type ConfigIssue } from '../../config/errors';
import { parseConfig } from '../../config/loader';
import { DELIVERY_STREAMS_PER_REGION } from '../../config/quotas';
import { minimalConfig } from '../helpers/deploy';

function issuesOf(yaml: string): ConfigIssue[] {
  try {
    parseConfig(yaml, 'test.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).issues];
  }
  throw new Error('config was accepted');
}

/** The minimal config with settings added to the dev environment. */
const withDev = (settings: string): string =>
  minimalConfig().replace('dev: { region: eu-central-1 }', `dev: { region: eu-central-1, ${settings} }`);

const KEY = 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const FN = 'arn:aws:lambda:eu-central-1:123456789012:function:fraud-check';

function expectIssue(yaml: string, path: string, message: RegExp): ConfigIssue {
  const issues = issuesOf(yaml);
  const issue = issues.find((i) => i.path === path && message.test(i.message));
  if (issue === undefined) throw new Error(`no issue at ${path} matching ${message}; got:\n${issues.map((i) => `${i.path}: ${i.message}`).join('\n')}`);
  return issue;
}

describe('config text never becomes Terraform code', () => {
  it.each<[string, string, string]>([
    ['an owner tag', minimalConfig().replace('- name: web-shop', '- name: web-shop\n    owner: "${aws_iam_role.x.arn}"'), 'applications[0].owner'],
    ['a tag value', minimalConfig().replace('applications:', 'tags: { team: "%{ if true }x%{ endif }" }\napplications:'), 'tags.team'],
    ['a subscription endpoint', withDev('alarms: { subscriptions: [{ protocol: https, endpoint: "https://x.example/${path.cwd}" }] }'), 'environments.dev.alarms.subscriptions[0].endpoint'],
    ['the root stream key', withDev('rootStream: { enabled: true, kmsKeyId: "alias/x${jsonencode({})}" }'), 'environments.dev.rootStream.kmsKeyId'],
    ['a backend bucket', withDev('backend: { bucket: "state-${var.x}" }'), 'environments.dev.backend.bucket'],
    ['a backend key', withDev('backend: { bucket: acme-state, key: "a/${file(\\"/etc/passwd\\")}" }'), 'environments.dev.backend.key'],
    ['a consumer ARN', withDev(`rootStream: { enabled: true, consumers: [{ type: lambda, name: c, functionArn: "${FN}\${x}" }] }`), 'environments.dev.rootStream.consumers[0].functionArn'],
  ])('rejects "${" and "%%{" in %s', (_what, yaml, path) => {
    // Act / Assess
    const issue = expectIssue(yaml, path, /contains "[$%]\{", which Terraform would evaluate/);
    expect(issue.line).toBeGreaterThan(0);
  });

  it('rejects a template sequence in a mapping key', () => {
    const yaml = minimalConfig().replace('applications:', 'tags: { "k${x}": v }\napplications:');
    expectIssue(yaml, 'tags["k${x}"]', /contains "\$\{"/);
  });

  it('lets description fields hold any text (they are escaped where they reach Terraform)', () => {
    const yaml = minimalConfig().replace('- name: web-shop', '- name: web-shop\n    description: "costs ${5} %{per} day"');
    expect(() => parseConfig(yaml)).not.toThrow();
  });

  it('names the value in the message, shortened when long', () => {
    const long = `\${${'x'.repeat(500)}}`;
    const issue = expectIssue(minimalConfig().replace('- name: web-shop', `- name: web-shop\n    owner: "${long}"`), 'applications[0].owner', /contains/);
    expect(issue.message).toContain('"${xxxx');
    expect(issue.message.length).toBeLessThan(400);
  });
});

describe('KMS keys are exact', () => {
  it.each<[string, string, RegExp]>([
    ['a wildcard key ARN', 'arn:aws:kms:eu-central-1:123456789012:key/*', /must be a full KMS key ARN.*alias/],
    ['a key id alone', '1234abcd-12ab-34cd-56ef-1234567890ab', /key ids alone and wildcards are not accepted/],
    ['a wildcard alias', 'alias/*', /must be a full KMS key ARN/],
    ['a key in another region', 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab', /is in us-east-1, but the stream is in eu-central-1/],
  ])('rejects %s as the root stream key', (_what, key, message) => {
    expectIssue(withDev(`rootStream: { enabled: true, kmsKeyId: "${key}" }`), 'environments.dev.rootStream.kmsKeyId', message);
  });

  it.each(['alias/tracking-stream', 'arn:aws:kms:eu-central-1:123456789012:alias/tracking-stream', KEY, 'alias/aws/kinesis'])(
    'accepts %s as the root stream key',
    (key) => {
      expect(() => parseConfig(withDev(`rootStream: { enabled: true, kmsKeyId: "${key}" }`))).not.toThrow();
    },
  );

  it('rejects a bucket key in another region than the bucket', () => {
    const other = KEY.replace('eu-central-1', 'eu-west-1');
    expectIssue(withDev(`bucket: { kmsKeyArn: "${other}" }`), 'environments.dev.bucket.kmsKeyArn', /key in eu-west-1, but the bucket is in eu-central-1/);
  });

  it('rejects a wildcard bucket key', () => {
    expectIssue(withDev('bucket: { kmsKeyArn: "arn:aws:kms:eu-central-1:123456789012:key/*" }'), 'environments.dev.bucket.kmsKeyArn', /"arn:aws:kms:eu-central-1:123456789012:key\/\*" must be a full KMS key ARN/);
  });
});

describe('values AWS rejects at apply time', () => {
  it.each<[string, string, RegExp]>([
    ['xn--', 'xn--tracking', /reserved prefix "xn--"/],
    ['an IP address', '192.168.1.10', /IP address/],
    ['two adjacent periods', 'acme..events', /two adjacent periods/],
    ['the -s3alias suffix', 'acme-events-s3alias', /reserved suffix "-s3alias"/],
    ['the sthree- prefix', 'sthree-acme', /reserved prefix "sthree-"/],
    ['upper case', 'Acme-Events', /lowercase letters/],
  ])('rejects a bucket name with %s', (_what, name, message) => {
    expectIssue(withDev(`bucket: { name: "${name}" }`), 'environments.dev.bucket.name', message);
  });

  it('rejects an unknown region', () => {
    expectIssue(minimalConfig().replace('eu-central-1', 'eu-middle-9'), 'environments.dev.region', /unknown AWS region "eu-middle-9"/);
  });

  it('rejects a tag key starting with aws:', () => {
    expectIssue(minimalConfig().replace('applications:', 'tags: { "AWS:team": x }\napplications:'), 'tags["AWS:team"]', /must not start with "aws:"/);
  });

  it('rejects more than 50 tags per resource, counting the tags the pipeline adds', () => {
    // Prepare: 47 user tags + project, environment, managed-by + owner = 51
    const tags = Array.from({ length: 47 }, (_, i) => `t${i}: v`).join(', ');
    const yaml = minimalConfig()
      .replace('applications:', `tags: { ${tags} }\napplications:`)
      .replace('- name: web-shop', '- name: web-shop\n    owner: team-a');
    // Act / Assess
    expectIssue(yaml, 'tags', /gives each resource 51 tags.*at most 50 per resource: remove 1/);
  });

  it('accepts 46 user tags with an owner (50 in all)', () => {
    const tags = Array.from({ length: 46 }, (_, i) => `t${i}: v`).join(', ');
    const yaml = minimalConfig().replace('applications:', `tags: { ${tags} }\napplications:`).replace('- name: web-shop', '- name: web-shop\n    owner: team-a');
    expect(() => parseConfig(yaml)).not.toThrow();
  });

  it.each<[string, string, string]>([
    ['a tag value', minimalConfig().replace('applications:', 'tags: { team: "data#1" }\napplications:'), 'tags.team'],
    ['an owner', minimalConfig().replace('- name: web-shop', '- name: web-shop\n    owner: "team (storefront)"'), 'applications[0].owner'],
  ])('rejects characters AWS does not allow in %s', (_what, yaml, path) => {
    expectIssue(yaml, path, /may only use letters, digits, spaces and _ \. : \/ = \+ - @/);
  });

  it.each<[string, string, RegExp]>([
    ['an invalid function name', 'arn:aws:lambda:eu-central-1:123456789012:function:fraud.check', /1-64 letters, digits/],
    ['a function name over 64 characters', `arn:aws:lambda:eu-central-1:123456789012:function:${'f'.repeat(65)}`, /1-64 letters, digits/],
    ['a function in another region', 'arn:aws:lambda:us-east-1:123456789012:function:fraud-check', /is in us-east-1, but an event source mapping needs the function in the stream's region eu-central-1/],
  ])('rejects a consumer with %s', (_what, arn, message) => {
    expectIssue(withDev(`rootStream: { enabled: true, consumers: [{ type: lambda, name: c, functionArn: "${arn}" }] }`), 'environments.dev.rootStream.consumers[0].functionArn', message);
  });

  it('accepts a consumer qualified with an alias', () => {
    expect(() => parseConfig(withDev(`rootStream: { enabled: true, consumers: [{ type: lambda, name: c, functionArn: "${FN}:live" }] }`))).not.toThrow();
  });

  it.each<[string, string, string, RegExp]>([
    ['an https subscription with an http:// URL', 'https', 'http://hooks.example.com/x', /needs an https:\/\/ URL, not http:\/\//],
    ['an https subscription with no URL', 'https', 'hooks.example.com', /needs an https:\/\/ URL/],
    ['an email subscription without an address', 'email', 'oncall', /needs an email address/],
    ['an email subscription with a space', 'email', 'on call@example.com', /needs an email address/],
  ])('rejects %s', (_what, protocol, endpoint, message) => {
    expectIssue(withDev(`alarms: { subscriptions: [{ protocol: ${protocol}, endpoint: "${endpoint}" }] }`), 'environments.dev.alarms.subscriptions[0].endpoint', message);
  });

  it('rejects the same subscription listed twice', () => {
    const sub = '{ protocol: email, endpoint: oncall@example.com }';
    expectIssue(withDev(`alarms: { subscriptions: [${sub}, ${sub}] }`), 'environments.dev.alarms.subscriptions[1]', /duplicate subscription email "oncall@example.com"/);
  });

  it('rejects the same per-stream alarm entry listed twice', () => {
    expectIssue(withDev('alarms: { perStreamAlarms: [web-shop/page_view, web-shop/page_view] }'), 'environments.dev.alarms.perStreamAlarms[1]', /duplicate entry "web-shop\/page_view"/);
  });

  it('rejects an alarm topic in another region', () => {
    expectIssue(withDev('alarms: { topicArn: "arn:aws:sns:us-east-1:123456789012:pager" }'), 'environments.dev.alarms.topicArn', /is in us-east-1; CloudWatch alarm actions must use a topic in the alarm's region/);
  });

  it.each<[string, string, string, RegExp]>([
    ['an invalid state bucket', 'backend: { bucket: "Acme_State" }', 'environments.dev.backend.bucket', /state bucket name "Acme_State"/],
    ['an unknown state region', 'backend: { bucket: acme-state, region: mars-1 }', 'environments.dev.backend.region', /unknown AWS region "mars-1"/],
    ['an invalid lock table', 'backend: { bucket: acme-state, dynamodbTable: "a b" }', 'environments.dev.backend.dynamodbTable', /DynamoDB table/],
  ])('rejects %s', (_what, settings, path, message) => {
    expectIssue(withDev(settings), path, message);
  });

  it("rejects an environment pointing its bucket at another environment's bucket", () => {
    const yaml = minimalConfig().replace(
      'dev: { region: eu-central-1 }',
      'dev: { region: eu-central-1 }\n  prod: { region: eu-central-1, bucket: { name: acme-dev-tracking-events } }',
    );
    expectIssue(yaml, 'environments.prod.bucket.name', /uses bucket "acme-dev-tracking-events", which is environment "dev"'s bucket/);
  });

  it('rejects two environments sharing one state bucket and key', () => {
    const yaml = minimalConfig().replace(
      'dev: { region: eu-central-1 }',
      'dev: { region: eu-central-1, backend: { bucket: acme-state, key: tf/state } }\n  prod: { region: eu-central-1, backend: { bucket: acme-state, key: tf/state } }',
    );
    expectIssue(yaml, 'environments.prod.backend.key', /keeps its state at "s3:\/\/acme-state\/tf\/state", like environment "dev"/);
  });
});

describe('Firehose stream quota per region', () => {
  const typesYaml = (n: number, region: string) =>
    `project: acme\nstacks: { layout: single }\nenvironments:\n  dev: { region: ${region} }\napplications:\n  - name: a\n    eventTypes:\n${Array.from({ length: n }, (_, i) => `      - t${i}\n`).join('')}`;

  it.each<[string, number]>([
    ['eu-west-3', 500],
    ['eu-central-1', 2_000],
    ['eu-central-2', 100],
    ['us-east-1', 5_000],
  ])('%s allows %i streams, not one more', (region, limit) => {
    expect(DELIVERY_STREAMS_PER_REGION[region]).toBe(limit);
    expect(() => parseConfig(typesYaml(limit, region))).not.toThrow();
    expectIssue(typesYaml(limit + 1, region), 'environments.dev.region', new RegExp(`${limit + 1} delivery streams in ${region}.*quota of ${limit.toLocaleString('en-US')} streams`));
  });

  it('rejects 600 event types in eu-west-3', () => {
    expectIssue(typesYaml(600, 'eu-west-3'), 'environments.dev.region', /600 delivery streams in eu-west-3/);
  });

  it('honours a raised stream quota', () => {
    const yaml = typesYaml(600, 'eu-west-3').replace('{ region: eu-west-3 }', '{ region: eu-west-3, streamQuota: { deliveryStreamsPerRegion: 1000 } }');
    expect(() => parseConfig(yaml)).not.toThrow();
  });
});

describe('YAML aliases', () => {
  it('accepts a valid config that uses one anchor more than 100 times', () => {
    // Prepare: 300 event types sharing one buffering anchor
    const types = Array.from({ length: 300 }, (_, i) => (i === 0 ? '      - { name: t0, buffering: &fast { sizeMiB: 8, intervalSeconds: 60 } }\n' : `      - { name: t${i}, buffering: *fast }\n`)).join('');
    const yaml = `project: acme\nstacks: { layout: single }\nenvironments:\n  dev: { region: us-east-1 }\napplications:\n  - name: a\n    eventTypes:\n${types}`;
    // Act
    const config = parseConfig(yaml);
    // Assess
    expect(config.environments[0]!.eventTypes).toHaveLength(300);
    expect(config.environments[0]!.eventTypes.every((t) => t.buffering.sizeMiB === 8)).toBe(true);
  });

  /** "billion laughs": each level repeats the previous one 10 times. */
  function aliasBomb(): string {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      levels.push(`${cur}: &${cur} [${Array.from({ length: 10 }, () => `*${prev}`).join(', ')}]`);
    }
    return `${levels.join('\n')}\nproject: acme\n`;
  }

  /** The text at a 1-based line and column. */
  const at = (text: string, line: number, column: number): string => text.split('\n')[line - 1]!.slice(column - 1);

  it('refuses an alias bomb at the alias that sets it off, with its path, line, column and the rule', () => {
    // Prepare
    const yaml = aliasBomb();
    // Act
    const issues = issuesOf(yaml);
    // Assess: one issue, like every other loader error
    expect(issues).toHaveLength(1);
    const issue = issues[0]!;
    // Level f repeats e (111,111 nodes) 10 times: its 8th alias passes 1,000,000 nodes.
    expect(issue.path).toBe('f[7]');
    expect(issue.line).toBe(6);
    expect(issue.column).toBeDefined();
    expect(at(yaml, issue.line!, issue.column!)).toMatch(/^\*e\b/);
    expect(issue.message).toMatch(/^alias \*e repeats a value of 111,111 nodes, which takes the YAML with its aliases expanded past 1,000,000 nodes/);
    expect(issue.message).toMatch(/The rule: aliases may expand a config to at most 20 times the nodes it writes \(here \d+\), or to 1,000,000 nodes if that is more/);
    expect(issue.message).toMatch(/alias bombs/);
  });

  it('refuses a bomb inside a large config too: the bound grows with the config, not with its aliases', () => {
    // Prepare: 60,000 event types written (20 times their nodes is more than 1,000,000), then the bomb
    const types = Array.from({ length: 60_000 }, (_, i) => `t${i}`).join(', ');
    const yaml = `${aliasBomb()}environments:\n  dev: { region: us-east-1 }\napplications:\n  - name: a\n    eventTypes: [${types}]\n`;
    // Act
    const issues = issuesOf(yaml);
    // Assess
    expect(issues).toHaveLength(1);
    const limit = Number(/expanded past ([\d,]+) nodes/.exec(issues[0]!.message)?.[1]?.replace(/,/g, ''));
    expect(limit).toBeGreaterThan(1_200_000);
    expect(issues[0]!.message).toMatch(/^alias \*[a-i] repeats a value of/);
    expect(at(yaml, issues[0]!.line!, issues[0]!.column!)).toMatch(/^\*[a-i]\b/);
  });

  it('refuses an alias inside the value its anchor marks (a value that contains itself), at the alias', () => {
    // Prepare
    const yaml = `${minimalConfig()}tags: &t { team: web, more: *t }\n`;
    // Act
    const issues = issuesOf(yaml);
    // Assess
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('tags.more');
    expect(issues[0]!.message).toMatch(/alias \*t is inside the value its anchor &t marks/);
    expect(at(yaml, issues[0]!.line!, issues[0]!.column!)).toMatch(/^\*t }/);
  });

  it('refuses an alias that comes before its anchor, at the alias', () => {
    // Prepare
    const yaml = `tags: *t\n${minimalConfig()}logRetentionDays: &t 30\n`;
    // Act
    const issues = issuesOf(yaml);
    // Assess
    expect(issues).toEqual([
      expect.objectContaining({ path: 'tags', line: 1, column: 7, message: expect.stringMatching(/alias \*t comes before any anchor &t/) as unknown }),
    ]);
  });

  it('accepts 5,000 event types sharing one anchor', () => {
    // Prepare
    const types = Array.from({ length: 5_000 }, (_, i) => (i === 0 ? '      - { name: t0, buffering: &fast { sizeMiB: 8, intervalSeconds: 60 } }' : `      - { name: t${i}, buffering: *fast }`)).join('\n');
    const yaml = `project: acme\nstacks: { layout: single }\nenvironments:\n  dev: { region: us-east-1, streamQuota: { deliveryStreamsPerRegion: 5000 } }\napplications:\n  - name: a\n    eventTypes:\n${types}\n`;
    // Act
    const config = parseConfig(yaml);
    // Assess
    expect(config.environments[0]!.eventTypes).toHaveLength(5_000);
    expect(config.environments[0]!.eventTypes.every((t) => t.buffering.sizeMiB === 8 && t.buffering.intervalSeconds === 60)).toBe(true);
  });
});

describe('messages name the offending value', () => {
  it.each<[string, string, string, RegExp]>([
    ['a retention value', `logRetentionDays: 31\n${minimalConfig()}`, 'logRetentionDays', /^31: must be one of/],
    ['an event type name', minimalConfig().replace('- page_view', '- Page.View'), 'applications[0].eventTypes[0]', /^"Page\.View": has characters that are not allowed/],
    ['a number out of range', minimalConfig().replace('avgRecordBytes: 2000', 'avgRecordBytes: 2000\n        buffering: { sizeMiB: 500 }'), 'applications[0].eventTypes[1].buffering.sizeMiB', /^500: /],
    ['an environment name', minimalConfig().replace('dev: {', 'Dev: {'), 'environments.Dev', /name "Dev" has characters/],
  ])('for %s', (_what, yaml, path, message) => {
    expectIssue(yaml, path, message);
  });
});
