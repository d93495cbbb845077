// ACL bindings in the metadata state machine: createAcls/deleteAcls, the snapshot (which both
// the single node's node store and the cluster's __metadata snapshots are), and determinism
// (every broker of a cluster applies the same commands and must hold the same ACLs).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACL_BINDINGS_MAX, MetadataState, type MetadataCommand } from '../../../src/metadata/metadata-state.ts';
import { ANY_ACL, type AclBinding, type AclFilter } from '../../../src/security/acl.ts';

const read: AclBinding = {
  resourceType: 'TOPIC',
  resourceName: 'orders',
  patternType: 'LITERAL',
  principal: 'User:alice',
  host: '*',
  operation: 'READ',
  permission: 'ALLOW',
};
const write: AclBinding = { ...read, operation: 'WRITE' };
const group: AclBinding = { ...read, resourceType: 'GROUP', resourceName: 'app-', patternType: 'PREFIXED' };
const any: AclFilter = ANY_ACL;

const fresh = () => new MetadataState({ clusterId: 'c', brokers: [], topics: [] });

test('issue 15 ACLs: createAcls adds bindings once (a repeat changes nothing); deleteAcls removes what its filters match', () => {
  const state = fresh();
  const v0 = state.aclVersion;
  assert.deepEqual(state.apply({ type: 'createAcls', bindings: [read, write, group] }), { ok: true });
  assert.equal(state.acls().length, 3);
  assert.ok(state.aclVersion > v0);
  const v1 = state.aclVersion;
  assert.deepEqual(state.apply({ type: 'createAcls', bindings: [read] }), { ok: true });
  assert.equal(state.acls().length, 3);
  assert.equal(state.aclVersion, v1, 'nothing changed: the decisions cached stay good');
  assert.deepEqual(state.apply({ type: 'deleteAcls', filters: [{ ...any, resourceType: 'TOPIC', operation: 'WRITE' }] }), { ok: true });
  assert.deepEqual(
    state.acls().map((b) => `${b.resourceType}:${b.operation}`),
    ['GROUP:READ', 'TOPIC:READ'],
  );
  assert.deepEqual(state.apply({ type: 'deleteAcls', filters: [any] }), { ok: true });
  assert.deepEqual(state.acls(), []);
});

test('issue 15 ACLs: a bad binding or filter in a command fails the command and changes nothing (bad input never crashes)', () => {
  const state = fresh();
  const bad: unknown[] = [
    { type: 'createAcls', bindings: [read, { ...read, permission: 'ANY' }] },
    { type: 'createAcls', bindings: [{ ...read, resourceType: 'CLUSTER', resourceName: 'x' }] },
    { type: 'createAcls', bindings: [null] },
    { type: 'createAcls', bindings: 'x' },
    { type: 'deleteAcls', filters: [{ ...any, patternType: 'BOGUS' }] },
    { type: 'deleteAcls', filters: [{ ...any, principal: 7 }] },
  ];
  for (const command of bad) {
    const result = state.apply(command as MetadataCommand);
    assert.equal(result.ok, false, JSON.stringify(command));
    assert.equal(!result.ok && result.error, 'INVALID_REQUEST');
  }
  assert.deepEqual(state.acls(), []);
});

test(`issue 15 ACLs: the cluster holds at most ${ACL_BINDINGS_MAX} bindings (everything that grows is bounded)`, () => {
  const state = fresh();
  for (let i = 0; i < ACL_BINDINGS_MAX; i += 1000) {
    const bindings = Array.from({ length: 1000 }, (_, j) => ({ ...read, resourceName: `t${i + j}` }));
    assert.deepEqual(state.apply({ type: 'createAcls', bindings }), { ok: true });
  }
  const over = state.apply({ type: 'createAcls', bindings: [{ ...read, resourceName: 'one-more' }] });
  assert.equal(over.ok, false);
  assert.equal(state.acls().length, ACL_BINDINGS_MAX);
});

test('issue 15 ACLs: bindings are in the snapshot and restore from it (single node restart, cluster snapshot install)', () => {
  const state = fresh();
  state.apply({ type: 'createAcls', bindings: [write, group, read] });
  const json = state.snapshotJson();
  const restored = new MetadataState(JSON.parse(json));
  assert.deepEqual(restored.acls(), state.acls());
  // A damaged entry in a snapshot is left out, the others load.
  const damaged = JSON.parse(json);
  damaged.acls.push({ ...read, operation: 'FLY' }, 'junk');
  assert.equal(new MetadataState(damaged).acls().length, 3);
  // A snapshot written before ACLs existed has none.
  assert.deepEqual(new MetadataState({ clusterId: 'c', brokers: [], topics: [] }).acls(), []);
});

test('issue 15 ACLs: two brokers applying the same commands hold the same ACLs and the same snapshot (replication)', () => {
  const commands: MetadataCommand[] = [
    { type: 'createAcls', bindings: [read, group] },
    { type: 'createAcls', bindings: [write] },
    { type: 'deleteAcls', filters: [{ ...any, resourceType: 'GROUP', patternType: 'MATCH', resourceName: 'app-1' }] },
  ];
  const a = fresh();
  const b = fresh();
  for (const command of commands) {
    a.apply(structuredClone(command));
    b.apply(JSON.parse(JSON.stringify(command)));
  }
  assert.equal(a.snapshotJson(), b.snapshotJson());
  assert.deepEqual(
    a.acls().map((x) => x.operation),
    ['READ', 'WRITE'],
  );
});
