// Issue 11 (leave / force-leave): the admin routes check their body before calling the node and
// answer with the operation's outcome (docs/cluster.md, "Leaving the cluster").

import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { buildHttpApp } from '../../../src/http/server.ts';
import type { LeaveOutcome } from '../../../src/http/cluster-leave.ts';
import { clusterStatus } from '../../helpers/node-status.ts';

function app(outcome: LeaveOutcome) {
  const calls: Array<[number | undefined, boolean]> = [];
  const built = buildHttpApp(clusterStatus, pino({ level: 'silent' }), {
    leave: async (node, force) => {
      calls.push([node, force]);
      return outcome;
    },
  });
  return { built, calls };
}

test('a bad node is a 400 naming the field, and the node is not asked', async () => {
  const { built, calls } = app({ ok: true, node: 2, state: 'leaving' });
  for (const [url, payload] of [
    ['/cluster/leave', { node: 'two' }],
    ['/cluster/leave', { node: 0 }],
    ['/cluster/force-leave', {}],
    ['/cluster/force-leave', { node: 1.5 }],
  ] as const) {
    const res = await built.inject({ method: 'POST', url, payload });
    assert.equal(res.statusCode, 400, `${url} ${JSON.stringify(payload)}`);
    assert.match(res.json<{ error: string }>().error, /^node:/);
  }
  assert.deepEqual(calls, []);
});

test('leave without a node means this broker; 202 while leaving, 200 once removed; refusals pass through', async () => {
  const leaving = app({ ok: true, node: 3, state: 'leaving' });
  const res = await leaving.built.inject({ method: 'POST', url: '/cluster/leave', payload: {} });
  assert.equal(res.statusCode, 202);
  assert.deepEqual(res.json(), { node: 3, state: 'leaving' });
  assert.deepEqual(leaving.calls, [[undefined, false]]);
  const removed = app({ ok: true, node: 2, state: 'removed' });
  const again = await removed.built.inject({ method: 'POST', url: '/cluster/force-leave', payload: { node: 2 } });
  assert.equal(again.statusCode, 200);
  assert.deepEqual(removed.calls, [[2, true]]);
  const refused = app({ ok: false, status: 409, error: 'node: broker 2 is connected' });
  const conflict = await refused.built.inject({ method: 'POST', url: '/cluster/force-leave', payload: { node: 2 } });
  assert.equal(conflict.statusCode, 409);
  assert.deepEqual(conflict.json(), { error: 'node: broker 2 is connected' });
});
