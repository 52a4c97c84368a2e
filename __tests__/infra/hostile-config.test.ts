/**
 * Issue #9: no user-supplied text reaches the Terraform JSON as an expression, and every IAM
 * resource is an exact ARN or a documented prefix. Synthesizes every stack of a config written
 * the way an attacker with a pull request would write it (everything the loader still accepts),
 * then walks every string of every stack.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { parseConfig } from '../../config/loader';
import { resolveConfig } from '../../config/model';
import type { RawConfig } from '../../config/schema';
import { synthesize } from '../../stacks/app';
import { asList, type PolicyStatementJson } from '../helpers/deploy';

/** Free text (descriptions) may hold anything: it must come out escaped or not at all. */
const HOSTILE_TEXT = 'x ${aws_iam_role.admin.arn} %{ for r in ["*"] }${r}%{ endfor } $${ok} \\" },{ "Effect": "Allow';

const HOSTILE_CONFIG = `
project: acme
tags: { team: "data: a/b=c+d@e_f.g-h", "cost:center": "Ünïcode 42" }
environments:
  dev:
    region: eu-central-1
    tags: { stage: "x:y" }
    bucket: { kmsKeyArn: "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", expireAfterDays: 30 }
    rootStream:
      enabled: true
      kmsKeyId: "alias/tracking/root"
      router: { unroutableDestination: s3 }
      consumers:
        - { type: lambda, name: fraud, functionArn: "arn:aws:lambda:eu-central-1:123456789012:function:fraud-check:live", enhancedFanOut: true }
        - { type: enhanced-fan-out, name: reader }
    alarms:
      topicArn: "arn:aws:sns:eu-central-1:123456789012:pager"
      subscriptions:
        - { protocol: https, endpoint: "https://hooks.example.com/a$b%c{d}?q=%7B%7D&r=$" }
        - { protocol: email, endpoint: "on-call+tracking@example.com" }
      perStreamAlarms: [web-shop/page_view]
    backend: { bucket: acme-state, key: "tracking/$dev/%state", dynamodbTable: locks }
  prod:
    region: us-east-1
    rootStream: { enabled: true, kmsKeyId: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" }
applications:
  - name: web-shop
    owner: "team storefront@acme"
    description: ${JSON.stringify(HOSTILE_TEXT)}
    eventTypes:
      - name: page_view
        description: ${JSON.stringify(HOSTILE_TEXT)}
        schema:
          type: object
          description: ${JSON.stringify(HOSTILE_TEXT)}
          properties:
            path: { type: string, description: ${JSON.stringify(HOSTILE_TEXT)} }
      - { name: checkout, transform: native }
`;

/**
 * What a `${…}` in the synthesized JSON may be: a reference cdktf generated, with attribute access
 * and optional indexes: a resource or data source declared in the same stack, a declared local,
 * or a for_each / dynamic-block iterator.
 */
const REFERENCE = /^(data\.)?([a-z][a-z0-9_]*)\.([A-Za-z0-9_-]+)(?:\.[A-Za-z0-9_-]+|\[\d+\]|\["[^"$%{}]*"\])*$/;
const ITERATORS = new Set(['each', 'processors', 'parameters', 'count']);

function isDeclaredReference(body: string, stack: Record<string, unknown>): boolean {
  const m = REFERENCE.exec(body);
  if (!m) return false;
  const [, data, type, name] = m as unknown as [string, string | undefined, string, string];
  if (data !== undefined) return (stack.data as Record<string, Record<string, unknown>> | undefined)?.[type]?.[name] !== undefined;
  if (ITERATORS.has(type)) return true;
  if (type === 'local') return (stack.locals as Record<string, unknown> | undefined)?.[name] !== undefined;
  return (stack.resource as Record<string, Record<string, unknown>> | undefined)?.[type]?.[name] !== undefined;
}

/** The `${…}` / `%{…}` of a stack that are not references to what the stack declares. */
function foreignExpressions(id: string, json: Record<string, unknown>): string[] {
  const bad: string[] = [];
  for (const [at, text] of strings(json, id)) {
    for (const seq of templateSequences(text)) {
      if (seq.kind === '%' || !isDeclaredReference(seq.body, json)) bad.push(`${at}: ${seq.kind}{${seq.body}}`);
    }
  }
  return bad;
}

/** Every string in a JSON value, with its path. */
function* strings(node: unknown, at: string): Generator<[string, string]> {
  if (typeof node === 'string') yield [at, node];
  else if (Array.isArray(node)) for (const [i, v] of node.entries()) yield* strings(v, `${at}[${i}]`);
  else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      yield [`${at}{key}`, k];
      yield* strings(v, `${at}.${k}`);
    }
  }
}

/** The template sequences of a string as Terraform reads it: `${…}` / `%{…}` not escaped by `$${` / `%%{`. */
function templateSequences(text: string): { kind: '$' | '%'; body: string }[] {
  const out: { kind: '$' | '%'; body: string }[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if ((c === '$' || c === '%') && text[i + 1] === c && text[i + 2] === '{') {
      i += 2; // escaped: $${ or %%{
      continue;
    }
    if ((c === '$' || c === '%') && text[i + 1] === '{') {
      let depth = 1;
      let j = i + 2;
      while (j < text.length && depth > 0) {
        if (text[j] === '{') depth++;
        else if (text[j] === '}') depth--;
        j++;
      }
      out.push({ kind: c, body: text.slice(i + 2, j - 1) });
      i = j - 1;
    }
  }
  return out;
}

interface Stack {
  readonly id: string;
  readonly json: Record<string, unknown>;
}

describe('a hostile config', () => {
  let dir: string;
  let stacks: Stack[];
  let warn: jest.SpyInstance;

  beforeAll(() => {
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    dir = mkdtempSync(path.join(tmpdir(), 'hostile-'));
    synthesize({ config: parseConfig(HOSTILE_CONFIG, 'hostile.yaml'), outdir: dir });
    stacks = readdirSync(path.join(dir, 'stacks')).map((id) => ({
      id,
      json: JSON.parse(readFileSync(path.join(dir, 'stacks', id, 'cdk.tf.json'), 'utf8')) as Record<string, unknown>,
    }));
  });
  afterAll(() => {
    warn.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is accepted by the loader (it only uses what the loader allows)', () => {
    expect(stacks.length).toBeGreaterThanOrEqual(2);
  });

  it('never reaches Terraform as an expression: every ${…} refers to what the stack declares, and there is no %{…}', () => {
    expect(stacks.flatMap((stack) => foreignExpressions(stack.id, stack.json))).toEqual([]);
  });

  it('would catch an expression if one got through (the walk itself is checked with the loader bypassed)', () => {
    // Prepare: the same config resolved without validation, with an interpolation in the owner tag
    const raw = parse(HOSTILE_CONFIG) as RawConfig;
    const forged = { ...raw, applications: raw.applications.map((a) => ({ ...a, owner: '${aws_iam_role.admin.arn}' })) };
    const out = mkdtempSync(path.join(tmpdir(), 'forged-'));
    try {
      synthesize({ config: resolveConfig(forged), outdir: out });
      const json = JSON.parse(readFileSync(path.join(out, 'stacks', 'tracking-dev', 'cdk.tf.json'), 'utf8')) as unknown;
      // Act
      const found = foreignExpressions('tracking-dev', json as Record<string, unknown>);
      // Assess
      expect(found).toEqual(expect.arrayContaining([expect.stringMatching(/tags.*\$\{aws_iam_role\.admin\.arn\}$/)]));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('keeps the hostile free text out, or escaped so that Terraform reads it literally', () => {
    let escapedCopies = 0;
    for (const stack of stacks) {
      for (const [, text] of strings(stack.json, stack.id)) {
        if (!text.includes('aws_iam_role.admin')) continue;
        // Free text reaches Terraform only escaped: no live sequence, and it reads back to the original.
        expect(templateSequences(text)).toEqual([]);
        expect(text).toContain('$${aws_iam_role.admin.arn}');
        expect(text).toContain('%%{ for r in');
        escapedCopies++;
      }
    }
    // The descriptions do reach Terraform (Glue table and column comments), so the check above ran.
    expect(escapedCopies).toBeGreaterThan(0);
  });

  it('leaves the user text that is allowed through byte for byte (tags, endpoints, owner)', () => {
    const dev = stacks.find((s) => s.id.startsWith('tracking-dev'))!;
    const all = [...strings(dev.json, '')].map(([, t]) => t);
    expect(all).toContain('data: a/b=c+d@e_f.g-h');
    expect(all).toContain('Ünïcode 42');
    expect(all).toContain('team storefront@acme');
    expect(all).toContain('https://hooks.example.com/a$b%c{d}?q=%7B%7D&r=$');
  });

  describe('IAM', () => {
    /**
     * Every Resource an identity policy may name: an ARN attribute of a resource in the stack
     * (optionally a documented path under it), an ARN built from config/naming, or one of the
     * documented name prefixes (docs/decisions.md, "IAM scoped by environment namespace").
     */
    const ALLOWED: readonly RegExp[] = [
      // An ARN attribute, alone or with the documented suffixes: Lambda versions, log streams, bucket prefixes.
      /^\$\{(?:data\.)?aws_[a-z0-9_]+\.[A-Za-z0-9_-]+\.arn\}(?::\*|:log-stream:\*|\/(?:events|errors|unroutable|athena-results|catalog)\/\*)?$/,
      // Exact customer managed key ARNs from the config.
      /^arn:aws:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/,
      // Built ARNs in this environment's namespace (partition and account from data sources).
      /^arn:\$\{data\.aws_partition\.[\w-]+\.partition\}:(?:firehose|logs|lambda|kinesis|sqs|sns|dynamodb|glue|athena):[a-z0-9-]+:\$\{data\.aws_caller_identity\.[\w-]+\.account_id\}:(?:deliverystream\/acme-(?:dev|prod)-\*|log-group:\/aws\/lambda\/acme-(?:dev|prod)-[a-z0-9-]+:log-stream:\*|function:acme-(?:dev|prod)-transform-\*(?::\*)?|[a-z-]+[:/]acme-(?:dev|prod)-[A-Za-z0-9_/.:-]+(?::\*)?)$/,
    ];

    it('names only exact ARNs or documented prefixes, never "*" or a wildcard action', () => {
      const bad: string[] = [];
      let checked = 0;
      for (const stack of stacks) {
        for (const [type, byId] of Object.entries((stack.json.resource ?? {}) as Record<string, Record<string, Record<string, unknown>>>)) {
          if (!['aws_iam_role_policy', 'aws_iam_policy'].includes(type)) continue;
          for (const [id, body] of Object.entries(byId)) {
            const doc = JSON.parse(body.policy as string) as { Statement: PolicyStatementJson[] };
            for (const st of doc.Statement) {
              for (const a of asList(st.Action)) if (a === '*' || a.endsWith(':*')) bad.push(`${stack.id} ${type}.${id} ${st.Sid}: action ${a}`);
              for (const r of asList(st.Resource)) {
                checked++;
                if (!ALLOWED.some((re) => re.test(r))) bad.push(`${stack.id} ${type}.${id} ${st.Sid}: resource ${r}`);
              }
            }
          }
        }
      }
      expect(bad).toEqual([]);
      expect(checked).toBeGreaterThan(15);
    });
  });
});
