/**
 * The catalog object's tags arrive, with the real AWS provider (the local mirror, hashicorp/aws
 * 5.100.0) applying the synthesized object and its provider configurations against a small S3
 * stand-in on 127.0.0.1 that records each PutObject's `x-amz-tagging` header and serves the
 * object's tags back. Then a second plan must show no change.
 *
 * With `override_provider { default_tags { tags = {} } }` and tags equal to default tags (the
 * design before), the provider sends no tags and the next plan wants to add them:
 * hashicorp/terraform-provider-aws#45506, reproduced here on 5.100.0. The 6.25.0 provider the
 * bindings pin is not in the mirror; the issue reports the same there.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { findProviderMirror, findTerraform, terraformMissingMessage } from '../../scripts/terraform-check';
import { synthYaml, workspace } from './terraform-state';

type Json = Record<string, unknown>;

/** What the stand-in saw and holds: PutObject tag headers by key, and each object's tags. */
interface S3StandIn {
  readonly port: number;
  readonly putTagging: Map<string, string>;
  readonly tags: Map<string, Record<string, string>>;
  readonly unknown: string[];
  close(): Promise<void>;
}

/** PutObject, HeadObject, Get/Put/DeleteObjectTagging and DeleteObject, path-style, one bucket. */
async function s3StandIn(): Promise<S3StandIn> {
  const bodies = new Map<string, { body: Buffer; etag: string; type?: string; cache?: string }>();
  const tags = new Map<string, Record<string, string>>();
  const putTagging = new Map<string, string>();
  const unknown: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const sub = [...url.searchParams.keys()].filter((k) => k !== 'x-id');
      const key = decodeURIComponent(url.pathname).replace(/^\/[^/]+\//, '');
      const object = bodies.get(key);
      if (sub.join() === 'tagging') {
        if (req.method === 'GET' && object) {
          const set = Object.entries(tags.get(key) ?? {}).map(([k, v]) => `<Tag><Key>${k}</Key><Value>${v}</Value></Tag>`).join('');
          res.writeHead(200, { 'content-type': 'application/xml' }).end(`<?xml version="1.0" encoding="UTF-8"?><Tagging><TagSet>${set}</TagSet></Tagging>`);
          return;
        }
        if (req.method === 'PUT' && object) {
          tags.set(key, Object.fromEntries([...body.toString().matchAll(/<Key>([^<]*)<\/Key>\s*<Value>([^<]*)<\/Value>/g)].map((m) => [m[1]!, m[2]!])));
          res.writeHead(200).end();
          return;
        }
        if (req.method === 'DELETE') {
          tags.set(key, {});
          res.writeHead(204).end();
          return;
        }
      } else if (sub.length === 0) {
        if (req.method === 'PUT') {
          const header = String(req.headers['x-amz-tagging'] ?? '');
          putTagging.set(key, header);
          tags.set(key, Object.fromEntries(new URLSearchParams(header)));
          const etag = `"${createHash('md5').update(body).digest('hex')}"`;
          bodies.set(key, { body, etag, ...(req.headers['content-type'] ? { type: req.headers['content-type'] } : {}), ...(req.headers['cache-control'] ? { cache: req.headers['cache-control'] } : {}) });
          res.writeHead(200, { etag }).end();
          return;
        }
        if (req.method === 'HEAD' && object) {
          res
            .writeHead(200, { etag: object.etag, 'content-length': object.body.length, 'content-type': object.type ?? 'binary/octet-stream', 'last-modified': new Date().toUTCString(), ...(object.cache ? { 'cache-control': object.cache } : {}) })
            .end();
          return;
        }
        if (req.method === 'HEAD' || req.method === 'GET') {
          res.writeHead(404).end();
          return;
        }
        if (req.method === 'DELETE') {
          bodies.delete(key);
          res.writeHead(204).end();
          return;
        }
      }
      unknown.push(`${req.method} ${req.url}`);
      res.writeHead(501).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    putTagging,
    tags,
    unknown,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Runs terraform without blocking the event loop (the stand-in runs in this process). */
function terraform(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  const bin = findTerraform();
  if (bin === undefined) throw new Error(terraformMissingMessage());
  return new Promise((resolve, reject) => {
    const p = spawn(bin, args, { cwd, env });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

const KEY = '259485d1df5a48983877d49c15ca8c88ab177c290b93e885ac7c7266b07c8a75';
const CONFIG = `project: acme
tags: { t1: a, t2: b, t3: c, t4: d, t5: e, t6: f, t7: g, t8: h }
environments:
  dev:
    region: eu-central-1
    collector:
      enabled: true
      applications:
        web-shop: { writeKeys: [${KEY}] }
applications:
  - name: web-shop
    eventTypes: [page_view]
`;

const work = workspace('catalog-tags');
let s3: S3StandIn | undefined;

afterAll(async () => {
  await s3?.close();
  work.dispose();
});

describe('catalog object tags with the real provider (hashicorp/terraform-provider-aws#45506)', () => {
  it('are sent with the object, and the next plan shows no change', async () => {
    // Prepare: the synthesized object and provider configurations, pointed at the stand-in.
    const mirror = findProviderMirror();
    if (mirror === undefined || mirror.versions[0] === undefined) throw new Error('no local hashicorp/aws provider mirror (TRACKING_TF_PLUGIN_DIR)');
    const standIn = await s3StandIn();
    s3 = standIn;
    const [stack] = synthYaml(work.dir, 'tags', CONFIG);
    const synthesized = JSON.parse(readFileSync(path.join(stack!.dir, 'cdk.tf.json'), 'utf8')) as Json;
    const providers = ((synthesized.provider as { aws: Json[] }).aws).map((p) => ({
      ...p,
      access_key: 'AKIDSTANDIN',
      secret_key: 'stand-in',
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_metadata_api_check: true,
      s3_use_path_style: true,
      endpoints: [{ s3: `http://127.0.0.1:${standIn.port}` }],
    }));
    const objects = (synthesized.resource as Record<string, Record<string, Json>>).aws_s3_object!;
    // The bucket as its name (no bucket resource here), and no dependencies on the stack's streams.
    const resources = Object.fromEntries(
      Object.entries(objects).map(([name, o]) => [name, Object.fromEntries(Object.entries({ ...o, bucket: 'acme-dev-tracking-events' }).filter(([k]) => k !== 'depends_on'))]),
    );
    const dir = path.join(work.dir, 'apply');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'main.tf.json'),
      JSON.stringify({ terraform: { required_providers: { aws: { source: 'hashicorp/aws', version: mirror.versions[0] } } }, provider: { aws: providers }, resource: { aws_s3_object: resources } }, null, 2),
    );
    const cli = path.join(work.dir, 'empty.tfrc');
    writeFileSync(cli, '');
    const env: NodeJS.ProcessEnv = { ...process.env, TF_CLI_CONFIG_FILE: cli, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1', TF_INPUT: '0' };
    const init = await terraform(['init', '-backend=false', '-no-color', `-plugin-dir=${mirror.root}`], dir, env);
    expect(init).toMatchObject({ code: 0 });

    // Act
    const apply = await terraform(['apply', '-auto-approve', '-no-color', '-input=false'], dir, env);
    const plan = await terraform(['plan', '-detailed-exitcode', '-no-color', '-input=false'], dir, env);

    // Assess
    expect({ code: apply.code, unknownCalls: standIn.unknown }).toEqual({ code: 0, unknownCalls: [] });
    const declared = Object.values(objects)[0]!.tags as Record<string, string>;
    expect(Object.keys(declared).sort()).toEqual(['environment', 'project']);
    const key = Object.values(objects)[0]!.key as string;
    expect(Object.fromEntries(new URLSearchParams(standIn.putTagging.get(key) ?? ''))).toEqual(declared);
    expect(standIn.tags.get(key)).toEqual(declared);
    // -detailed-exitcode: 0 means no changes, 2 means changes.
    expect({ code: plan.code, changes: plan.out.split('\n').filter((l) => /^\s+[~+-] /.test(l)) }).toEqual({ code: 0, changes: [] });
  }, 10 * 60_000);
});
