/**
 * A local HTTP stand-in for AWS Systems Manager Parameter Store's `GetParametersByPath`, speaking
 * the service's awsJson1_1 protocol, so the real `@aws-sdk/client-ssm` can be pointed at it.
 *
 *   const ssm = new SsmStandIn();
 *   const { endpoint, close } = await ssm.start();
 *   ssm.put('/acme/dev/collector/write-keys/web-shop', '{"v":1,...}');
 *   const client = standInSsmClient(endpoint);
 *
 * Protocol (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParametersByPath.html):
 * POST /, `X-Amz-Target: AmazonSSM.GetParametersByPath`, body `{"Path", "Recursive", "MaxResults"
 * (1-10), "NextToken"}`, response `{"Parameters": [{"Name", "Type", "Value", "Version", "ARN"}],
 * "NextToken"}`. Without `Recursive`, only parameters one level below the path are returned.
 * Faults: whole-call errors and never-answered calls. Listens on 127.0.0.1 only.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SSMClient } from '@aws-sdk/client-ssm';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export type SsmFault = { readonly kind: 'error'; readonly type: string; readonly status?: number } | { readonly kind: 'hang' };

export class SsmStandIn {
  /** One entry per call: the path asked for. */
  public readonly calls: string[] = [];
  private readonly parameters = new Map<string, { value: string; version: number }>();
  private fault: SsmFault | undefined;

  /** Creates or overwrites a String parameter. */
  public put(name: string, value: string): void {
    const before = this.parameters.get(name);
    this.parameters.set(name, { value, version: (before?.version ?? 0) + 1 });
  }

  public delete(name: string): void {
    this.parameters.delete(name);
  }

  public setFault(fault: SsmFault | undefined): void {
    this.fault = fault;
  }

  public async start(): Promise<{ readonly endpoint: string; readonly close: () => Promise<void> }> {
    const server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return {
      endpoint: `http://127.0.0.1:${port}`,
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    };
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      if (target !== 'AmazonSSM.GetParametersByPath') return send(res, 400, { __type: 'UnknownOperationException', message: target });
      let body: { Path?: string; Recursive?: boolean; MaxResults?: number; NextToken?: string };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      } catch {
        return send(res, 400, { __type: 'SerializationException', message: 'bad JSON' });
      }
      const path = body.Path ?? '';
      this.calls.push(path);
      const fault = this.fault;
      if (fault?.kind === 'hang') return;
      if (fault?.kind === 'error') return send(res, fault.status ?? 400, { __type: fault.type, message: `${fault.type} (injected)` });
      const max = Math.min(10, Math.max(1, body.MaxResults ?? 10));
      const names = [...this.parameters.keys()]
        .filter((n) => n.startsWith(`${path}/`) && (body.Recursive === true || !n.slice(path.length + 1).includes('/')))
        .sort();
      const start = body.NextToken !== undefined ? Number(body.NextToken) : 0;
      const page = names.slice(start, start + max);
      const next = start + max < names.length ? String(start + max) : undefined;
      send(res, 200, {
        Parameters: page.map((Name) => ({
          Name,
          Type: 'String',
          Value: this.parameters.get(Name)!.value,
          Version: this.parameters.get(Name)!.version,
          ARN: `arn:aws:ssm:eu-central-1:123456789012:parameter${Name}`,
          DataType: 'text',
        })),
        ...(next !== undefined ? { NextToken: next } : {}),
      });
    });
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(text) }).end(text);
}

/** An SDK SSM client for the stand-in: dummy credentials, HTTP/1.1, no SDK retries. */
export function standInSsmClient(endpoint: string): SSMClient {
  return new SSMClient({
    endpoint,
    region: 'eu-central-1',
    credentials: { accessKeyId: 'AKIDSTANDIN', secretAccessKey: 'standin-secret' },
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler(),
  });
}
