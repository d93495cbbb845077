// The broker's HTTP server for operators: GET /status (what `./broker status` prints) and
// GET /health. The app is built apart from listen(), as Fastify recommends, so tests can use
// inject() without a socket. It runs beside the Kafka listener when `http.enabled` is true.

import { fastify, type FastifyInstance, type RawReplyDefaultExpression, type RawRequestDefaultExpression, type RawServerDefault } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { NodeStatus } from './status.ts';
import { registerClusterJoin, type JoinOperation } from './cluster-join.ts';
import { registerClusterLeave, type LeaveOperation } from './cluster-leave.ts';
import { registerUnsafeRecover, type UnsafeRecoverOperation } from './cluster-unsafe-recover.ts';

/** The operations admin routes call, passed in by the node layer; a route whose operation is absent is not served. */
export interface AdminOperations {
  join?: JoinOperation;
  leave?: LeaveOperation;
  unsafeRecover?: UnsafeRecoverOperation;
}

export interface HttpServerOptions {
  host: string;
  /** 0 lets the operating system choose; the bound port is returned. */
  port: number;
}

export interface HttpServerHandle {
  /** The address actually bound. */
  host: string;
  port: number;
  close(): Promise<void>;
}

/** Fastify's own lines (one per request at info) would drown the broker's log; only its warnings and errors pass. */
function httpLogger(logger: Logger): Logger {
  const level = logger.levelVal > logger.levels.values.warn! ? logger.level : 'warn';
  return logger.child({ component: 'http' }, { level });
}

/** A Fastify app that logs through the broker's pino logger. */
export type HttpApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, Logger>;

export function buildHttpApp(status: () => NodeStatus, logger: Logger, ops: AdminOperations = {}): HttpApp {
  const app = fastify({ loggerInstance: httpLogger(logger) });
  app.get('/status', async (_request, reply) => {
    // A status is a snapshot of this moment; a cached copy would mislead whoever debugs a cluster with it.
    reply.header('cache-control', 'no-store');
    return status();
  });
  app.get('/health', async () => ({ ok: true }));
  if (ops.join) registerClusterJoin(app, ops.join);
  if (ops.leave) registerClusterLeave(app, ops.leave);
  if (ops.unsafeRecover) registerUnsafeRecover(app, ops.unsafeRecover);
  return app;
}

function listenError(err: unknown, options: HttpServerOptions): Error {
  const code = (err as NodeJS.ErrnoException).code;
  const where = `${options.host}:${options.port}`;
  const reason =
    code === 'EADDRINUSE'
      ? `${where} is already in use (EADDRINUSE); choose another http.port (RUNNEL_HTTP__PORT) or set http.enabled to false`
      : `cannot listen on ${where}: ${(err as Error).message}`;
  return new Error(`http.port ${options.port}: ${reason}`, { cause: err });
}

/** Starts the HTTP server; rejects, naming http.port, when the address cannot be bound. */
export async function startHttpServer(
  options: HttpServerOptions,
  status: () => NodeStatus,
  logger: Logger,
  ops: AdminOperations = {},
): Promise<HttpServerHandle> {
  const app = buildHttpApp(status, logger, ops);
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (err) {
    await app.close().catch(() => undefined);
    throw listenError(err, options);
  }
  const address = app.server.address() as AddressInfo;
  logger.info({ host: address.address, port: address.port }, 'http listening');
  return {
    host: address.address,
    port: address.port,
    close: async () => {
      await app.close();
    },
  };
}
