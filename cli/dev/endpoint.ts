/**
 * The one local endpoint: a server on 127.0.0.1 that answers every AWS API the pipeline's code and
 * its producers call (told apart by the request's signing scope or X-Amz-Target, ./http.ts) and,
 * for everything else, the collector. So `AWS_ENDPOINT_URL=http://127.0.0.1:<port>` points any
 * AWS SDK at the whole environment, and the same port takes browsers' and phones' HTTP requests.
 *
 * The SDK's clients speak HTTP/1.1 by default, except Kinesis (and a few others) which default to
 * HTTP/2; an HTTP/2 client connects with the cleartext preface, so the server reads the first bytes
 * of each connection and hands it to an HTTP/1.1 or an HTTP/2 server accordingly.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttp2Server, type Http2Server } from 'node:http2';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { sendAwsJsonError, serviceOf, type AwsService } from './http';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface EndpointHandlers {
  readonly services: Partial<Record<AwsService, Handler>>;
  /** Requests that are not AWS API calls. */
  readonly collector?: Handler;
  readonly onError: (err: unknown) => void;
}

/** The request dispatcher shared by both protocol servers. */
export function dispatcher(h: EndpointHandlers): Handler {
  return (req, res) => {
    const service = serviceOf(req);
    const run = (handler: Handler): void => {
      try {
        const p = handler(req, res);
        if (p !== undefined)
          p.catch((err: unknown) => {
            h.onError(err);
            if (!res.headersSent) sendAwsJsonError(res, 500, 'InternalFailure', (err as Error).message);
            else res.destroy();
          });
      } catch (err) {
        h.onError(err);
        if (!res.headersSent) sendAwsJsonError(res, 500, 'InternalFailure', (err as Error).message);
      }
    };
    if (service === undefined) {
      if (h.collector !== undefined) return run(h.collector);
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}');
      return;
    }
    const handler = service === 'unknown-aws' ? undefined : h.services[service];
    if (handler === undefined) {
      sendAwsJsonError(res, 400, 'UnknownServiceException', `the local endpoint does not serve this AWS service (${String(service)})`);
      return;
    }
    run(handler);
  };
}

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n');

export interface RunningEndpoint {
  readonly port: number;
  readonly url: string;
  /** Stops accepting connections and ends the open ones. */
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:`port` (0: any free port) with the dispatcher, over HTTP/1.1 and cleartext HTTP/2. */
export async function listen(port: number, handler: Handler): Promise<RunningEndpoint> {
  const h1: Server = createHttpServer({ keepAliveTimeout: 5_000 }, (req, res) => void handler(req, res));
  const h2: Http2Server = createHttp2Server({}, (req, res) => void handler(req as unknown as IncomingMessage, res as unknown as ServerResponse));
  const sockets = new Set<Socket>();
  const net: NetServer = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.once('readable', () => {
      const head = socket.read(H2_PREFACE.length) as Buffer | null ?? (socket.read() as Buffer | null);
      if (head === null) {
        socket.once('readable', () => undefined);
        h1.emit('connection', socket);
        return;
      }
      socket.unshift(head);
      if (head.length >= H2_PREFACE.length && head.subarray(0, H2_PREFACE.length).equals(H2_PREFACE)) h2.emit('connection', socket);
      else h1.emit('connection', socket);
    });
  });
  await new Promise<void>((resolve, reject) => {
    net.once('error', reject);
    net.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (net.address() as AddressInfo).port;
  return {
    port: actual,
    url: `http://127.0.0.1:${actual}`,
    close: () =>
      new Promise<void>((resolve) => {
        net.close(() => resolve());
        h1.closeAllConnections();
        for (const s of sockets) s.destroy();
      }),
  };
}
