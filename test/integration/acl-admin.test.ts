// issue 15 ACLs: DescribeAcls (29), CreateAcls (30) and DeleteAcls (31) on a single-node broker
// with the authorizer on: who may manage ACLs (ALTER / DESCRIBE on the cluster), bad input
// (INVALID_REQUEST per creation or filter), the codecs over the wire, and ACLs surviving a restart.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiByKey, ApiKey } from '../../src/protocol/apis/index.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { startInProcessBroker } from '../helpers/in-process-broker.ts';
import { ANY_FILTER_WIRE, callerOf, sessionOf } from '../helpers/acl-session.ts';

const admin = sessionOf('User:admin');
const alice = sessionOf('User:alice');

/** CreateAcls creations: ALLOW READ on topic `orders` for alice (v1+ shape). */
const readOrders = { resourceType: 2, resourceName: 'orders', resourcePatternType: 3, principal: 'User:alice', host: '*', operation: 3, permissionType: 3 };
const anyFilter = ANY_FILTER_WIRE;

test('issue 15 ACLs: CreateAcls/DeleteAcls need ALTER and DescribeAcls DESCRIBE on the cluster (CLUSTER_AUTHORIZATION_FAILED); a super user has both', async () => {
  const broker = await startInProcessBroker('acl-admin-auth', (c) => {
    c.authorizer = { enabled: true, super_users: ['User:admin'] };
  });
  try {
    const call = callerOf(broker.node.services);
    const denied = await call(alice, ApiKey.CreateAcls, 3, { creations: [readOrders] });
    assert.deepEqual(
      denied.results.map((r: any) => r.errorCode),
      [ErrorCode.CLUSTER_AUTHORIZATION_FAILED],
    );
    assert.equal((await call(alice, ApiKey.DescribeAcls, 3, anyFilter)).errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    assert.equal((await call(alice, ApiKey.DeleteAcls, 3, { filters: [anyFilter] })).filterResults[0].errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    assert.deepEqual(broker.node.services.controller.state.acls(), []);

    const created = await call(admin, ApiKey.CreateAcls, 3, { creations: [readOrders] });
    assert.deepEqual(created.results, [{ errorCode: ErrorCode.NONE, errorMessage: null }]);
    // DESCRIBE on the cluster, given to alice, lets her list the ACLs but not change them.
    const describeCluster = { ...readOrders, resourceType: 4, resourceName: 'kafka-cluster', operation: 8 };
    assert.equal((await call(admin, ApiKey.CreateAcls, 3, { creations: [describeCluster] })).results[0].errorCode, ErrorCode.NONE);
    const listed = await call(alice, ApiKey.DescribeAcls, 3, anyFilter);
    assert.equal(listed.errorCode, ErrorCode.NONE);
    assert.equal(listed.resources.length, 2);
    assert.equal((await call(alice, ApiKey.CreateAcls, 3, { creations: [readOrders] })).results[0].errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  } finally {
    await broker.close();
  }
});

test('issue 15 ACLs: a creation with ANY, MATCH, UNKNOWN or an unknown resource type is INVALID_REQUEST; the valid ones in the same request are created', async () => {
  const broker = await startInProcessBroker('acl-admin-bad');
  try {
    const call = callerOf(broker.node.services);
    const bad = [
      { ...readOrders, resourceType: 1 }, // ANY
      { ...readOrders, resourceType: 42 }, // no such type
      { ...readOrders, resourcePatternType: 2 }, // MATCH
      { ...readOrders, resourcePatternType: 1 }, // ANY
      { ...readOrders, operation: 1 }, // ANY
      { ...readOrders, permissionType: 1 }, // ANY
      { ...readOrders, principal: 'alice' }, // no type
      { ...readOrders, resourceType: 4, resourceName: 'my-cluster' },
    ];
    const res = await call(alice, ApiKey.CreateAcls, 3, { creations: [...bad, readOrders] });
    assert.deepEqual(
      res.results.map((r: any) => r.errorCode),
      [...bad.map(() => ErrorCode.INVALID_REQUEST), ErrorCode.NONE],
    );
    for (const r of res.results.slice(0, -1)) assert.ok(typeof r.errorMessage === 'string' && r.errorMessage.length > 0);
    assert.equal(broker.node.services.controller.state.acls().length, 1);
    // A filter with an unknown code: INVALID_REQUEST for it, the others still apply.
    const del = await call(alice, ApiKey.DeleteAcls, 3, {
      filters: [{ ...anyFilter, patternTypeFilter: 0 }, { ...anyFilter, resourceTypeFilter: 9 }, anyFilter],
    });
    assert.deepEqual(
      del.filterResults.map((r: any) => r.errorCode),
      [ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST, ErrorCode.NONE],
    );
    assert.equal(del.filterResults[2].matchingAcls.length, 1);
    assert.equal((await call(alice, ApiKey.DescribeAcls, 3, { ...anyFilter, operation: 0 })).errorCode, ErrorCode.INVALID_REQUEST);
  } finally {
    await broker.close();
  }
});

test('issue 15 ACLs: Create, Describe and DeleteAcls over the wire at v0, v1 and v3 (v0 means LITERAL); the ACLs survive a restart', async () => {
  const broker = await startInProcessBroker('acl-admin-wire');
  try {
    const req = (key: number, v: number, body: unknown) => broker.client.request(apiByKey.get(key)!, v, body);
    const v0 = await req(ApiKey.CreateAcls, 0, { creations: [{ ...readOrders, resourceName: 'v0-topic' }] });
    assert.equal(v0.results[0].errorCode, ErrorCode.NONE);
    const v1 = await req(ApiKey.CreateAcls, 1, { creations: [{ ...readOrders, resourceName: 'app-', resourcePatternType: 4 }] });
    assert.equal(v1.results[0].errorCode, ErrorCode.NONE);
    await req(ApiKey.CreateAcls, 3, { creations: [{ ...readOrders, resourceType: 3, resourceName: 'g1', permissionType: 2 }] });

    const all = await req(ApiKey.DescribeAcls, 3, anyFilter);
    const shown = all.resources
      .map(
        (r: any) =>
          `${r.resourceType}/${r.patternType}/${r.resourceName}:${r.acls.map((a: any) => `${a.principal}@${a.host}:${a.operation}:${a.permissionType}`)}`,
      )
      .sort();
    assert.deepEqual(shown, ['2/3/v0-topic:User:alice@*:3:3', '2/4/app-:User:alice@*:3:3', '3/3/g1:User:alice@*:3:2']);
    // v0 describes LITERAL bindings only, as its filter has no pattern type.
    const literal = await req(ApiKey.DescribeAcls, 0, { ...anyFilter, resourceTypeFilter: 2 });
    assert.deepEqual(
      literal.resources.map((r: any) => r.resourceName),
      ['v0-topic'],
    );
    // MATCH: everything that applies to topic app-orders.
    const match = await req(ApiKey.DescribeAcls, 1, { ...anyFilter, resourceTypeFilter: 2, resourceNameFilter: 'app-orders', patternTypeFilter: 2 });
    assert.deepEqual(
      match.resources.map((r: any) => r.resourceName),
      ['app-'],
    );

    await broker.restart();
    const after = await broker.client.request(apiByKey.get(ApiKey.DescribeAcls)!, 3, anyFilter);
    assert.equal(after.resources.length, 3, 'the ACLs are in the node store snapshot');

    const deleted = await broker.client.request(apiByKey.get(ApiKey.DeleteAcls)!, 1, { filters: [{ ...anyFilter, resourceTypeFilter: 3 }] });
    assert.deepEqual(
      deleted.filterResults[0].matchingAcls.map((m: any) => [m.resourceName, m.patternType, m.permissionType]),
      [['g1', 3, 2]],
    );
    assert.equal(broker.node.services.controller.state.acls().length, 2);
  } finally {
    await broker.close();
  }
});
