// GET /openapi.json: an OpenAPI 3 document generated from the route schemas fastify validates
// with, so the document cannot drift from what the server accepts. A route takes part when its
// schema has a `summary`; `:name` path parameters become `{name}`. Our own few lines instead of
// @fastify/swagger: the routes already carry JSON Schema, and the document needs nothing more
// than a walk over them (no new dependency).

import type { RouteOptions } from 'fastify';
import type { HttpApp } from './server.ts';

interface RouteSchema {
  summary?: string;
  description?: string;
  tags?: string[];
  params?: Record<string, unknown>;
  querystring?: Record<string, unknown>;
  body?: Record<string, unknown>;
  response?: Record<string, Record<string, unknown>>;
}

type Operation = Record<string, unknown>;

/** The error body every route may answer with (api-errors.ts). */
export const errorSchema = {
  type: 'object',
  required: ['error', 'message'],
  properties: { error: { type: 'string' }, message: { type: 'string' }, statusCode: { type: 'integer' } },
} as const;

function parametersOf(location: 'path' | 'query', schema: Record<string, unknown> | undefined): Operation[] {
  const properties = (schema?.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set((schema?.required ?? []) as string[]);
  return Object.entries(properties).map(([name, s]) => ({ name, in: location, required: location === 'path' || required.has(name), schema: s }));
}

function operationOf(schema: RouteSchema): Operation {
  const responses: Record<string, unknown> = {};
  for (const [status, body] of Object.entries(schema.response ?? {})) {
    responses[status] = { description: String(body.description ?? `HTTP ${status}`), content: { 'application/json': { schema: body } } };
  }
  responses.default = { description: 'an error: {error, message}', content: { 'application/json': { schema: errorSchema } } };
  return {
    summary: schema.summary,
    ...(schema.description && { description: schema.description }),
    ...(schema.tags && { tags: schema.tags }),
    parameters: [...parametersOf('path', schema.params), ...parametersOf('query', schema.querystring)],
    ...(schema.body && { requestBody: { required: true, content: { 'application/json': { schema: schema.body } } } }),
    responses,
  };
}

/** Collects the routes as they are registered; call before registering any. */
export function registerOpenApi(app: HttpApp, info: { title: string; version: string }): void {
  const paths: Record<string, Record<string, Operation>> = {};
  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = route.schema as RouteSchema | undefined;
    if (!schema?.summary) return;
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      paths[path] ??= {};
      paths[path][method.toLowerCase()] = operationOf(schema);
    }
  });
  app.get('/openapi.json', async () => ({ openapi: '3.0.3', info, paths }));
}
