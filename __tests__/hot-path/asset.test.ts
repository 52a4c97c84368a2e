/**
 * The hot-path Lambda as deployed: the zipped bundle that the built app (dist/main.js) writes under
 * cdktf.out, unzipped and run by Node in a child process, as Lambda runs `index.handler`, with the
 * AWS SDK pointed at dynalite (DynamoDB) and the SNS stand-in through the SDK's
 * `AWS_ENDPOINT_URL_<SERVICE>` variables.
 *
 * Every event source mapping invokes its own alias, so the handler learns its consumer from
 * `context.invokedFunctionArn`. These tests tie the synthesized Terraform to the bundle: each
 * mapping's alias is a consumer of the rules file shipped in the zip, with the mapping's window;
 * and each alias, invoked, takes its own path (match batch, or window batch of its own length).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseRules, RULES_FILE } from '../../functions/hot-path/rules';
import { synthConfig } from '../../scripts/terraform-check';
import { createMatchesTable, LOCAL_CREDENTIALS, scanAll, startDynalite, type Dynalite } from './emulators';
import { batch, envelope, kinesisRecord, windowEvent } from './factories';
import { SnsStandIn } from './sns-standin';

const ROOT = path.join(__dirname, '..', '..');
const CONFIG = path.join('__tests__', 'fixtures', 'hot-path-mappings.yaml');
const REGION = 'eu-central-1';
const ACCOUNT = '123456789012';
const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:acme-dev-hot-path`;
const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:acme-dev-hot-path`;
const WINDOW_START = Date.parse('2026-11-22T10:15:00Z') / 1000;

type Json = Record<string, unknown>;
type Resources = Record<string, Record<string, Json>>;

let work: string;
let stack: { resource: Resources };
let bundleDir: string;
let db: Dynalite;
const sns = new SnsStandIn([TOPIC_ARN]);
let snsEndpoint: { endpoint: string; close: () => Promise<void> };
let tables = 0;

beforeAll(async () => {
  // Prepare: synthesize as `npm run synth` does, and unzip the hot-path function's archive.
  work = mkdtempSync(path.join(tmpdir(), 'hot-path-asset-'));
  const synth = synthConfig({ root: ROOT, config: CONFIG, outdir: path.join(work, 'cdktf.out') });
  const dir = synth.stacks.find((s) => s.id === 'tracking-dev')!.dir;
  stack = JSON.parse(readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8')) as { resource: Resources };
  const fn = Object.values(stack.resource.aws_lambda_function!).find((f) => f.function_name === 'acme-dev-hot-path')!;
  bundleDir = path.join(work, 'bundle');
  mkdirSync(bundleDir);
  const unzip = spawnSync('unzip', ['-q', path.join(dir, fn.filename as string), '-d', bundleDir], { encoding: 'utf8' });
  if (unzip.error !== undefined || unzip.status !== 0) throw new Error(`cannot unzip the hot-path asset (the unzip command is needed): ${unzip.error?.message ?? unzip.stderr}`);
  db = await startDynalite(REGION);
  snsEndpoint = await sns.start();
}, 120_000);

afterAll(async () => {
  await db?.close();
  await snsEndpoint?.close();
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

interface Invocation {
  readonly ok: boolean;
  readonly result?: Json;
  readonly error?: { name: string; message: string };
  readonly logs: string;
}

/**
 * Runs the unzipped `index.handler` once in a fresh Node process, as Lambda would, with
 * `invokedFunctionArn`. Asynchronous: dynalite and the SNS stand-in answer from this process.
 */
async function invokeBuilt(table: string, event: unknown, invokedFunctionArn: string): Promise<Invocation> {
  const driver = path.join(work, 'driver.js');
  writeFileSync(
    driver,
    [
      "const { handler } = require(process.argv[2]);",
      "const input = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));",
      'const context = { getRemainingTimeInMillis: () => 60000, invokedFunctionArn: input.arn };',
      'handler(input.event, context).then(',
      "  (result) => process.stdout.write('\\nRESULT ' + JSON.stringify({ ok: true, result }) + '\\n'),",
      "  (err) => process.stdout.write('\\nRESULT ' + JSON.stringify({ ok: false, error: { name: err.name, message: err.message } }) + '\\n'),",
      ');',
    ].join('\n'),
  );
  const child = spawn(process.execPath, [driver, path.join(bundleDir, 'index.js')], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
      AWS_ENDPOINT_URL_SNS: snsEndpoint.endpoint,
      TABLE_NAME: table,
      TOPIC_ARN,
    },
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  child.stdin.end(JSON.stringify({ event, arn: invokedFunctionArn }));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const stdout = Buffer.concat(out).toString('utf8');
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (line === undefined) throw new Error(`the built handler did not answer (exit ${String(code)}):\n${stdout}\n${Buffer.concat(err).toString('utf8')}`);
  return { ...(JSON.parse(line.slice('RESULT '.length)) as { ok: boolean; result?: Json; error?: { name: string; message: string } }), logs: stdout };
}

async function freshTable(): Promise<string> {
  const name = `acme-dev-hot-path-matches-${++tables}`;
  await createMatchesTable(db.client, name);
  return name;
}

const checkout = (total: number, arrival = WINDOW_START + 5): ReturnType<typeof kinesisRecord> =>
  kinesisRecord(envelope('web-shop', 'checkout_completed', { order: { total } }), { arrival });
const paymentFailure = (arrival: number): ReturnType<typeof kinesisRecord> =>
  kinesisRecord(envelope('payments', 'payment_failed', { merchant_id: 'm-1', error_code: 'insufficient_funds' }), { arrival });
const counters = async (table: string): Promise<string[]> =>
  (await scanAll(db.client, table)).map((i) => String(i.rule)).filter((r) => r.endsWith('#windows')).sort();

describe('the built hot-path asset and its mappings', () => {
  it('ships a rules file whose consumers are exactly the aliases the mappings invoke, with their windows', () => {
    // Assess: synthesized Terraform on one side, the zipped bundle on the other.
    const consumers = parseRules(readFileSync(path.join(bundleDir, RULES_FILE), 'utf8')).consumers;
    const aliases = stack.resource.aws_lambda_alias ?? {};
    const fed = Object.values(stack.resource.aws_lambda_event_source_mapping!)
      .filter((m) => /aws_lambda_alias\./.test(String(m.function_name)))
      .map((m) => {
        const alias = aliases[/^\$\{aws_lambda_alias\.([^.]+)\.arn\}$/.exec(String(m.function_name))![1]!]!;
        return { alias: alias.name, window: m.tumbling_window_in_seconds };
      });
    expect(fed).toHaveLength(3);
    for (const f of fed) {
      expect(consumers).toContainEqual(f.window === undefined ? { kind: 'match', alias: f.alias } : { kind: 'rate', alias: f.alias, windowSeconds: f.window });
    }
    expect(consumers).toHaveLength(fed.length);
  });

  it('runs a match batch through the match alias', async () => {
    // Prepare
    const table = await freshTable();
    sns.messages.length = 0;
    // Act
    const r = await invokeBuilt(table, batch([checkout(1500), checkout(20)]), `${FUNCTION_ARN}:match`);
    // Assess
    expect(r).toMatchObject({ ok: true, result: { batchItemFailures: [] } });
    expect(sns.messages.map((m) => m.attributes.rule!.stringValue)).toEqual(['large-checkout']);
    expect(r.logs).toContain('"consumer":"match"');
  });

  it('counts the rules of the window length of the alias it was invoked through, even in a window cut short', async () => {
    // Prepare: one 60-s window of both event types; for the 300-s consumer it is a window that
    // resharding ended early (by its length it looks like the 60-s consumer's).
    const table = await freshTable();
    const records = [checkout(5, WINDOW_START + 1), paymentFailure(WINDOW_START + 2)];
    const short = windowEvent(records, { start: WINDOW_START, seconds: 60 }, {}, { terminatedEarly: true });
    // Act
    const r300 = await invokeBuilt(table, short, `${FUNCTION_ARN}:rate-300s`);
    // Assess: only the 300-s rule (checkouts-stalled) counted.
    expect(r300).toMatchObject({ ok: true, result: { batchItemFailures: [], state: { v: 1 } } });
    expect(await counters(table)).toEqual(['checkouts-stalled#windows']);
    // Act: the same records through the 60-s alias.
    const r60 = await invokeBuilt(table, windowEvent(records, { start: WINDOW_START, seconds: 60 }, {}), `${FUNCTION_ARN}:rate-60s`);
    // Assess: now the 60-s rule (payment-failure-spike) counted too.
    expect(r60).toMatchObject({ ok: true });
    expect(await counters(table)).toEqual(['checkouts-stalled#windows', 'payment-failure-spike#windows']);
  });

  it('refuses an alias that is not one of its consumers, and a batch whose shape contradicts its alias', async () => {
    const table = await freshTable();
    // Act
    const unknown = await invokeBuilt(table, batch([checkout(1500)]), `${FUNCTION_ARN}:rate-120s`);
    const mismatch = await invokeBuilt(table, batch([checkout(1500)]), `${FUNCTION_ARN}:rate-60s`);
    // Assess: errors (Lambda retries, then dead-letters), nothing written.
    expect(unknown).toMatchObject({ ok: false, error: { name: 'HotPathConfigError', message: expect.stringContaining('"rate-120s"') } });
    expect(mismatch).toMatchObject({ ok: false, error: { name: 'ConsumerMismatchError' } });
    expect(await scanAll(db.client, table)).toEqual([]);
  });
});
