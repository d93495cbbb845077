// One Kafka protocol connection from a client to a broker, on our own wire code (src/protocol):
// encode a request, send it, match the response frame by correlation id, decode it. It is what
// the `runnel` command line speaks; the SDK (issue 13) grows from it. Requests are pipelined:
// the broker answers in request order, and each pending request has a deadline.

import { connect, type Socket } from 'node:net';
import type { ApiDefinition } from '../protocol/api.ts';
import { FrameDecoder } from '../protocol/frame.ts';
import { decodeResponse, encodeRequest } from '../protocol/header.ts';
import type { EncodeInput } from '../protocol/schema.ts';

/** Limits of one connection; every one of them bounds something that would otherwise grow or wait. */
export interface ConnectionLimits {
  /** How long connecting may take. */
  connectTimeoutMs: number;
  /** How long one request may wait for its response. */
  requestTimeoutMs: number;
  /** The largest response frame accepted (a Fetch answer is the big one). */
  responseBytesMax: number;
  /** Requests sent and not yet answered. */
  inflightRequestsMax: number;
}

export const defaultConnectionLimits: ConnectionLimits = {
  connectTimeoutMs: 5_000,
  requestTimeoutMs: 30_000,
  responseBytesMax: 100 * 1024 * 1024,
  inflightRequestsMax: 100,
};

/** Failure to reach a broker or to get an answer from it (not a Kafka error code inside an answer). */
export class ConnectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConnectionError';
  }
}

interface Pending {
  correlationId: number;
  decode(frame: Buffer): void;
  fail(err: Error): void;
  timer: NodeJS.Timeout;
}

/** Splits `host:port` (or `[v6]:port`); throws a plain Error naming the address when it is not one. */
export function parseHostPort(address: string): { host: string; port: number } {
  const match = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(address.trim());
  const port = match ? Number(match[2]) : NaN;
  if (!match || match[1] === '' || port < 1 || port > 65_535) {
    throw new Error(`"${address}" is not HOST:PORT (e.g. 127.0.0.1:9092)`);
  }
  return { host: match[1]!, port };
}

export class KafkaConnection {
  readonly address: string;
  private readonly socket: Socket;
  private readonly limits: ConnectionLimits;
  private readonly decoder: FrameDecoder;
  private readonly clientId: string;
  /** In request order: the broker answers in that order, so the head is the next answer. */
  private readonly pending: Pending[] = [];
  private nextCorrelationId = 1;
  private failure: Error | null = null;

  private constructor(socket: Socket, address: string, clientId: string, limits: ConnectionLimits) {
    this.socket = socket;
    this.address = address;
    this.clientId = clientId;
    this.limits = limits;
    this.decoder = new FrameDecoder(limits.responseBytesMax);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.failAll(new ConnectionError(`connection to ${address} failed: ${err.message}`, { cause: err })));
    socket.on('close', () => this.failAll(new ConnectionError(`broker ${address} closed the connection`)));
  }

  /** Connects to `host:port`; rejects with a ConnectionError that names the address. */
  static async connect(address: string, options: { clientId?: string; limits?: Partial<ConnectionLimits> } = {}): Promise<KafkaConnection> {
    const limits = { ...defaultConnectionLimits, ...options.limits };
    const { host, port } = parseHostPort(address);
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host, port, noDelay: true });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new ConnectionError(`cannot reach the broker at ${address}: no connection within ${limits.connectTimeoutMs} ms`));
      }, limits.connectTimeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new ConnectionError(`cannot reach the broker at ${address}: ${err.code ?? err.message}`, { cause: err }));
      });
    });
    return new KafkaConnection(socket, address, options.clientId ?? 'runnel-cli', limits);
  }

  /** Sends one request at `version` (default: the highest our codec speaks) and resolves with the decoded response. */
  request<Req, Res>(api: ApiDefinition<Req, Res>, body: EncodeInput<Req>, version = api.maxVersion): Promise<Res> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending.length >= this.limits.inflightRequestsMax) {
      return Promise.reject(new ConnectionError(`more than ${this.limits.inflightRequestsMax} requests in flight to ${this.address}`));
    }
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = (this.nextCorrelationId + 1) & 0x7fffffff;
    const frame = encodeRequest(api, version, correlationId, this.clientId, body);
    return new Promise<Res>((resolve, reject) => {
      const entry: Pending = {
        correlationId,
        decode: (response) => {
          try {
            resolve(decodeResponse(api, version, response).body);
          } catch (err) {
            reject(new ConnectionError(`${api.name} v${version} answer from ${this.address} cannot be read: ${(err as Error).message}`, { cause: err }));
          }
        },
        fail: reject,
        timer: setTimeout(() => {
          // The answers are matched in order; after a lost one the stream cannot be trusted.
          this.failAll(new ConnectionError(`${api.name} to ${this.address}: no answer within ${this.limits.requestTimeoutMs} ms`));
        }, this.limits.requestTimeoutMs),
      };
      this.pending.push(entry);
      this.socket.write(frame);
    });
  }

  /**
   * Sends a request the broker does not answer (Produce with acks=0): nothing waits for a
   * response, so the answers to the other requests still match in order.
   */
  sendWithoutAnswer<Req>(api: ApiDefinition<Req, unknown>, body: EncodeInput<Req>, version = api.maxVersion): void {
    if (this.failure) throw this.failure;
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = (this.nextCorrelationId + 1) & 0x7fffffff;
    this.socket.write(encodeRequest(api, version, correlationId, this.clientId, body));
  }

  /** False once the connection failed or was closed; every request on it then rejects. */
  get isOpen(): boolean {
    return this.failure === null;
  }

  close(): void {
    this.failAll(new ConnectionError(`connection to ${this.address} closed`));
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.failAll(new ConnectionError(`bad frame from ${this.address}: ${(err as Error).message}`, { cause: err }));
      return;
    }
    for (const frame of frames) {
      const head = this.pending[0];
      const correlationId = frame.length >= 4 ? frame.readInt32BE(0) : -1;
      if (!head || head.correlationId !== correlationId) {
        this.failAll(new ConnectionError(`answer from ${this.address} with correlation id ${correlationId} matches no request`));
        return;
      }
      this.pending.shift();
      clearTimeout(head.timer);
      head.decode(frame);
    }
  }

  private failAll(err: Error): void {
    if (!this.failure) this.failure = err;
    for (const entry of this.pending.splice(0)) {
      clearTimeout(entry.timer);
      entry.fail(err);
    }
    this.socket.destroy();
  }
}
