// issue 11 (join): POST /cluster/join hands a manual-mode node a member's address; bad bodies are
// 400 naming the field, the operation's refusals keep their status, a node without the operation
// (single node) does not serve the route.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { buildHttpApp } from '../../../src/http/server.ts';
import { AdminRequestError } from '../../../src/http/cluster-join.ts';
import { clusterStatus } from '../../helpers/node-status.ts';

const logger = pino({ level: 'silent' });

test('POST /cluster/join: 202 while joining, 200 when a member already; the address reaches the operation', async () => {
  const asked: string[] = [];
  const app = buildHttpApp(clusterStatus, logger, {
    join: (address) => {
      asked.push(address);
      return { member: asked.length > 1 };
    },
  });
  try {
    let res = await app.inject({ method: 'POST', url: '/cluster/join', payload: { address: '127.0.0.1:9192' } });
    assert.equal(res.statusCode, 202);
    assert.deepEqual(res.json(), { address: '127.0.0.1:9192', member: false });
    res = await app.inject({ method: 'POST', url: '/cluster/join', payload: { address: '127.0.0.1:9193' } });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(asked, ['127.0.0.1:9192', '127.0.0.1:9193']);
  } finally {
    await app.close();
  }
});

test('POST /cluster/join: a body without a string address is 400 naming the field; a refusal keeps its status and message', async () => {
  const app = buildHttpApp(clusterStatus, logger, {
    join: (address) => {
      throw new AdminRequestError(`refused ${address}`, 409);
    },
  });
  try {
    for (const payload of [{}, { address: 7 }, { address: '' }, { address: 'x'.repeat(301) }]) {
      const res = await app.inject({ method: 'POST', url: '/cluster/join', payload });
      assert.equal(res.statusCode, 400, JSON.stringify(payload));
      assert.match(res.json().error, /^address: /);
    }
    const bad = await app.inject({ method: 'POST', url: '/cluster/join', headers: { 'content-type': 'application/json' }, payload: '{not json' });
    assert.equal(bad.statusCode, 400);
    const res = await app.inject({ method: 'POST', url: '/cluster/join', payload: { address: 'h:1' } });
    assert.equal(res.statusCode, 409);
    assert.deepEqual(res.json(), { error: 'refused h:1' });
  } finally {
    await app.close();
  }
});

test('POST /cluster/join is not served without the operation (a single node)', async () => {
  const app = buildHttpApp(clusterStatus, logger);
  try {
    assert.equal((await app.inject({ method: 'POST', url: '/cluster/join', payload: { address: 'h:1' } })).statusCode, 404);
  } finally {
    await app.close();
  }
});
