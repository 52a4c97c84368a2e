/** API Gateway payload 2.0 in and out, and the one place an IP address is ever kept (truncated). */
import * as fc from 'fast-check';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { apiResultFromResponse, requestFromApiEvent, truncateIp } from '../../functions/collector/http';
import jwtAuthorized from '../fixtures/collector/http-api-v2-jwt-authorized.json';
import postEvents from '../fixtures/collector/http-api-v2-post-events.json';
import postMobile from '../fixtures/collector/http-api-v2-post-events-mobile.json';

describe('requestFromApiEvent', () => {
  it('reads the browser fixture: route, text body, origin, source IP, not authenticated', () => {
    // Act
    const req = requestFromApiEvent(postEvents as unknown as APIGatewayProxyEventV2);

    // Assess
    expect(req).toMatchObject({ routeKey: 'POST /v1/events', method: 'POST', path: '/v1/events', origin: 'https://shop.example.com', sourceIp: '203.0.113.17', authenticated: false });
    expect(JSON.parse(req.body.toString('utf8'))).toHaveProperty('events');
  });

  it('decodes a base64 body and reads the JWT authorizer claims', () => {
    // Act
    const mobile = requestFromApiEvent(postMobile as unknown as APIGatewayProxyEventV2);
    const jwt = requestFromApiEvent(jwtAuthorized as unknown as APIGatewayProxyEventV2);

    // Assess
    expect(JSON.parse(mobile.body.toString('utf8'))).toMatchObject({ events: [{ event_type: 'app_open' }] });
    expect(mobile.origin).toBeUndefined();
    expect(mobile.headers['x-write-key']).toMatch(/^tpk_/);
    expect(jwt).toMatchObject({ routeKey: 'POST /v1/auth/events', authenticated: true });
  });

  it('lowercases header names', () => {
    const req = requestFromApiEvent({ ...(postEvents as unknown as APIGatewayProxyEventV2), headers: { 'X-Write-Key': 'k', Origin: 'https://a.example' } });
    expect(req.headers['x-write-key']).toBe('k');
    expect(req.origin).toBe('https://a.example');
  });
});

describe('apiResultFromResponse', () => {
  it('serializes JSON bodies, forbids caching, and sends no body for 204', () => {
    expect(apiResultFromResponse({ status: 200, body: { a: 1 } })).toEqual({ statusCode: 200, headers: { 'cache-control': 'no-store', 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(apiResultFromResponse({ status: 204, headers: { vary: 'origin' } })).toEqual({ statusCode: 204, headers: { 'cache-control': 'no-store', vary: 'origin' } });
  });
});

describe('truncateIp', () => {
  it('zeroes the host part of IPv4 (/24) and IPv6 (/48) addresses', () => {
    expect(truncateIp('203.0.113.17')).toBe('203.0.113.0');
    expect(truncateIp('2001:db8:85a3:8d3:1319:8a2e:370:7348')).toBe('2001:db8:85a3::');
    expect(truncateIp('2001:db8::1')).toBe('2001:db8:0::');
    expect(truncateIp('::1')).toBe('0:0:0::');
    expect(truncateIp(undefined)).toBe('unknown');
    expect(truncateIp('not an ip')).toBe('unknown');
  });

  it('never keeps the last octet of an IPv4 address nor anything past the third group of an IPv6 address', () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        const t = truncateIp(ip);
        expect(t.split('.').slice(0, 3)).toEqual(ip.split('.').slice(0, 3));
        expect(t.endsWith('.0')).toBe(true);
      }),
    );
    fc.assert(
      fc.property(fc.ipV6(), (ip) => {
        const t = truncateIp(ip);
        expect(t).toMatch(/^([0-9a-f]{1,4}:){3}:$/);
        expect(t.split(':').length).toBe(5);
      }),
    );
  });
});
