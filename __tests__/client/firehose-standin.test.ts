/**
 * The Firehose stand-in speaks enough of the awsJson1_1 protocol for the real SDK.
 */
import { PutRecordBatchCommand, PutRecordCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import { FirehoseStandIn, standInFirehoseClient, type Fault, type StartedStandIn } from '../helpers/firehose-standin';

const STREAM = 'acme-dev-web-shop-page_view';

function records(n: number, size = 10): { Data: Uint8Array }[] {
  return Array.from({ length: n }, (_, i) => ({ Data: Buffer.from(String(i).padStart(size, '0')) }));
}

describe('FirehoseStandIn', () => {
  let standIn: FirehoseStandIn;
  let started: StartedStandIn;
  let client: FirehoseClient;

  beforeEach(async () => {
    standIn = new FirehoseStandIn({ streams: [STREAM] });
    started = await standIn.start();
    client = standInFirehoseClient(started.endpoint, { requestTimeoutMs: 300 });
  });

  afterEach(async () => {
    client.destroy();
    await started.close();
  });

  it('stores the records of a successful PutRecordBatch', async () => {
    // Prepare
    const input = records(3);

    // Act
    const out = await client.send(new PutRecordBatchCommand({ DeliveryStreamName: STREAM, Records: input }));

    // Assess
    expect(out.FailedPutCount).toBe(0);
    expect(out.RequestResponses).toHaveLength(3);
    expect(standIn.records(STREAM).map((r) => r.data.toString())).toEqual(['0000000000', '0000000001', '0000000002']);
    expect(standIn.calls).toEqual([expect.objectContaining({ operation: 'PutRecordBatch', records: 3, bytes: 30, accepted: 3, status: 200 })]);
  });

  it('accepts PutRecord', async () => {
    // Act
    const out = await client.send(new PutRecordCommand({ DeliveryStreamName: STREAM, Record: { Data: Buffer.from('{"a":1}') } }));

    // Assess
    expect(typeof out.RecordId).toBe('string');
    expect(standIn.records(STREAM)).toHaveLength(1);
  });

  it('reports partial failures per record', async () => {
    // Prepare
    standIn.setFault(() => ({ kind: 'partial', failed: [0, 2] }));

    // Act
    const out = await client.send(new PutRecordBatchCommand({ DeliveryStreamName: STREAM, Records: records(3) }));

    // Assess
    expect(out.FailedPutCount).toBe(2);
    expect(out.RequestResponses?.map((r) => r.ErrorCode)).toEqual(['ServiceUnavailableException', undefined, 'ServiceUnavailableException']);
    expect(standIn.records(STREAM).map((r) => r.data.toString())).toEqual(['0000000001']);
  });

  describe.each<{ name: string; fault: Fault; errorName: string }>([
    { name: 'service unavailable', fault: { kind: 'error', type: 'ServiceUnavailableException', status: 500 }, errorName: 'ServiceUnavailableException' },
    { name: 'throttling', fault: { kind: 'error', type: 'ThrottlingException' }, errorName: 'ThrottlingException' },
    { name: 'timeout', fault: { kind: 'delay', ms: 1_000 }, errorName: 'TimeoutError' },
  ])('whole-call fault: $name', ({ fault, errorName }) => {
    it('surfaces as an SDK error of the expected name', async () => {
      // Prepare
      standIn.setFault(() => fault);

      // Act
      const outcome = client.send(new PutRecordBatchCommand({ DeliveryStreamName: STREAM, Records: records(1) }));

      // Assess
      await expect(outcome).rejects.toMatchObject({ name: errorName });
    });
  });

  it('fails with ResourceNotFoundException for an unknown stream', async () => {
    // Act
    const outcome = client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'nope', Records: records(1) }));

    // Assess
    await expect(outcome).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('rejects and records calls over the limits', async () => {
    // Act
    const outcome = client.send(new PutRecordBatchCommand({ DeliveryStreamName: STREAM, Records: records(501) }));

    // Assess
    await expect(outcome).rejects.toMatchObject({ name: 'InvalidArgumentException' });
    expect(standIn.violations).toHaveLength(1);
  });

  it('fails the connection on reset', async () => {
    // Prepare
    standIn.setFault(() => ({ kind: 'reset' }));

    // Act
    const outcome = client.send(new PutRecordBatchCommand({ DeliveryStreamName: STREAM, Records: records(1) }));

    // Assess
    await expect(outcome).rejects.toThrow();
    expect(standIn.records(STREAM)).toHaveLength(0);
  });
});
