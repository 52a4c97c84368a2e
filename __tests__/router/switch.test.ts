import { deploy, minimalConfig, resourcesOf } from '../helpers/deploy';

const ROOT_STREAM_TYPES = ['aws_kinesis_stream', 'aws_sqs_queue', 'aws_lambda_event_source_mapping', 'aws_kinesis_stream_consumer'] as const;

describe.each([
  ['omitted', '', false],
  ['enabled: false', '    rootStream: { enabled: false, consumers: [{ type: enhanced-fan-out, name: alerts }] }', false],
  ['enabled: true', '    rootStream: { enabled: true, consumers: [{ type: enhanced-fan-out, name: alerts }] }', true],
])('rootStream %s', (_label, rootStream, on) => {
  it(on ? 'creates the stream, the router, its DLQ and the consumers' : 'creates no stream, no router, no DLQ, no consumer', () => {
    // Prepare
    const yaml = minimalConfig().replace('  dev: { region: eu-central-1 }', `  dev:\n    region: eu-central-1\n${rootStream}`);
    // Act
    const { json } = deploy(yaml);
    // Assess
    const counts = Object.fromEntries(ROOT_STREAM_TYPES.map((t) => [t, Object.keys(resourcesOf(json, t)).length]));
    expect(counts).toEqual(
      on
        ? { aws_kinesis_stream: 1, aws_sqs_queue: 1, aws_lambda_event_source_mapping: 1, aws_kinesis_stream_consumer: 1 }
        : { aws_kinesis_stream: 0, aws_sqs_queue: 0, aws_lambda_event_source_mapping: 0, aws_kinesis_stream_consumer: 0 },
    );
    const routers = Object.values(resourcesOf(json, 'aws_lambda_function')).filter((f) => f.function_name === 'acme-dev-fanout-router');
    expect(routers).toHaveLength(on ? 1 : 0);
  });
});
