// Issue 14: the admin API's refusals (src/http/api-errors.ts) are JSON {error, message} with the
// status that fits, whatever refused them (a route, fastify's body parser, the router), and a
// malformed request is logged once per kind and client a minute, not once per request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { buildHttpApp } from '../../../src/http/server.ts';
import { kafkaError } from '../../../src/http/api-errors.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { clusterStatus } from '../../helpers/node-status.ts';

function capturingLogger(): { logger: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return {
    logger: pino({ level: 'info' }, sink),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

test('issue 14: Kafka errors map to HTTP statuses by kind, with the Kafka name as the code', () => {
  const cases: Array<[number, number]> = [
    [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 404],
    [ErrorCode.TOPIC_ALREADY_EXISTS, 409],
    [ErrorCode.NON_EMPTY_GROUP, 409],
    [ErrorCode.NOT_COORDINATOR, 421],
    [ErrorCode.NOT_CONTROLLER, 503],
    [ErrorCode.KAFKA_STORAGE_ERROR, 507],
    [ErrorCode.INVALID_PARTITIONS, 400],
    [ErrorCode.INVALID_CONFIG, 400],
  ];
  for (const [code, status] of cases) {
    const err = kafkaError(code, 'why');
    assert.equal(err.status, status, err.code);
    assert.equal(err.message, 'why');
  }
  assert.equal(kafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, null).code, 'TOPIC_ALREADY_EXISTS');
});

test('issue 14: malformed JSON, a wrong media type and an unknown route answer {error, message}; bad input is logged once', async () => {
  const { logger, lines } = capturingLogger();
  const app = buildHttpApp(clusterStatus, logger, { join: () => ({ member: true }) });
  try {
    const bad = () => app.inject({ method: 'POST', url: '/v1/cluster/join', payload: '{"address":', headers: { 'content-type': 'application/json' } });
    for (let i = 0; i < 3; i++) {
      const res = await bad();
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().error, 'INVALID_JSON');
      assert.equal(typeof res.json().message, 'string');
    }
    const refused = lines().filter((l) => l.msg === 'admin API request refused');
    assert.equal(refused.length, 1, 'three malformed requests from one client: one line');
    assert.equal(refused[0].error, 'INVALID_JSON');
    const form = await app.inject({ method: 'POST', url: '/cluster/join', payload: 'a=b', headers: { 'content-type': 'text/csv' } });
    assert.equal(form.statusCode, 415);
    assert.equal(form.json().error, 'UNSUPPORTED_MEDIA_TYPE');
    const missing = await app.inject({ method: 'GET', url: '/v1/nothing' });
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(missing.json(), { error: 'NOT_FOUND', message: 'Route GET:/v1/nothing not found', statusCode: 404 });
    // The legacy route and its /v1 alias answer alike.
    const [legacy, v1] = await Promise.all(
      ['/cluster/join', '/v1/cluster/join'].map((url) => app.inject({ method: 'POST', url, payload: { address: '10.0.0.1:9192' } })),
    );
    assert.deepEqual(v1.json(), legacy.json());
    assert.equal(v1.statusCode, 200);
  } finally {
    await app.close();
  }
});
