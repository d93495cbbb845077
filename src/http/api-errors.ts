// Errors of the admin API (docs/operations.md): every refusal is JSON `{error, message}` with
// the HTTP status that fits. `error` is a stable code a script can test (the Kafka error name
// when the refusal comes from the same function a Kafka API calls, so both give the same
// result), `message` says in words what to change. Fastify's own refusals (malformed JSON, a
// body over the limit, a schema violation, an unknown route) are rewritten to the same shape.

import type { FastifyError, FastifyRequest } from 'fastify';
import { LogOnce } from '../log/index.ts';
import { ErrorCode, errorName } from '../protocol/errors.ts';
import type { HttpApp } from './server.ts';

/** A refusal a route throws; the error handler answers it as `{error, message}` with `status`. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** HTTP statuses of the Kafka errors the admin functions return; anything else is the caller's mistake (400). */
const STATUS_BY_KAFKA_ERROR = new Map<number, number>([
  [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 404],
  [ErrorCode.GROUP_ID_NOT_FOUND, 404],
  [ErrorCode.TOPIC_ALREADY_EXISTS, 409],
  [ErrorCode.NON_EMPTY_GROUP, 409],
  [ErrorCode.NOT_COORDINATOR, 421],
  [ErrorCode.NOT_LEADER_OR_FOLLOWER, 421],
  [ErrorCode.NOT_CONTROLLER, 503],
  [ErrorCode.REQUEST_TIMED_OUT, 503],
  [ErrorCode.COORDINATOR_NOT_AVAILABLE, 503],
  [ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 503],
  [ErrorCode.NOT_ENOUGH_REPLICAS, 503],
  [ErrorCode.KAFKA_STORAGE_ERROR, 507],
]);

/** The ApiError for a Kafka error code a shared admin function returned. */
export function kafkaError(code: number, message: string | null): ApiError {
  const name = errorName(code);
  return new ApiError(STATUS_BY_KAFKA_ERROR.get(code) ?? 400, name, message ?? name);
}

/** Throws the Kafka error unless `code` is NONE. */
export function throwUnlessNone(code: number, message: string | null): void {
  if (code !== ErrorCode.NONE) throw kafkaError(code, message);
}

interface ValidationIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** One sentence naming the field: ajv's "must NOT have additional properties" does not say which. */
function validationMessage(context: string, issue: ValidationIssue): string {
  const path = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const where = path === '' ? context : `${context}.${path}`;
  if (issue.keyword === 'additionalProperties') return `${where}: unknown field "${String(issue.params.additionalProperty)}"`;
  if (issue.keyword === 'required') return `${where}: missing field "${String(issue.params.missingProperty)}"`;
  return `${where}: ${issue.message ?? 'is not valid'}`;
}

/** The fastify error codes we answer with our own code and status. */
const FASTIFY_ERRORS: Record<string, { status: number; code: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'INVALID_JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'INVALID_JSON' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'BODY_TOO_LARGE' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'BAD_REQUEST' },
};

/** A kind of malformed request from one client is logged at most once per this interval. */
const BAD_INPUT_LOG_INTERVAL_MS = 60_000;

/** How much of a refused URL an error message repeats. */
const URL_ECHO_CHARS_MAX = 200;

/**
 * The error body. `statusCode` repeats the status as Fastify's own errors do, which is how
 * `runnel` (cli/runnel/admin-http.ts) knows to print `message` rather than the code.
 */
export function errorBody(statusCode: number, error: string, message: string): { error: string; message: string; statusCode: number } {
  return { error, message, statusCode };
}

/** The body for an error the router raises before routing (fastify's frameworkErrors). */
export function frameworkErrorBody(err: FastifyError): { error: string; message: string; statusCode: number } {
  const status = err.statusCode ?? 400;
  if (status === 414) return errorBody(status, 'URI_TOO_LONG', 'a path parameter (topic name, group id) is longer than the server accepts');
  return errorBody(status, 'BAD_REQUEST', err.message.slice(0, URL_ECHO_CHARS_MAX));
}

/** Answers every error and unknown route as `{error, message}`; a server fault is logged once, with its stack. */
export function registerJsonErrors(app: HttpApp): void {
  // A malformed request is logged once per kind and client a minute: a script stuck in a loop
  // must not fill the disk. Refusals of well-formed requests (a topic that exists) are answers, not log lines.
  const badInput = new LogOnce(app.log, { intervalMs: BAD_INPUT_LOG_INTERVAL_MS });
  const malformed = (request: FastifyRequest, error: string, message: string): void => {
    badInput.warn(
      `${error}|${request.ip}`,
      { error, message, method: request.method, url: request.url.slice(0, URL_ECHO_CHARS_MAX), client: request.ip },
      'admin API request refused',
    );
  };
  app.setErrorHandler((err: FastifyError | ApiError, request, reply) => {
    if (err instanceof ApiError) return reply.code(err.status).send(errorBody(err.status, err.code, err.message));
    const fastifyErr = err as FastifyError & { validation?: ValidationIssue[]; validationContext?: string };
    if (fastifyErr.validation && fastifyErr.validation.length > 0) {
      const message = validationMessage(fastifyErr.validationContext ?? 'request', fastifyErr.validation[0]);
      malformed(request, 'INVALID_REQUEST', message);
      return reply.code(400).send(errorBody(400, 'INVALID_REQUEST', message));
    }
    const known = fastifyErr.code ? FASTIFY_ERRORS[fastifyErr.code] : undefined;
    if (known) {
      malformed(request, known.code, fastifyErr.message);
      return reply.code(known.status).send(errorBody(known.status, known.code, fastifyErr.message));
    }
    const status = fastifyErr.statusCode && fastifyErr.statusCode >= 400 && fastifyErr.statusCode < 500 ? fastifyErr.statusCode : 500;
    if (status === 500) request.log.error({ err, url: request.url, method: request.method }, 'admin API request failed');
    return reply.code(status).send(errorBody(status, status === 500 ? 'INTERNAL' : 'BAD_REQUEST', err.message));
  });
  // Fastify's own wording: `runnel` recognises it as a route an older broker does not serve.
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody(404, 'NOT_FOUND', `Route ${request.method}:${request.url.slice(0, URL_ECHO_CHARS_MAX)} not found`)),
  );
}
