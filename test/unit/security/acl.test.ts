// The ACL matcher against Kafka's authorizer rules (its StandardAuthorizer / AclAuthorizer and
// KIP-290 for prefixed patterns), one rule per test.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ANY_ACL,
  AclIndex,
  bindingFromWire,
  bindingToWire,
  filterFromWire,
  filterMatches,
  type AclBinding,
  type AclFilter,
} from '../../../src/security/acl.ts';

const alice = { principal: 'User:alice', host: '10.0.0.1' };
const bob = { principal: 'User:bob', host: '10.0.0.2' };

function acl(partial: Partial<AclBinding>): AclBinding {
  return {
    resourceType: 'TOPIC',
    resourceName: 'orders',
    patternType: 'LITERAL',
    principal: 'User:alice',
    host: '*',
    operation: 'READ',
    permission: 'ALLOW',
    ...partial,
  };
}

test('Kafka authorizer: no binding applies = denied (allow.everyone.if.no.acl.found=false)', () => {
  const index = new AclIndex([], []);
  assert.equal(index.allowed(alice, 'READ', 'TOPIC', 'orders'), false);
});

test('Kafka authorizer: a LITERAL binding applies to its name only; PREFIXED to every name with the prefix (KIP-290)', () => {
  const index = new AclIndex([acl({ resourceName: 'orders' }), acl({ resourceName: 'logs-', patternType: 'PREFIXED' })], []);
  assert.equal(index.allowed(alice, 'READ', 'TOPIC', 'orders'), true);
  assert.equal(index.allowed(alice, 'READ', 'TOPIC', 'orders2'), false);
  assert.equal(index.allowed(alice, 'READ', 'TOPIC', 'logs-app'), true);
  assert.equal(index.allowed(alice, 'READ', 'TOPIC', 'logs-'), true);
  assert.equal(index.allowed(alice, 'READ', 'TOPIC', 'log'), false);
  // The type is part of the resource: a topic binding says nothing about a group of that name.
  assert.equal(index.allowed(alice, 'READ', 'GROUP', 'orders'), false);
});

test('Kafka authorizer: the LITERAL name * covers every resource of its type; a PREFIXED "*" is a prefix like any other', () => {
  const index = new AclIndex([acl({ resourceName: '*' }), acl({ resourceType: 'GROUP', resourceName: '*', patternType: 'PREFIXED' })], []);
  assert.equal(index.allowed(alice, 'READ', 'TOPIC', 'anything'), true);
  assert.equal(index.allowed(alice, 'READ', 'GROUP', 'g1'), false);
  assert.equal(index.allowed(alice, 'READ', 'GROUP', '*g1'), true);
});

test('Kafka authorizer: principal User:* matches every principal, host * every host; otherwise both must be equal', () => {
  const index = new AclIndex(
    [
      acl({ principal: 'User:*', resourceName: 'public' }),
      acl({ host: '10.0.0.1', resourceName: 'pinned' }),
      acl({ principal: 'User:bob', host: '*', resourceName: 'bobs' }),
    ],
    [],
  );
  assert.equal(index.allowed(alice, 'READ', 'TOPIC', 'public'), true);
  assert.equal(index.allowed(bob, 'READ', 'TOPIC', 'public'), true);
  assert.equal(index.allowed(alice, 'READ', 'TOPIC', 'pinned'), true);
  assert.equal(index.allowed({ ...alice, host: '10.0.0.9' }, 'READ', 'TOPIC', 'pinned'), false);
  assert.equal(index.allowed(alice, 'READ', 'TOPIC', 'bobs'), false);
  assert.equal(index.allowed(bob, 'READ', 'TOPIC', 'bobs'), true);
});

test('Kafka authorizer: DENY wins over ALLOW, whichever pattern each comes from; a DENY of ALL denies every operation', () => {
  const index = new AclIndex(
    [
      acl({ resourceName: '*', operation: 'ALL' }),
      acl({ resourceName: 'secret-', patternType: 'PREFIXED', permission: 'DENY', operation: 'READ' }),
      acl({ resourceName: 'vault', permission: 'DENY', operation: 'ALL' }),
    ],
    [],
  );
  assert.equal(index.allowed(alice, 'READ', 'TOPIC', 'secret-plans'), false);
  assert.equal(index.allowed(alice, 'WRITE', 'TOPIC', 'secret-plans'), true, 'the DENY is of READ only');
  for (const op of ['READ', 'WRITE', 'DESCRIBE', 'DELETE'] as const) assert.equal(index.allowed(alice, op, 'TOPIC', 'vault'), false, op);
  assert.equal(index.allowed(alice, 'DELETE', 'TOPIC', 'other'), true);
});

test('Kafka authorizer: ALL allows every operation of the resource', () => {
  const index = new AclIndex([acl({ operation: 'ALL' })], []);
  for (const op of ['READ', 'WRITE', 'CREATE', 'DELETE', 'ALTER', 'DESCRIBE', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS'] as const) {
    assert.equal(index.allowed(alice, op, 'TOPIC', 'orders'), true, op);
  }
});

test('Kafka authorizer: READ, WRITE, DELETE and ALTER imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS; nothing else is implied', () => {
  for (const op of ['READ', 'WRITE', 'DELETE', 'ALTER'] as const) {
    const index = new AclIndex([acl({ operation: op })], []);
    assert.equal(index.allowed(alice, 'DESCRIBE', 'TOPIC', 'orders'), true, `${op} implies DESCRIBE`);
  }
  const configs = new AclIndex([acl({ operation: 'ALTER_CONFIGS' })], []);
  assert.equal(configs.allowed(alice, 'DESCRIBE_CONFIGS', 'TOPIC', 'orders'), true);
  assert.equal(configs.allowed(alice, 'DESCRIBE', 'TOPIC', 'orders'), false);
  const create = new AclIndex([acl({ operation: 'CREATE' })], []);
  assert.equal(create.allowed(alice, 'DESCRIBE', 'TOPIC', 'orders'), false);
  const describe = new AclIndex([acl({ operation: 'DESCRIBE' })], []);
  assert.equal(describe.allowed(alice, 'READ', 'TOPIC', 'orders'), false, 'DESCRIBE implies nothing');
  // A DENY of DESCRIBE does not deny READ (Kafka implies only for ALLOW).
  const denyDescribe = new AclIndex([acl({ operation: 'READ' }), acl({ operation: 'DESCRIBE', permission: 'DENY' })], []);
  assert.equal(denyDescribe.allowed(alice, 'READ', 'TOPIC', 'orders'), true);
  assert.equal(denyDescribe.allowed(alice, 'DESCRIBE', 'TOPIC', 'orders'), false);
});

test('Kafka authorizer: a super user is allowed everything, even against a DENY', () => {
  const index = new AclIndex([acl({ principal: 'User:admin', operation: 'ALL', permission: 'DENY', resourceName: '*' })], ['User:admin']);
  assert.equal(index.allowed({ principal: 'User:admin', host: '1.2.3.4' }, 'DELETE', 'TOPIC', 'orders'), true);
  assert.equal(index.allowed({ principal: 'User:admin', host: '1.2.3.4' }, 'ALTER', 'CLUSTER', 'kafka-cluster'), true);
  assert.equal(index.allowed(alice, 'READ', 'TOPIC', 'orders'), false);
});

const wire = { resourceType: 2, resourceName: 'orders', resourcePatternType: 3, principal: 'User:alice', host: '*', operation: 3, permissionType: 3 };
const filterWire = {
  resourceTypeFilter: 2,
  resourceNameFilter: 'orders',
  patternTypeFilter: 3,
  principalFilter: null,
  hostFilter: null,
  operation: 3,
  permissionType: 3,
};

test('CreateAcls: a binding from wire codes round-trips; ANY, MATCH and UNKNOWN are refused in a binding', () => {
  const parsed = bindingFromWire(wire);
  assert.ok(parsed.ok);
  const { resourcePatternType, ...rest } = wire;
  assert.deepEqual(bindingToWire(parsed.value), { ...rest, patternType: resourcePatternType });
  for (const bad of [
    { resourceType: 1 },
    { resourceType: 0 },
    { resourceType: 99 },
    { resourcePatternType: 1 },
    { resourcePatternType: 2 },
    { operation: 1 },
    { permissionType: 1 },
    { principal: 'alice' },
    { host: '' },
    { resourceName: '' },
    { resourceType: 4, resourceName: 'other' },
    { resourceType: 3, operation: 4 },
  ]) {
    const result = bindingFromWire({ ...wire, ...bad });
    assert.equal(result.ok, false, JSON.stringify(bad));
  }
  assert.ok(bindingFromWire({ ...wire, resourceType: 4, resourceName: 'kafka-cluster', operation: 7 }).ok);
});

test('DescribeAcls/DeleteAcls filters: ANY and null match everything; LITERAL/PREFIXED match exactly; MATCH finds what applies to a name', () => {
  const bindings = [
    acl({ resourceName: 'orders' }),
    acl({ resourceName: 'ord', patternType: 'PREFIXED' }),
    acl({ resourceName: '*' }),
    acl({ resourceType: 'GROUP', resourceName: 'orders' }),
  ];
  const pick = (f: Partial<AclFilter>) => {
    const filter: AclFilter = { ...ANY_ACL, ...f };
    return bindings.filter((b) => filterMatches(filter, b)).map((b) => `${b.resourceType}:${b.patternType}:${b.resourceName}`);
  };
  assert.equal(pick({}).length, 4);
  assert.deepEqual(pick({ resourceType: 'TOPIC', resourceName: 'orders' }), ['TOPIC:LITERAL:orders']);
  assert.deepEqual(pick({ resourceType: 'TOPIC', patternType: 'PREFIXED' }), ['TOPIC:PREFIXED:ord']);
  assert.deepEqual(pick({ resourceType: 'TOPIC', patternType: 'LITERAL', resourceName: 'ord' }), []);
  assert.deepEqual(pick({ resourceType: 'TOPIC', patternType: 'MATCH', resourceName: 'orders' }), [
    'TOPIC:LITERAL:orders',
    'TOPIC:PREFIXED:ord',
    'TOPIC:LITERAL:*',
  ]);
  assert.deepEqual(pick({ principal: 'User:bob' }), []);
  assert.ok(filterFromWire({ ...filterWire, resourceTypeFilter: 1, patternTypeFilter: 1, operation: 1, permissionType: 1 }).ok);
  assert.ok(filterFromWire({ ...filterWire, patternTypeFilter: 2 }).ok);
  assert.equal(filterFromWire({ ...filterWire, patternTypeFilter: 0 }).ok, false);
  assert.equal(filterFromWire({ ...filterWire, resourceTypeFilter: 0 }).ok, false);
  assert.equal(filterFromWire({ ...filterWire, permissionType: 0 }).ok, false);
});
