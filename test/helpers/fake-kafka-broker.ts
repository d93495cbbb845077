// A scripted Kafka broker on 127.0.0.1 for unit tests of the SDK (src/client): it decodes each
// request with our own codec, records it, and answers with what the test's handler returns for
// that API. ApiVersions is answered by default with every API our codec speaks (or the versions
// a test narrows), so the client's version negotiation runs as against a real broker.
import { createServer, type Server, type Socket } from 'node:net';
import { type ApiDefinition, allApis, ApiKey, apiByKey, apiVersions } from '../../src/protocol/apis/index.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { FrameDecoder } from '../../src/protocol/frame.ts';
import { decodeRequestBody, decodeRequestHeader, encodeResponse } from '../../src/protocol/header.ts';
import { Reader } from '../../src/protocol/primitives.ts';

export interface FakeRequest {
  apiKey: number;
  version: number;
  body: any;
}

/** Returns the response body for one request (or a promise of it), or null to leave it unanswered. Answers go out in request order. */
export type FakeHandler = (body: any, version: number) => object | null | Promise<object | null>;

export interface FakeBrokerOptions {
  /** apiKey → highest version this broker claims (default: what our codec speaks). */
  maxVersions?: Record<number, number>;
  /** Answer ApiVersions v3 as an old broker does: a v0 body with UNSUPPORTED_VERSION. */
  apiVersionsV0Only?: boolean;
  /** A fixed port (to come back on the same address after close()). */
  port?: number;
}

export class FakeKafkaBroker {
  readonly requests: FakeRequest[] = [];
  /** TCP connections accepted so far. */
  connections = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly handlers: Map<number, FakeHandler>,
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** How many requests of `api` arrived, and at which versions. */
  versionsOf(api: ApiDefinition): number[] {
    return this.requests.filter((r) => r.apiKey === api.apiKey).map((r) => r.version);
  }

  static async start(handlers: Record<number, FakeHandler>, options: FakeBrokerOptions = {}): Promise<FakeKafkaBroker> {
    const map = new Map<number, FakeHandler>(Object.entries(handlers).map(([k, h]) => [Number(k), h]));
    let self: FakeKafkaBroker | undefined;
    const server = createServer((socket) => self!.serve(socket, options));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', resolve);
    });
    self = new FakeKafkaBroker(server, (server.address() as { port: number }).port, map);
    return self;
  }

  /** Stops listening and cuts every open connection (as a broker killed with kill -9 would). */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Cuts every open connection but keeps listening. */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
  }

  private serve(socket: Socket, options: FakeBrokerOptions): void {
    this.connections++;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    const decoder = new FrameDecoder(1 << 24);
    // Answers leave in request order, as a broker's do, even when a handler answers later.
    let answered: Promise<unknown> = Promise.resolve();
    socket.on('data', (chunk) => {
      for (const frame of decoder.push(chunk)) {
        const reader = new Reader(frame);
        const header = decodeRequestHeader(reader);
        const api = apiByKey.get(header.apiKey)!;
        if (header.apiKey === ApiKey.ApiVersions && header.apiVersion > 0 && options.apiVersionsV0Only) {
          this.requests.push({ apiKey: header.apiKey, version: header.apiVersion, body: null });
          socket.write(encodeResponse(apiVersions, 0, header.correlationId, { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: [] }));
          continue;
        }
        const { body } = decodeRequestBody(api, header.apiVersion, reader);
        this.requests.push({ apiKey: header.apiKey, version: header.apiVersion, body });
        const handler = this.handlers.get(header.apiKey) ?? (header.apiKey === ApiKey.ApiVersions ? () => versionsBody(options) : undefined);
        const answer = Promise.resolve(handler?.(body, header.apiVersion));
        answered = answered
          .then(() => answer)
          .then((value) => {
            if (value && !socket.destroyed) socket.write(encodeResponse(api, header.apiVersion, header.correlationId, value));
          });
      }
    });
  }
}

function versionsBody(options: FakeBrokerOptions): object {
  return {
    errorCode: 0,
    apiKeys: allApis.map((a) => ({ apiKey: a.apiKey, minVersion: a.minVersion, maxVersion: options.maxVersions?.[a.apiKey] ?? a.maxVersion })),
  };
}
