/**
 * The JSONL transform function of one stack group (modules/jsonl-transform.ts): it ships the
 * contracts of exactly the event types it serves, and its source_code_hash depends only on their
 * content (the same schemas give the same hash; another group's types never change it).
 */
import { Testing } from 'cdktf';
import { AwsContext } from '../../modules/aws-context';
import { JsonlTransformFunction, type TransformedEventType } from '../../modules/jsonl-transform';
import { contractOf } from './helpers';

type Json = Record<string, unknown>;

const CHECKOUT = { type: 'object', properties: { order_id: { type: 'string', maxLength: 20 }, amount: { type: 'number' } }, required: ['order_id'] };

function type(name: string, schema?: object, transform: 'lambda' | 'native' = 'lambda'): TransformedEventType {
  return {
    key: `web-shop/${name}`,
    deliveryStreamName: `acme-dev-web-shop-${name}`,
    transform,
    ...(schema ? { contract: contractOf(schema, 'web-shop', name) } : {}),
  };
}

/** Synthesizes one transform function and returns its Lambda resource and the construct. */
function synth(eventTypes: readonly TransformedEventType[], assetName = 'test-transform-function'): { lambda: Json; fn: JsonlTransformFunction } {
  let fn: JsonlTransformFunction | undefined;
  const json = JSON.parse(
    Testing.synthScope((scope) => {
      const context = new AwsContext(scope, 'context', { region: 'eu-central-1' });
      fn = new JsonlTransformFunction(scope, 'jsonl-transform', {
        functionName: 'acme-dev-jsonl-transform',
        context,
        logRetentionDays: 30,
        environment: 'dev',
        eventTypes,
        assetName,
      });
    }),
  ) as Json;
  const lambdas = Object.values(((json.resource as Json).aws_lambda_function ?? {}) as Record<string, Json>);
  return { lambda: lambdas[0]!, fn: fn! };
}

describe('JsonlTransformFunction', () => {
  it('ships a table of exactly the lambda-transformed streams it serves, with their modes', () => {
    // Act
    const { fn, lambda } = synth([type('checkout', CHECKOUT), type('page_view'), type('native_one', undefined, 'native')]);

    // Assess
    expect(fn.streamNames).toEqual(['acme-dev-web-shop-checkout', 'acme-dev-web-shop-page_view']);
    expect(fn.table.streams).toEqual({
      'acme-dev-web-shop-checkout': { key: 'web-shop/checkout', mode: 'enforce', program: 0 },
      'acme-dev-web-shop-page_view': { key: 'web-shop/page_view', mode: 'none' },
    });
    expect(lambda).toMatchObject({ function_name: 'acme-dev-jsonl-transform', runtime: 'nodejs22.x', handler: 'index.handler', memory_size: 512, timeout: 60 });
  });

  it('keeps source_code_hash when nothing it serves changes, and when properties are only reordered', () => {
    const reordered = { type: 'object', properties: { amount: { type: 'number' }, order_id: { maxLength: 20, type: 'string' } }, required: ['order_id'] };
    const a = synth([type('checkout', CHECKOUT), type('page_view')]).lambda.source_code_hash;
    const b = synth([type('page_view'), type('checkout', reordered)]).lambda.source_code_hash;
    expect(b).toBe(a);
  });

  it('changes source_code_hash when a served contract or mode changes', () => {
    const base = synth([type('checkout', CHECKOUT)]).lambda.source_code_hash;
    const changed = synth([type('checkout', { ...CHECKOUT, required: ['order_id', 'amount'] })]).lambda.source_code_hash;
    const observe = synth([{ ...type('checkout'), contract: contractOf(CHECKOUT, 'web-shop', 'checkout', 'observe') }]).lambda.source_code_hash;
    expect(changed).not.toBe(base);
    expect(observe).not.toBe(base);
  });

  it('serves one group: a type added to another group leaves this function unchanged', () => {
    const groupA = [type('checkout', CHECKOUT)];
    const before = synth(groupA, 'test-transform-a').lambda.source_code_hash;
    synth([type('search', CHECKOUT)], 'test-transform-b');
    const after = synth(groupA, 'test-transform-a').lambda.source_code_hash;
    expect(after).toBe(before);
  });
});
