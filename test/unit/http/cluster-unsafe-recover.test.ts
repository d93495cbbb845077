// POST /cluster/unsafe-recover (issue 11 part 4): the body is checked (errors name the field),
// the operation the node layer passes in decides the answer, and a single node does not serve it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { buildHttpApp } from '../../../src/http/server.ts';
import { parseUnsafeRecoverBody, type UnsafeRecoverRequest } from '../../../src/http/cluster-unsafe-recover.ts';
import { clusterStatus } from '../../helpers/node-status.ts';

const silent = pino({ level: 'silent' });

test('issue 11 unsafe-recover: bad bodies are refused naming the field', () => {
  assert.deepEqual(parseUnsafeRecoverBody({ group: 'orders-0' }), { group: 'orders-0' });
  assert.deepEqual(parseUnsafeRecoverBody({ node: 3 }), { node: 3 });
  const cases: Array<[unknown, RegExp]> = [
    [null, /JSON object/],
    [[1], /JSON object/],
    [{}, /"group".*"node"/],
    [{ group: '' }, /"group"/],
    [{ group: 7 }, /"group"/],
    [{ node: 0 }, /"node"/],
    [{ node: 1.5 }, /"node"/],
    [{ node: '2' }, /"node"/],
    [{ group: 'a', node: 2 }, /not both/],
    [{ groups: 'a' }, /unknown field "groups"/],
  ];
  for (const [body, error] of cases) {
    const r = parseUnsafeRecoverBody(body);
    assert.ok('error' in r, JSON.stringify(body));
    assert.match(r.error, error, JSON.stringify(body));
  }
});

test('issue 11 unsafe-recover: the route passes a valid request on and answers with its outcome; not served without cluster mode', async () => {
  const seen: UnsafeRecoverRequest[] = [];
  const app = buildHttpApp(clusterStatus, silent, {
    unsafeRecover: async (request) => {
      seen.push(request);
      return { status: 200, body: { node: 1, groups: [{ group: '__metadata', outcome: 'recovered' }] } };
    },
  });
  const ok = await app.inject({ method: 'POST', url: '/cluster/unsafe-recover', payload: { node: 2 } });
  assert.equal(ok.statusCode, 200);
  assert.deepEqual(ok.json(), { node: 1, groups: [{ group: '__metadata', outcome: 'recovered' }] });
  assert.deepEqual(seen, [{ node: 2 }]);
  const bad = await app.inject({ method: 'POST', url: '/cluster/unsafe-recover', payload: { node: -1 } });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.json().error, /"node"/);
  assert.equal(seen.length, 1, 'a bad request never reaches the operation');
  await app.close();
  const single = buildHttpApp(clusterStatus, silent);
  const refused = await single.inject({ method: 'POST', url: '/cluster/unsafe-recover', payload: { node: 2 } });
  assert.equal(refused.statusCode, 404);
  await single.close();
});
