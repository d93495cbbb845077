// One Kafka protocol connection from a client to a broker, on our own wire code (src/protocol):
// encode a request, send it, match the response frame by correlation id, decode it. It is what
// the `runnel` command line speaks; the SDK (issue 13) grows from it. Requests are pipelined:
// the broker answers in request order, and each pending request has a deadline. Over TLS when
// `ssl` is given (node:tls). After a SASL login whose session ends (KIP-368), the connection
// logs in again before it does: it holds new requests, lets those in flight finish, runs the
// login, then sends what it held, in order.

import { connect, isIP, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import type { ApiDefinition } from '../protocol/api.ts';
import { FrameDecoder } from '../protocol/frame.ts';
import { decodeResponse, encodeRequest } from '../protocol/header.ts';
import type { EncodeInput } from '../protocol/schema.ts';
import type { SslOptions } from './security.ts';

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

/** Sends one request on a connection at `version` and resolves with its answer. */
export type Send = <Req, Res>(api: ApiDefinition<Req, Res>, body: EncodeInput<Req>, version: number) => Promise<Res>;

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
  private readonly now: () => number;
  private readonly random: () => number;
  /** KIP-368: the login to run again, and when (ms, `now`'s clock); null when the session does not end. */
  private reauth: { login: (send: Send) => Promise<number>; atMs: number; timer: NodeJS.Timeout } | null = null;
  /** Set while re-authenticating: new requests wait for it, then go out in the order they came. */
  private gate: Promise<void> | null = null;
  /** Resolved when no request is in flight (or the connection failed). */
  private drainWaiters: (() => void)[] = [];

  private constructor(socket: Socket, address: string, clientId: string, limits: ConnectionLimits, now: () => number, random: () => number) {
    this.socket = socket;
    this.address = address;
    this.clientId = clientId;
    this.limits = limits;
    this.now = now;
    this.random = random;
    this.decoder = new FrameDecoder(limits.responseBytesMax);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.failAll(new ConnectionError(`connection to ${address} failed: ${err.message}`, { cause: err })));
    socket.on('close', () => this.failAll(new ConnectionError(`broker ${address} closed the connection`)));
  }

  /**
   * Connects to `host:port`, over TLS when `ssl` is given; rejects with a ConnectionError that
   * names the address (and, for TLS, why the broker's certificate was refused).
   */
  static async connect(
    address: string,
    options: { clientId?: string; limits?: Partial<ConnectionLimits>; ssl?: SslOptions | null; now?: () => number; random?: () => number } = {},
  ): Promise<KafkaConnection> {
    const limits = { ...defaultConnectionLimits, ...options.limits };
    const { host, port } = parseHostPort(address);
    const ssl = options.ssl ?? null;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = ssl ? tlsConnect(tlsOptions(host, port, ssl)) : connect({ host, port, noDelay: true });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new ConnectionError(`cannot reach the broker at ${address}: no ${ssl ? 'TLS ' : ''}connection within ${limits.connectTimeoutMs} ms`));
      }, limits.connectTimeoutMs);
      // Over TLS, an error after the TCP connect is the handshake failing: a certificate refused, or a port that does not speak TLS.
      let tcpConnected = false;
      if (ssl) s.once('connect', () => (tcpConnected = true));
      s.once(ssl ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        s.destroy();
        const why = tcpConnected
          ? `TLS handshake failed: ${err.code && err.code !== err.message ? `${err.code} (${err.message})` : err.message}`
          : (err.code ?? err.message);
        reject(new ConnectionError(`cannot reach the broker at ${address}: ${why}`, { cause: err }));
      });
    });
    if (ssl) socket.setNoDelay(true);
    return new KafkaConnection(socket, address, options.clientId ?? 'runnel-cli', limits, options.now ?? Date.now, options.random ?? Math.random);
  }

  /** Sends one request at `version` (default: the highest our codec speaks) and resolves with the decoded response. */
  request<Req, Res>(api: ApiDefinition<Req, Res>, body: EncodeInput<Req>, version = api.maxVersion): Promise<Res> {
    if (!this.gate && this.reauth && this.now() >= this.reauth.atMs) this.reauthenticate();
    if (this.gate) return this.gate.then(() => this.request(api, body, version));
    return this.send(api, body, version);
  }

  /**
   * Sends a request the broker does not answer (Produce with acks=0): nothing waits for a
   * response, so the answers to the other requests still match in order. While the connection
   * re-authenticates it goes out after the login, in its place among the other requests.
   */
  sendWithoutAnswer<Req>(api: ApiDefinition<Req, unknown>, body: EncodeInput<Req>, version = api.maxVersion): void {
    if (this.failure) throw this.failure;
    if (!this.gate && this.reauth && this.now() >= this.reauth.atMs) this.reauthenticate();
    const write = () => {
      if (this.failure) return;
      const correlationId = this.nextCorrelationId;
      this.nextCorrelationId = (this.nextCorrelationId + 1) & 0x7fffffff;
      this.socket.write(encodeRequest(api, version, correlationId, this.clientId, body));
    };
    if (this.gate) void this.gate.then(write);
    else write();
  }

  /**
   * KIP-368: the broker ends a SASL session after `sessionLifetimeMs` (0: never). The connection
   * runs `login` again at 85-95 % of it (random within, as the Java client, so that a client's
   * connections do not all log in at once): when the time comes, or at the first request after.
   * `login` resolves with the new session's lifetime.
   */
  keepAuthenticated(sessionLifetimeMs: number, login: (send: Send) => Promise<number>): void {
    if (this.reauth) clearTimeout(this.reauth.timer);
    this.reauth = null;
    if (sessionLifetimeMs <= 0 || this.failure) return;
    const delayMs = Math.max(1, Math.floor(sessionLifetimeMs * (REAUTH_AT_MIN + (REAUTH_AT_MAX - REAUTH_AT_MIN) * this.random())));
    // setTimeout fires at once for delays above 2^31-1 ms; a later login is not needed sooner than that.
    const timer = setTimeout(
      () => {
        if (!this.gate && !this.failure) this.reauthenticate();
      },
      Math.min(delayMs, TIMER_DELAY_MS_MAX),
    );
    timer.unref();
    this.reauth = { login, atMs: this.now() + delayMs, timer };
  }

  private reauthenticate(): void {
    const reauth = this.reauth;
    if (!reauth) return;
    clearTimeout(reauth.timer);
    this.reauth = null;
    const send: Send = (api, body, version) => this.send(api, body, version);
    this.gate = this.drained()
      .then(async () => {
        if (this.failure) return;
        this.keepAuthenticated(await reauth.login(send), reauth.login);
      })
      .catch((err: Error) => {
        // The session ends soon and the broker would close the connection then: close it now, so
        // the client reconnects (and logs in, or reports why it cannot).
        this.failAll(new ConnectionError(`re-authentication to ${this.address} failed: ${err.message}`, { cause: err }));
      })
      .finally(() => {
        this.gate = null;
      });
  }

  private drained(): Promise<void> {
    if (this.pending.length === 0 || this.failure) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private send<Req, Res>(api: ApiDefinition<Req, Res>, body: EncodeInput<Req>, version: number): Promise<Res> {
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
    if (this.pending.length === 0) this.wakeDrainWaiters();
  }

  private wakeDrainWaiters(): void {
    for (const wake of this.drainWaiters.splice(0)) wake();
  }

  private failAll(err: Error): void {
    if (!this.failure) this.failure = err;
    for (const entry of this.pending.splice(0)) {
      clearTimeout(entry.timer);
      entry.fail(err);
    }
    if (this.reauth) clearTimeout(this.reauth.timer);
    this.reauth = null;
    this.wakeDrainWaiters();
    this.socket.destroy();
  }
}

/** Re-authentication starts between these fractions of the session's lifetime (KIP-368; the Java client's 85-95 %). */
const REAUTH_AT_MIN = 0.85;
const REAUTH_AT_MAX = 0.95;
/** The longest delay setTimeout keeps (2^31-1 ms, about 24.8 days). */
const TIMER_DELAY_MS_MAX = 2 ** 31 - 1;

/** node:tls options for a connection to `host:port`: SNI only for a name (RFC 6066 forbids an IP address there). */
function tlsOptions(host: string, port: number, ssl: SslOptions): ConnectionOptions {
  const servername = ssl.servername ?? (isIP(host) === 0 ? host : undefined);
  return {
    host,
    port,
    ca: ssl.ca,
    cert: ssl.cert,
    key: ssl.key,
    passphrase: ssl.passphrase,
    rejectUnauthorized: ssl.rejectUnauthorized ?? true,
    // node checks the certificate against `servername` when set, else against `host` (its IP SANs).
    servername,
  };
}
