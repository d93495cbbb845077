// issue 15 ACLs: `runnel acl create|list|delete` (run in-process through runRunnel, as ./runnel
// runs it) and the SDK Admin's createAcls/describeAcls/deleteAcls against one broker with the
// authorizer on: the super user manages ACLs, another principal is refused (exit 1 naming
// CLUSTER_AUTHORIZATION_FAILED), usage mistakes exit 2.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin } from '../../src/client/admin/admin.ts';
import { ApiKey } from '../../src/protocol/apis/index.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { runnelInProcess } from '../helpers/runnel-in-process.ts';
import { startInProcessBroker, type InProcessBroker } from '../helpers/in-process-broker.ts';
import { ANY_FILTER_WIRE, callerOf, sessionOf } from '../helpers/acl-session.ts';
import { ANY_ACL } from '../../src/security/acl.ts';

let broker: InProcessBroker;
let env: NodeJS.ProcessEnv;

before(async () => {
  // Until SASL lands in this branch the CLI connects as User:ANONYMOUS: it is the super user here.
  broker = await startInProcessBroker('runnel-acl', (c) => {
    c.authorizer = { enabled: true, super_users: ['User:ANONYMOUS'] };
  });
  env = { RUNNEL_BOOTSTRAP: `127.0.0.1:${broker.node.port}` };
});

after(async () => {
  await broker.close();
});

test('runnel acl create/list/delete manage the bindings the broker then enforces', async () => {
  const created = await runnelInProcess(['acl', 'create', '--principal', 'User:alice', '--operation', 'read,describe', '--topic', 'orders'], env);
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /created 2 ACL\(s\)/);
  const prefixed = await runnelInProcess(['acl', 'create', '--principal', 'User:alice', '--operation', 'READ', '--group', 'app-', '--prefixed', '--deny'], env);
  assert.equal(prefixed.code, 0, prefixed.stderr);

  const listed = await runnelInProcess(['acl', 'list', '--json'], env);
  assert.equal(listed.code, 0, listed.stderr);
  const bindings = JSON.parse(listed.stdout) as Array<{ resourceType: string; operation: string; permission: string; patternType: string }>;
  assert.deepEqual(bindings.map((b) => `${b.resourceType}:${b.patternType}:${b.operation}:${b.permission}`).sort(), [
    'GROUP:PREFIXED:READ:DENY',
    'TOPIC:LITERAL:DESCRIBE:ALLOW',
    'TOPIC:LITERAL:READ:ALLOW',
  ]);
  const table = await runnelInProcess(['acl', 'list', '--topic', 'orders'], env);
  assert.match(table.stdout, /PRINCIPAL\s+HOST\s+PERMISSION/);
  assert.equal(table.stdout.trim().split('\n').length, 3, table.stdout);

  // The broker enforces what the CLI created: alice may describe topic orders, not write it.
  const call = callerOf(broker.node.services);
  const metadata = await call(sessionOf('User:alice'), ApiKey.Metadata, 12, {
    topics: [{ topicId: Buffer.alloc(16), name: 'orders' }],
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
  assert.equal(metadata.topics[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'allowed to describe: told it does not exist');

  const deleted = await runnelInProcess(['acl', 'delete', '--principal', 'User:alice', '--topic', 'orders', '--operation', 'READ'], env);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.match(deleted.stdout, /deleted 1 ACL\(s\)/);
  assert.equal(broker.node.services.controller.state.acls().length, 2);
});

test('runnel acl: usage mistakes exit 2 naming the flag', async () => {
  const noResource = await runnelInProcess(['acl', 'create', '--principal', 'User:a', '--operation', 'READ'], env);
  assert.equal(noResource.code, 2);
  assert.match(noResource.stderr, /--topic T, --group G/);
  const badOp = await runnelInProcess(['acl', 'create', '--principal', 'User:a', '--operation', 'FLY', '--topic', 't'], env);
  assert.equal(badOp.code, 2);
  assert.match(badOp.stderr, /--operation: "FLY"/);
  const badPrincipal = await runnelInProcess(['acl', 'create', '--principal', 'alice', '--operation', 'READ', '--topic', 't'], env);
  assert.equal(badPrincipal.code, 2);
  const everything = await runnelInProcess(['acl', 'delete'], env);
  assert.equal(everything.code, 2, 'deleting every ACL needs a filter');
});

test('SDK Admin: createAcls/describeAcls/deleteAcls round-trip; a principal without ALTER on the cluster is refused', async () => {
  const admin = new Admin({ bootstrap: [`127.0.0.1:${broker.node.port}`] });
  try {
    const binding = {
      resourceType: 'TOPIC',
      resourceName: 'sdk-',
      patternType: 'PREFIXED',
      principal: 'User:bob',
      host: '10.0.0.7',
      operation: 'WRITE',
      permission: 'ALLOW',
    } as const;
    await admin.createAcls([binding]);
    const found = await admin.describeAcls({ ...ANY_ACL, principal: 'User:bob' });
    assert.deepEqual(found, [binding]);
    const deleted = await admin.deleteAcls([{ ...ANY_ACL, principal: 'User:bob' }]);
    assert.deepEqual(deleted, [binding]);
    await assert.rejects(admin.createAcls([{ ...binding, principal: 'bob' }]), /INVALID_REQUEST/);
  } finally {
    await admin.close();
  }
  const call = callerOf(broker.node.services);
  const creation = { resourceType: 2, resourceName: 't', resourcePatternType: 3, principal: 'User:bob', host: '*', operation: 3, permissionType: 3 };
  const refused = await call(sessionOf('User:bob'), ApiKey.CreateAcls, 3, { creations: [creation] });
  assert.equal(refused.results[0].errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  const describe = await call(sessionOf('User:bob'), ApiKey.DescribeAcls, 3, ANY_FILTER_WIRE);
  assert.equal(describe.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
});
