// The broker's HTTP server for operators: GET /status (what `./broker status` prints), GET
// /health, the cluster operations, and (given the broker's services) the admin API under /v1/,
// GET /openapi.json and GET /metrics (docs/operations.md). The app is built apart from
// listen(), as Fastify recommends, so tests can use inject() without a socket. It runs beside
// the Kafka listener when `http.enabled` is true.

import {
  fastify,
  type FastifyInstance,
  type FastifyReply,
  type FastifySchema,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { NodeStatus } from './status.ts';
import { registerClusterJoin, type JoinOperation } from './cluster-join.ts';
import { registerClusterLeave, type LeaveOperation } from './cluster-leave.ts';
import { registerUnsafeRecover, type UnsafeRecoverOperation } from './cluster-unsafe-recover.ts';
import type { BrokerServices } from '../broker/services.ts';
import { frameworkErrorBody, registerJsonErrors } from './api-errors.ts';
import { registerOpenApi } from './openapi.ts';
import { registerClusterRoutes } from './admin-cluster.ts';
import { registerTopicRoutes } from './admin-topics.ts';
import { registerGroupRoutes } from './admin-groups.ts';
import { registerMetricsRoute, type BrokerMetrics } from './metrics.ts';
import { registerWsTails, type TailRoutes } from './ws-routes.ts';
import { registerDashboard } from './dashboard/routes.ts';
import { HttpAuth, type HttpAuthOptions } from './http-auth.ts';
import { type TlsReloadOptions, watchCertificate } from './tls-reload.ts';
import type { Server as HttpsServer } from 'node:https';

/** The operations admin routes call, passed in by the node layer; a route whose operation is absent is not served. */
export interface AdminOperations {
  join?: JoinOperation;
  leave?: LeaveOperation;
  unsafeRecover?: UnsafeRecoverOperation;
  /** The broker's services: the /v1/ cluster, topic and group routes use them (and the functions the Kafka APIs call). */
  services?: BrokerServices;
  /** Serves GET /metrics. */
  metrics?: BrokerMetrics;
  /** The WebSocket tails of topics and of the broker's log (ws-routes.ts). */
  tails?: TailRoutes;
}

/** How the server is reached and who may use it (docs/security.md, "Operations surface"). */
export interface HttpSecurity {
  /** http.tls: serve HTTPS with this certificate and key (PEM), and look for new files every reload.intervalMs. */
  tls?: { cert: Buffer; key: Buffer; reload?: TlsReloadOptions } | null;
  /** http.auth; absent: everyone may use every route (http.auth.mode "none"). */
  auth?: HttpAuthOptions;
}

/** Largest request body; the admin API's bodies are a few hundred bytes, a topic's configs a few KiB. */
export const HTTP_BODY_BYTES_MAX = 64 * 1024;

/** Longest path parameter; group ids may be long, but not without limit. */
export const HTTP_PATH_PARAM_CHARS_MAX = 1000;

/** The first version of the admin API; the older unversioned routes stay as aliases. */
export const ADMIN_API_PREFIX = '/v1';

export interface HttpServerOptions {
  host: string;
  /** 0 lets the operating system choose; the bound port is returned. */
  port: number;
}

export interface HttpServerHandle {
  /** The address actually bound. */
  host: string;
  port: number;
  /** The app itself, for inject() in tests. */
  app: HttpApp;
  close(): Promise<void>;
}

/** Fastify's own lines (one per request at info) would drown the broker's log; only its warnings and errors pass. */
function httpLogger(logger: Logger): Logger {
  const level = logger.levelVal > logger.levels.values.warn! ? logger.level : 'warn';
  return logger.child({ component: 'http' }, { level });
}

/** A Fastify app that logs through the broker's pino logger. */
export type HttpApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, Logger>;

export function buildHttpApp(status: () => NodeStatus, logger: Logger, ops: AdminOperations = {}, security: HttpSecurity = {}): HttpApp {
  // fastify types an HTTPS app apart from an HTTP one; the routes use nothing that differs.
  const app = fastify({
    ...(security.tls && { https: { cert: security.tls.cert, key: security.tls.key } }),
    loggerInstance: httpLogger(logger),
    bodyLimit: HTTP_BODY_BYTES_MAX,
    // Fastify's default drops unknown body fields silently; a typo must be an error instead.
    ajv: { customOptions: { removeAdditional: false } },
    // What the router refuses before any handler runs (a path parameter over 100 characters, a
    // malformed URL) gets the same {error, message} body as everything else.
    frameworkErrors: (err, _request, reply) => {
      void (reply as FastifyReply).code(err.statusCode ?? 400).send(frameworkErrorBody(err));
    },
    // A path parameter is a topic name (249 characters at most) or a group id; a longer one is refused (414).
    routerOptions: { maxParamLength: HTTP_PATH_PARAM_CHARS_MAX },
  }) as unknown as HttpApp;
  registerJsonErrors(app);
  registerOpenApi(app, { title: 'Runnel admin API', version: '1' });
  // Before every route, so its onRequest check covers them all (the tails' plugin scope too).
  new HttpAuth(security.auth ?? { mode: 'none', token: null, checkPassword: null, metricsOpen: true, secure: false }).register(app);
  for (const prefix of ['', ADMIN_API_PREFIX]) {
    // The document lists each route once, under its versioned path.
    const documented = (summary: string) => (prefix === ADMIN_API_PREFIX ? { schema: { summary, tags: ['health'] } as FastifySchema } : {});
    app.get(`${prefix}/status`, documented("This broker's status: identity, brokers, Raft groups, members, reassignments"), async (_request, reply) => {
      // A status is a snapshot of this moment; a cached copy would mislead whoever debugs a cluster with it.
      reply.header('cache-control', 'no-store');
      return status();
    });
    app.get(`${prefix}/health`, documented('Liveness: 200 {"ok": true} while the process answers'), async () => ({ ok: true }));
    if (ops.join) registerClusterJoin(app, ops.join, prefix);
    if (ops.leave) registerClusterLeave(app, ops.leave, prefix);
    if (ops.unsafeRecover) registerUnsafeRecover(app, ops.unsafeRecover, prefix);
  }
  if (ops.services) {
    registerClusterRoutes(app, ops.services, status);
    registerTopicRoutes(app, ops.services);
    registerGroupRoutes(app, ops.services);
  }
  if (ops.metrics) registerMetricsRoute(app, ops.metrics);
  if (ops.tails) registerWsTails(app, ops.tails);
  registerDashboard(app);
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
  security: HttpSecurity = {},
): Promise<HttpServerHandle> {
  const app = buildHttpApp(status, logger, ops, security);
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (err) {
    await app.close().catch(() => undefined);
    throw listenError(err, options);
  }
  const stopWatching = security.tls?.reload ? watchCertificate(app.server as unknown as HttpsServer, security.tls.reload, logger) : () => undefined;
  const address = app.server.address() as AddressInfo;
  logger.info({ host: address.address, port: address.port, tls: Boolean(security.tls), auth: security.auth?.mode ?? 'none' }, 'http listening');
  return {
    host: address.address,
    port: address.port,
    app,
    close: async () => {
      stopWatching();
      await app.close();
    },
  };
}
