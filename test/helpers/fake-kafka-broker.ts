// A scripted Kafka broker on 127.0.0.1 for unit tests of the SDK (src/client): it decodes each
// request with our own codec, records it, and answers with what the test's handler returns for
// that API. ApiVersions is answered by default with every API our codec speaks (or the versions
// a test narrows), so the client's version negotiation runs as against a real broker.
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { type ApiDefinition, allApis, ApiKey, apiByKey, apiVersions } from '../../src/protocol/apis/index.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { FrameDecoder } from '../../src/protocol/frame.ts';
import { decodeRequestBody, decodeRequestHeader, encodeResponse } from '../../src/protocol/header.ts';
import { Reader } from '../../src/protocol/primitives.ts';

export interface FakeRequest {
  apiKey: number;
  version: number;
  body: any;
  /** The FakeConnection id it came on. */
  connection: number;
}

/** One client connection, as a handler sees it: per-connection state (a SASL login's step) and a way to cut it. */
export interface FakeConnection {
  /** 1 for the first connection accepted, 2 for the next, ... */
  readonly id: number;
  readonly state: Record<string, any>;
  /** Closes the connection as a broker does after a refused login or an expired session. */
  close(): void;
}

/** Returns the response body for one request (or a promise of it), or null to leave it unanswered. Answers go out in request order. */
export type FakeHandler = (body: any, version: number, connection: FakeConnection) => object | null | Promise<object | null>;

export interface FakeBrokerOptions {
  /** apiKey → highest version this broker claims (default: what our codec speaks). */
  maxVersions?: Record<number, number>;
  /** Answer ApiVersions v3 as an old broker does: a v0 body with UNSUPPORTED_VERSION. */
  apiVersionsV0Only?: boolean;
  /** A fixed port (to come back on the same address after close()). */
  port?: number;
  /** Serve over TLS with this certificate and key (PEM). */
  tls?: { cert: string; key: string };
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
    const serve = (socket: Socket) => self!.serve(socket, options);
    const server = options.tls ? createTlsServer({ cert: options.tls.cert, key: options.tls.key }, serve) : createServer(serve);
    // A client that refuses our certificate ends the handshake; that is the test's business, not an error here.
    server.on('tlsClientError', () => {});
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
    const connection: FakeConnection = { id: this.connections, state: {}, close: () => socket.destroy() };
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    const decoder = new FrameDecoder(1 << 24);
    // Answers leave in request order, as a broker's do, even when a handler answers later.
    let answered: Promise<unknown> = Promise.resolve();
    socket.on('data', (chunk) => {
      let frames: Buffer[];
      try {
        frames = decoder.push(chunk);
      } catch {
        // Not Kafka framing (a TLS ClientHello on a plaintext port): close, as a broker does.
        socket.destroy();
        return;
      }
      for (const frame of frames) {
        const reader = new Reader(frame);
        const header = decodeRequestHeader(reader);
        const api = apiByKey.get(header.apiKey)!;
        if (header.apiKey === ApiKey.ApiVersions && header.apiVersion > 0 && options.apiVersionsV0Only) {
          this.requests.push({ apiKey: header.apiKey, version: header.apiVersion, body: null, connection: connection.id });
          socket.write(encodeResponse(apiVersions, 0, header.correlationId, { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: [] }));
          continue;
        }
        const { body } = decodeRequestBody(api, header.apiVersion, reader);
        this.requests.push({ apiKey: header.apiKey, version: header.apiVersion, body, connection: connection.id });
        const handler = this.handlers.get(header.apiKey) ?? (header.apiKey === ApiKey.ApiVersions ? () => versionsBody(options) : undefined);
        const answer = Promise.resolve(handler?.(body, header.apiVersion, connection));
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
