// One Kafka listener: accepts TCP (or TLS) connections up to the limit and hands each to a
// Connection, with the Session of this listener (its name and security protocol, the client's
// address, and with a client certificate its principal).
//
// A TLS listener's handshake failures (a plaintext client, an untrusted or expired client
// certificate) are logged once per client host and minute, not once per attempt.

import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { Connection } from './connection.ts';
import type { AnyApiHandler } from './handler.ts';
import { LogOnce } from '../log/index.ts';
import { ANONYMOUS_PRINCIPAL, type SecurityProtocol, type Session } from '../security/session.ts';
import { principalFromSubject } from '../security/principal.ts';
import type { ClientAuth } from '../config/index.ts';
import type { TlsMaterial } from './tls-files.ts';

/** A client that has not finished its TLS handshake this long after connecting is dropped (Node's default is 120 s). */
const TLS_HANDSHAKE_MS_MAX = 10_000;

/** Repeated bad input from one client host is logged at most once per this. */
const BAD_INPUT_LOG_INTERVAL_MS = 60_000;

export interface KafkaServerTls {
  material: TlsMaterial;
  clientAuth: ClientAuth;
}
import type { SaslEnvironment } from './sasl-authenticator.ts';

export interface KafkaServerOptions {
  /** The listener's name, as Session.listener (`PLAINTEXT` for the listener made from server.*). */
  listener: string;
  securityProtocol: SecurityProtocol;
  /** SASL settings and credentials: required when securityProtocol is SASL_*. */
  sasl?: SaslEnvironment;
  host: string;
  port: number;
  frameBytesMax: number;
  inflightRequestsMax: number;
  connectionsMax: number;
  partitionsPerRequestMax: number;
  /** A connection that sends nothing for this long is closed, like Kafka's connections.max.idle.ms. */
  idleMs: number;
  /** Present for SSL and SASL_SSL listeners. */
  tls?: KafkaServerTls;
}

export class KafkaServer {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  private readonly options: KafkaServerOptions;
  private readonly logger: Logger;
  private readonly badInput: LogOnce;
  private nextConnectionId = 1;
  /** TLS listeners: the client address of each TCP socket under a TLS one (Node's TLSSocket._parent). */
  private readonly tcpRemote = new WeakMap<Socket, string>();

  constructor(handlers: Map<number, AnyApiHandler>, options: KafkaServerOptions, logger: Logger) {
    this.options = options;
    this.logger = logger;
    // A client stuck sending bad frames would otherwise write one line per frame.
    this.badInput = new LogOnce(logger, { intervalMs: BAD_INPUT_LOG_INTERVAL_MS });
    const tls = options.tls;
    if (tls === undefined) {
      this.server = createServer((socket) => this.accept(socket, handlers, ANONYMOUS_PRINCIPAL));
    } else {
      this.server = createTlsServer(
        {
          ...tls.material,
          requestCert: tls.clientAuth !== 'none',
          // "requested": a client without a certificate is let in, one with a bad certificate is refused below.
          rejectUnauthorized: tls.clientAuth === 'required',
          handshakeTimeout: TLS_HANDSHAKE_MS_MAX,
        },
        (socket) => this.acceptTls(socket, handlers, tls.clientAuth),
      );
      this.server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => this.handshakeFailed(err, socket));
      // A TLS socket whose client hung up has no address left to log; its TCP socket's is kept here.
      this.server.on('connection', (raw: Socket) => this.tcpRemote.set(raw, raw.remoteAddress ?? 'unknown'));
      // Sockets in their handshake are not Connections yet; this bounds them too.
      this.server.maxConnections = options.connectionsMax;
    }
    this.server.on('error', (err) => logger.error({ err }, 'kafka listener error'));
  }

  /** TLS listeners: new connections get `material` (a reloaded certificate); open ones keep theirs. */
  setSecureContext(material: TlsMaterial): void {
    const tls = this.options.tls;
    if (tls === undefined) return;
    (this.server as ReturnType<typeof createTlsServer>).setSecureContext({ ...material });
  }

  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', onError);
        const address = this.server.address();
        const port = typeof address === 'object' && address ? address.port : this.options.port;
        resolve({ host: this.options.host, port });
      });
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of this.connections) connection.close();
    await closed;
  }

  private acceptTls(socket: TLSSocket, handlers: Map<number, AnyApiHandler>, clientAuth: ClientAuth): void {
    let principal = ANONYMOUS_PRINCIPAL;
    const certificate = clientAuth === 'none' ? undefined : socket.getPeerX509Certificate();
    if (certificate !== undefined) {
      // "requested" lets the handshake finish whatever the client sent; a certificate it did send must be good.
      if (!socket.authorized) {
        this.refuse(socket, 'tls-client-certificate', `client certificate refused: ${String(socket.authorizationError)}`);
        return;
      }
      principal = principalFromSubject(certificate.subject);
    }
    this.accept(socket, handlers, principal);
  }

  private handshakeFailed(err: NodeJS.ErrnoException, socket: TLSSocket): void {
    // OpenSSL's words for a client that spoke Kafka without TLS: "wrong version number", "http request", "unknown protocol".
    const plaintext = /wrong version number|http request|unknown protocol|packet length too long/i.test(err.message);
    let why = err.message.trim();
    if (plaintext) why = 'the client did not speak TLS (a PLAINTEXT client on a TLS listener?)';
    else if (err.code === 'ECONNRESET') why = "the client closed the connection in the handshake (does it trust the broker's certificate?)";
    this.refuse(socket, 'tls-handshake', `TLS handshake failed on listener ${this.options.listener}: ${why}`, { code: err.code });
  }

  private refuse(socket: Socket, kind: string, message: string, extra: Record<string, unknown> = {}): void {
    const parent = (socket as Socket & { _parent?: Socket })._parent;
    const remote = socket.remoteAddress ?? (parent && this.tcpRemote.get(parent)) ?? 'unknown';
    this.badInput.warn(`${kind}|${remote}`, { kind, listener: this.options.listener, remote, ...extra }, message);
    socket.destroy();
  }

  private accept(socket: Socket, handlers: Map<number, AnyApiHandler>, principal: string): void {
    if (this.connections.size >= this.options.connectionsMax) {
      this.badInput.warn(
        'connections-max',
        { remote: socket.remoteAddress, connectionsMax: this.options.connectionsMax },
        'connection refused: max_connections reached',
      );
      socket.destroy();
      return;
    }
    const session: Session = {
      listener: this.options.listener,
      securityProtocol: this.options.securityProtocol,
      host: socket.remoteAddress ?? '',
      principal,
    };
    const connection = new Connection(
      this.nextConnectionId++,
      socket,
      session,
      handlers,
      {
        frameBytesMax: this.options.frameBytesMax,
        inflightRequestsMax: this.options.inflightRequestsMax,
        partitionsPerRequestMax: this.options.partitionsPerRequestMax,
      },
      this.logger,
      this.badInput,
      this.options.sasl,
    );
    this.connections.add(connection);
    if (this.options.idleMs > 0) {
      socket.setTimeout(this.options.idleMs, () => connection.close());
    }
    socket.once('close', () => this.connections.delete(connection));
  }
}
