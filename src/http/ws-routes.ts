// The WebSocket tail routes (docs/tailing.md):
//   GET /v1/ws/topics/:topic?from=end|earliest|offset:N|time:T&partition=P&key=K|keyRegex=R
//   GET /v1/ws/logs?level=info
// Parameters are checked before the upgrade: a bad one is answered 400, an unknown topic 404, and
// a broker at limits.max_tail_connections 503, each as JSON {error, message}. A tail that slips
// past the count in the same instant is closed at once with 1013 (try again later).

import websocket from '@fastify/websocket';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LogRing } from '../log/log-ring.ts';
import type { Session } from '../security/session.ts';
import { parseLogTail, parseTopicTail } from './ws-params.ts';
import { startLogTail } from './ws-log-tail.ts';
import { CLOSE_TRY_LATER, TailSocket, type TailWebSocket } from './ws-socket.ts';
import { startTopicTail, type TailSource } from './ws-topic-tail.ts';
import type { HttpApp } from './server.ts';

export interface TailLimits {
  /** limits.max_tail_connections */
  connectionsMax: number;
  /** limits.tail_buffer_bytes */
  bufferBytesMax: number;
  /** limits.tail_messages_per_second */
  messagesPerSecondMax: number;
  /** limits.max_tail_key_bytes */
  keyBytesMax: number;
  /** limits.max_uncompressed_batch_bytes */
  uncompressedBytesMax: number;
}

/**
 * What a topic tail asks before it reads: the broker's authorizer (BrokerServices.authorizer),
 * READ on the topic, as Fetch does. `check` logs a denial (once a minute per principal and topic).
 */
export interface TailAuthorizer {
  check(session: Session, operation: 'READ', resourceType: 'TOPIC', resourceName: string): boolean;
}

export interface TailRoutes {
  source: TailSource;
  /** Absent: every tail is allowed (no authorizer). */
  authorizer?: TailAuthorizer;
  /** Served over TLS (http.tls): the security protocol the tail's session names. */
  tls?: boolean;
  /** The broker's log ring; without one /v1/ws/logs answers 404. */
  logRing: LogRing | null;
  limits: TailLimits;
}

/** Clients send nothing on a tail; this bounds what ws reads of a message anyway. */
const CLIENT_MESSAGE_BYTES_MAX = 4096;

type Query = Record<string, string | string[] | undefined>;

const text = (description: string) => ({ type: 'string', description });

/**
 * What /openapi.json says of the tails (a WebSocket upgrade on GET). The parameters are checked by
 * ws-params.ts in preValidation, before this schema's own check could answer.
 */
const TOPIC_TAIL_SCHEMA = {
  summary: "WebSocket: the topic's committed records as they come (docs/tailing.md)",
  tags: ['tails'],
  params: { type: 'object', properties: { topic: text('the topic') }, required: ['topic'] },
  querystring: {
    type: 'object',
    properties: {
      from: text('end (default), earliest, offset:N or time:T (epoch ms or ISO 8601)'),
      partition: text('one partition index (default: all)'),
      key: text('only records with this key'),
      keyRegex: text('only records whose key matches this regex'),
    },
  },
};

const LOG_TAIL_SCHEMA = {
  summary: "WebSocket: the broker's recent log lines, then new ones (docs/tailing.md)",
  tags: ['tails'],
  querystring: { type: 'object', properties: { level: text('the lowest level shown: trace, debug, info (default), warn, error, fatal') } },
};

/** The session an ACL sees for an HTTP request: the principal http-auth.ts proved, from the client's address. */
function httpSession(request: FastifyRequest, tls: boolean): Session {
  return { listener: 'HTTP', securityProtocol: tls ? 'SSL' : 'PLAINTEXT', host: request.ip, principal: request.principal };
}

function refuse(reply: FastifyReply, status: number, error: string, message: string): FastifyReply {
  return reply.code(status).send({ error, message });
}

export function registerWsTails(app: HttpApp, routes: TailRoutes): void {
  const { limits } = routes;
  let open = 0;
  const full = () => open >= limits.connectionsMax;
  const fullMessage = () => `this broker serves at most ${limits.connectionsMax} tails at once (limits.max_tail_connections); try again later`;

  /** Counts the socket against the limit until it closes; false (and closed) when there is no room. */
  const admit = (socket: TailSocket): boolean => {
    if (full()) {
      socket.close(CLOSE_TRY_LATER, 'too many tails (limits.max_tail_connections)');
      return false;
    }
    open++;
    socket.onClose(() => open--);
    return true;
  };

  // A plugin that fails to load fails listen() (or inject()), which startHttpServer reports.
  void app.register(async (scope) => {
    await scope.register(websocket, { options: { maxPayload: CLIENT_MESSAGE_BYTES_MAX } });

    scope.get<{ Params: { topic: string }; Querystring: Query }>(
      '/v1/ws/topics/:topic',
      {
        websocket: true,
        schema: TOPIC_TAIL_SCHEMA,
        preValidation: async (request: FastifyRequest<{ Params: { topic: string }; Querystring: Query }>, reply) => {
          const { topic } = request.params;
          // Before the topic's existence is looked up: a principal without READ learns nothing of it.
          if (routes.authorizer && !routes.authorizer.check(httpSession(request, routes.tls === true), 'READ', 'TOPIC', topic)) {
            return refuse(reply, 403, 'TOPIC_AUTHORIZATION_FAILED', `${request.principal} may not READ topic "${topic}" (ACLs, docs/security.md)`);
          }
          const parsed = parseTopicTail(request.query, limits.keyBytesMax);
          if (!parsed.ok) return refuse(reply, 400, 'bad_request', parsed.message);
          const count = routes.source.partitionCount(topic);
          if (count === undefined) return refuse(reply, 404, 'unknown_topic', `topic "${topic}" does not exist`);
          const partition = parsed.value.partition;
          if (partition !== null && partition >= count) {
            return refuse(reply, 400, 'bad_request', `parameter "partition": topic "${topic}" has partitions 0 to ${count - 1} (got ${partition})`);
          }
          if (full()) return refuse(reply, 503, 'too_many_tails', fullMessage());
        },
      },
      (raw: TailWebSocket, request: FastifyRequest<{ Params: { topic: string }; Querystring: Query }>) => {
        const socket = new TailSocket(raw, limits);
        if (!admit(socket)) return;
        // preValidation checked the query; parsing again gives the typed request.
        const parsed = parseTopicTail(request.query, limits.keyBytesMax);
        if (!parsed.ok) return;
        startTopicTail(request.params.topic, parsed.value, routes.source, socket, {
          readBytesMax: limits.bufferBytesMax,
          uncompressedBytesMax: limits.uncompressedBytesMax,
          keyBytesMax: limits.keyBytesMax,
        });
      },
    );

    scope.get<{ Querystring: Query }>(
      '/v1/ws/logs',
      {
        websocket: true,
        schema: LOG_TAIL_SCHEMA,
        preValidation: async (request: FastifyRequest<{ Querystring: Query }>, reply) => {
          if (routes.logRing === null)
            return refuse(
              reply,
              404,
              'no_log_ring',
              'this broker was started without a log ring (an embedded broker); its log is where its host process writes it',
            );
          const parsed = parseLogTail(request.query);
          if (!parsed.ok) return refuse(reply, 400, 'bad_request', parsed.message);
          if (full()) return refuse(reply, 503, 'too_many_tails', fullMessage());
        },
      },
      (raw: TailWebSocket, request: FastifyRequest<{ Querystring: Query }>) => {
        const socket = new TailSocket(raw, limits);
        if (!admit(socket)) return;
        const parsed = parseLogTail(request.query);
        if (!parsed.ok || routes.logRing === null) return;
        startLogTail(routes.logRing, parsed.value.level, socket);
      },
    );
  });
}
