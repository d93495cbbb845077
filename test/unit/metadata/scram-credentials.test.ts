// issue 15 "credentials stored salted and hashed in the metadata state (replicated; never in
// logs)": the alterScramCredentials command, its snapshot and its JSON round trip (how cluster
// mode carries commands and snapshots), and the single node's saved state.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { MetadataState, type MetadataCommand } from '../../../src/metadata/metadata-state.ts';
import { toRecord } from '../../../src/metadata/scram-credentials.ts';
import { credentialFromPassword, verifyPassword } from '../../../src/security/credentials.ts';
import { decodeMetadataSnapshot, encodeMetadataSnapshot } from '../../../src/controller/metadata-group.ts';
import { NodeStore } from '../../../src/controller/node-store.ts';
import { LocalController } from '../../../src/controller/local-controller.ts';

function upsert(user: string, password: string, mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512' = 'SCRAM-SHA-512', iterations = 4096) {
  return toRecord(user, credentialFromPassword(mechanism, password, Buffer.from(`salt-${user}`), iterations));
}

function emptyState(): MetadataState {
  return new MetadataState({ clusterId: 'c', brokers: [], topics: [] });
}

test('issue 15: alterScramCredentials sets, replaces and deletes credentials; scramUsers lists them', () => {
  const state = emptyState();
  const set: MetadataCommand = {
    type: 'alterScramCredentials',
    deletions: [],
    upsertions: [upsert('alice', 'a1'), upsert('alice', 'a1', 'SCRAM-SHA-256', 8192), upsert('bob', 'b1')],
  };
  assert.deepEqual(state.apply(set), { ok: true });
  assert.equal(verifyPassword(state.scramCredential('alice', 'SCRAM-SHA-512')!, 'a1'), true);
  assert.deepEqual(state.scramUsers(), [
    {
      user: 'alice',
      mechanisms: [
        { mechanism: 'SCRAM-SHA-256', iterations: 8192 },
        { mechanism: 'SCRAM-SHA-512', iterations: 4096 },
      ],
    },
    { user: 'bob', mechanisms: [{ mechanism: 'SCRAM-SHA-512', iterations: 4096 }] },
  ]);
  // Deletions apply before upsertions; the last mechanism of a user takes the user away.
  const change: MetadataCommand = {
    type: 'alterScramCredentials',
    deletions: [
      { user: 'alice', mechanism: 'SCRAM-SHA-256' },
      { user: 'bob', mechanism: 'SCRAM-SHA-512' },
    ],
    upsertions: [upsert('alice', 'a2')],
  };
  assert.deepEqual(state.apply(change), { ok: true });
  assert.equal(state.scramCredential('alice', 'SCRAM-SHA-256'), undefined);
  assert.equal(verifyPassword(state.scramCredential('alice', 'SCRAM-SHA-512')!, 'a2'), true);
  assert.deepEqual(
    state.scramUsers().map((u) => u.user),
    ['alice'],
  );
});

test('issue 15: a malformed alterScramCredentials command is refused whole and changes nothing', () => {
  const state = emptyState();
  state.apply({ type: 'alterScramCredentials', deletions: [], upsertions: [upsert('alice', 'a1')] });
  const bad = [
    { deletions: [], upsertions: [{ ...upsert('carol', 'c'), mechanism: 'SCRAM-MD5' }] },
    { deletions: [], upsertions: [{ ...upsert('carol', 'c'), user: '' }] },
    { deletions: [], upsertions: [upsert('carol', 'c'), { ...upsert('dave', 'd'), iterations: 0 }] },
    { deletions: [{ user: 'alice', mechanism: 'PLAIN' }], upsertions: [] },
    { deletions: null, upsertions: [] },
  ];
  for (const fields of bad) {
    const result = state.apply({ type: 'alterScramCredentials', ...fields } as unknown as MetadataCommand);
    assert.equal(result.ok, false, JSON.stringify(fields));
  }
  assert.deepEqual(
    state.scramUsers().map((u) => u.user),
    ['alice'],
  );
});

test('issue 15: credentials survive the metadata snapshot and the JSON of cluster-mode entries; no password in either', () => {
  const state = emptyState();
  const command: MetadataCommand = { type: 'alterScramCredentials', deletions: [], upsertions: [upsert('alice', 'hunter2-secret')] };
  // Cluster mode: the command travels as JSON in the metadata group's log.
  const entry = JSON.stringify(command);
  assert.doesNotMatch(entry, /hunter2-secret/);
  state.apply(JSON.parse(entry) as MetadataCommand);
  const bytes = encodeMetadataSnapshot(state);
  assert.doesNotMatch(Buffer.from(bytes).toString('utf8'), /hunter2-secret/);
  const restored = new MetadataState(decodeMetadataSnapshot(bytes));
  assert.equal(verifyPassword(restored.scramCredential('alice', 'SCRAM-SHA-512')!, 'hunter2-secret'), true);
  assert.deepEqual(restored.scramUsers(), state.scramUsers());
  // A snapshot from before credentials existed has none.
  assert.deepEqual(new MetadataState({ clusterId: 'c', brokers: [], topics: [] }).scramUsers(), []);
});

test('issue 15: a single node saves credentials with its metadata and has them after a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-scram-'));
  try {
    const store = NodeStore.open(dir);
    const controller = new LocalController(emptyState(), store, pino({ level: 'silent' }), 1);
    assert.deepEqual(await controller.propose({ type: 'alterScramCredentials', deletions: [], upsertions: [upsert('alice', 'pw')] }), { ok: true });
    store.close();
    const reopened = NodeStore.open(dir);
    const state = new MetadataState(reopened.loadMetadata()!);
    reopened.close();
    assert.equal(verifyPassword(state.scramCredential('alice', 'SCRAM-SHA-512')!, 'pw'), true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
