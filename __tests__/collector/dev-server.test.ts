/**
 * `npm run collector:dev` (scripts/collector-dev.ts): the real handler over real HTTP on 127.0.0.1,
 * the catalog built as the stacks publish it, writing to the local stand-in. Also its command line.
 */
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../modules/bundle';
import { apiEventOf, startCollectorDev, type RunningCollectorDev } from '../../scripts/collector-dev';
import { fixtureEnvironment, goodWebEvents, SHOP_ORIGIN, WEB_KEY } from './factories';

function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8', 'content-length': Buffer.byteLength(body), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

let dev: RunningCollectorDev;

beforeAll(async () => {
  dev = await startCollectorDev({
    project: 'acme',
    environment: 'dev',
    eventTypes: fixtureEnvironment().eventTypes,
    applications: [{ name: 'web-shop', keys: [WEB_KEY], origins: [SHOP_ORIGIN] }],
  });
});

afterAll(async () => {
  await dev?.close();
});

describe('collector:dev', () => {
  it('serves the handler over HTTP: writes good events to the stand-in, rejects bad ones, answers CORS for the allowed origin', async () => {
    // Prepare
    const body = JSON.stringify({ writeKey: WEB_KEY, events: [...goodWebEvents(3, 'dev'), { event_type: 'nope' }] });

    // Act
    const r = await post(`${dev.url}/v1/events`, body, { origin: SHOP_ORIGIN });

    // Assess
    expect(r.status).toBe(422);
    expect(r.headers['access-control-allow-origin']).toBe(SHOP_ORIGIN);
    expect(JSON.parse(r.body)).toMatchObject({ accepted: 3, rejected: [{ index: 3, code: 'unknown-event-type' }], retry: [] });
    expect(dev.written.filter((w) => String(w.event.event_id).startsWith('dev-')).map((w) => w.event.event_id).sort()).toEqual(['dev-0', 'dev-1', 'dev-2']);
  });

  it('refuses another origin with 403 and writes nothing', async () => {
    // Prepare
    const before = dev.written.length;

    // Act
    const r = await post(`${dev.url}/v1/events`, JSON.stringify({ writeKey: WEB_KEY, events: goodWebEvents(2, 'evil') }), { origin: 'http://localhost:9999' });

    // Assess
    expect(r.status).toBe(403);
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
    expect(dev.written.length).toBe(before);
  });

  it('answers 503 with the events to send again while its stand-in throttles, then accepts them', async () => {
    // Prepare
    dev.setFailRate(1);
    const body = JSON.stringify({ writeKey: WEB_KEY, events: goodWebEvents(2, 'thr') });

    // Act
    const down = await post(`${dev.url}/v1/events`, body, {});
    dev.setFailRate(0);
    const up = await post(`${dev.url}/v1/events`, body, {});

    // Assess
    expect(down.status).toBe(503);
    expect(JSON.parse(down.body)).toMatchObject({ accepted: 0, retry: [{ index: 0 }, { index: 1 }] });
    expect(up.status).toBe(200);
    expect(dev.written.filter((w) => String(w.event.event_id).startsWith('thr-'))).toHaveLength(2);
  });

  it('builds API Gateway payload 2.0 events: route keys of the protocol, $default otherwise, base64 for binary bodies', () => {
    // Prepare
    const req = { url: '/v1/events?x=1&key=tpk_a%2Bb&x=2', method: 'POST', httpVersion: '1.1', headers: { 'content-type': 'application/octet-stream', host: 'localhost' }, socket: { remoteAddress: '127.0.0.1' } };

    // Act
    const e = apiEventOf(req as never, Buffer.from('{}'), 'r1');
    const other = apiEventOf({ ...req, url: '/elsewhere' } as never, Buffer.alloc(0), 'r2');

    // Assess
    expect(e).toMatchObject({ version: '2.0', routeKey: 'POST /v1/events', rawQueryString: 'x=1&key=tpk_a%2Bb&x=2', isBase64Encoded: true, body: Buffer.from('{}').toString('base64') });
    // Decoded, repeated arguments joined with commas (API Gateway's queryStringParameters).
    expect(e.queryStringParameters).toEqual({ x: '1,2', key: 'tpk_a+b' });
    expect(other.routeKey).toBe('$default');
    expect(other.queryStringParameters).toBeUndefined();
  });

  it('takes the write key and the application from the query, as the browser tracker sends them', async () => {
    // Act
    const ok = await post(`${dev.url}/v1/events?app=web-shop&key=${encodeURIComponent(WEB_KEY)}`, JSON.stringify({ events: goodWebEvents(1, 'q') }), {});
    const wrong = await post(`${dev.url}/v1/events?app=mobile-app&key=${encodeURIComponent(WEB_KEY)}`, JSON.stringify({ events: goodWebEvents(1, 'q2') }), {});

    // Assess
    expect(ok.status).toBe(200);
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.body)).toMatchObject({ error: { code: 'application-mismatch' } });
  });

  it('prints a new key and its hash, and the hash of a given key (command line)', () => {
    // Act
    const made = spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'dist', 'scripts', 'collector-dev.js'), '--new-key'], { encoding: 'utf8' });
    const hashed = spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'dist', 'scripts', 'collector-dev.js'), '--hash-key', 'abc'], { encoding: 'utf8' });
    const bad = spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'dist', 'scripts', 'collector-dev.js'), '--nope'], { encoding: 'utf8' });

    // Assess
    expect(made.stdout).toMatch(/write key: {2}tpk_[A-Za-z0-9_-]{43}\nsha-256: {4}[0-9a-f]{64}/);
    expect(hashed.stdout.trim()).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('usage: npm run collector:dev');
  });
});
