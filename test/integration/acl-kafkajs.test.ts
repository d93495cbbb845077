// issue 15 ACLs: KafkaJS's admin createAcls / describeAcls / deleteAcls (CreateAcls, DescribeAcls,
// DeleteAcls v0-v1 as KafkaJS speaks them) against a running broker, and a KafkaJS producer
// refused with TOPIC_AUTHORIZATION_FAILED until an ACL allows it. KafkaJS connects on the
// PLAINTEXT listener, so its principal is User:ANONYMOUS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs, { Kafka, logLevel } from 'kafkajs';
import { startInProcessBroker } from '../helpers/in-process-broker.ts';

// KafkaJS's enums are not named exports of its CommonJS module under ESM.
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

test('KafkaJS admin manages ACLs; its producer is refused until an ACL allows WRITE', async () => {
  const broker = await startInProcessBroker('acl-kafkajs', (c) => {
    c.authorizer = { enabled: true, super_users: [] };
  });
  const kafka = new Kafka({ clientId: 'acl-kafkajs', brokers: [`127.0.0.1:${broker.node.port}`], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false, retry: { retries: 0 } });
  try {
    // Bootstrapping: with no super user, the first ACLs (ALL on the cluster, DESCRIBE on the
    // topic, which ALL on the cluster does not give) are created directly in the metadata.
    const anonymous = { patternType: 'LITERAL', principal: 'User:ANONYMOUS', host: '*', permission: 'ALLOW' } as const;
    await broker.node.services.controller.propose({
      type: 'createAcls',
      bindings: [
        { ...anonymous, resourceType: 'CLUSTER', resourceName: 'kafka-cluster', operation: 'ALL' },
        { ...anonymous, resourceType: 'TOPIC', resourceName: 'kjs', operation: 'DESCRIBE' },
      ],
    });
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'kjs', numPartitions: 1 }] });
    const writeKjs = {
      resourceType: AclResourceTypes.TOPIC,
      resourceName: 'kjs',
      resourcePatternType: ResourcePatternTypes.LITERAL,
      principal: 'User:ANONYMOUS',
      host: '*',
      operation: AclOperationTypes.WRITE,
      permissionType: AclPermissionTypes.ALLOW,
    };
    await producer.connect();
    await assert.rejects(producer.send({ topic: 'kjs', messages: [{ value: 'x' }] }), /not authorized|TOPIC_AUTHORIZATION_FAILED/i);

    assert.equal(await admin.createAcls({ acl: [writeKjs] }), true);
    const described = await admin.describeAcls({
      resourceType: AclResourceTypes.TOPIC,
      resourcePatternType: ResourcePatternTypes.ANY,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    });
    assert.deepEqual(
      described.resources.map((r) => [r.resourceName, r.acls.map((a) => a.operation)]),
      [['kjs', [AclOperationTypes.DESCRIBE, AclOperationTypes.WRITE]]],
    );
    const [sent] = await producer.send({ topic: 'kjs', messages: [{ value: 'x' }] });
    assert.equal(sent!.errorCode, 0);

    const deleted = await admin.deleteAcls({
      filters: [
        {
          resourceType: AclResourceTypes.TOPIC,
          resourceName: 'kjs',
          resourcePatternType: ResourcePatternTypes.LITERAL,
          operation: AclOperationTypes.ANY,
          permissionType: AclPermissionTypes.ANY,
        },
      ],
    });
    assert.equal(deleted.filterResponses[0]!.matchingAcls.length, 2);
    await assert.rejects(producer.send({ topic: 'kjs', messages: [{ value: 'y' }] }), /not authorized|TOPIC_AUTHORIZATION_FAILED/i);
  } finally {
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
    await broker.close();
  }
});
