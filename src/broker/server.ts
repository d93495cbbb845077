// One Kafka listener: accepts TCP connections up to the limit and hands each to a Connection,
// with the Session of this listener (its name and security protocol, the client's address).

import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { Connection } from './connection.ts';
import type { AnyApiHandler } from './handler.ts';
import { LogOnce } from '../log/index.ts';
import { ANONYMOUS_PRINCIPAL, type SecurityProtocol, type Session } from '../security/session.ts';
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
}

export class KafkaServer {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  private readonly options: KafkaServerOptions;
  private readonly logger: Logger;
  private readonly badInput: LogOnce;
  private nextConnectionId = 1;

  constructor(handlers: Map<number, AnyApiHandler>, options: KafkaServerOptions, logger: Logger) {
    this.options = options;
    this.logger = logger;
    // A client stuck sending bad frames would otherwise write one line per frame.
    this.badInput = new LogOnce(logger, { intervalMs: 60_000 });
    this.server = createServer((socket) => this.accept(socket, handlers));
    this.server.on('error', (err) => logger.error({ err }, 'kafka listener error'));
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

  private accept(socket: Socket, handlers: Map<number, AnyApiHandler>): void {
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
      principal: ANONYMOUS_PRINCIPAL,
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
