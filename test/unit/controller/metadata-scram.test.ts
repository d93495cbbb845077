// issue 15 "credentials stored salted and hashed in the metadata state (replicated)": in cluster
// mode an alterScramCredentials command reaches every broker through the metadata Raft group, is
// in the group's snapshot, and a broker restarted from that snapshot still has it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryHub } from '../../../src/transport/memory.ts';
import { NotControllerError } from '../../../src/metadata/controller.ts';
import type { MetadataCommand } from '../../../src/metadata/metadata-state.ts';
import { toRecord } from '../../../src/metadata/scram-credentials.ts';
import { credentialFromPassword, verifyPassword } from '../../../src/security/credentials.ts';
import { MemorySnapshotStore, startMetaBroker, stopMetaBroker, topic, until, type MetaBroker } from './metadata-harness.ts';

/** Attempts per command while no controller is elected. */
const PROPOSE_ATTEMPTS_MAX = 200;

async function propose(brokers: MetaBroker[], command: MetadataCommand): Promise<void> {
  let done = false;
  const work = (async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        const controller = brokers.find((b) => b.group.isController);
        if (!controller) throw new NotControllerError(0);
        const result = await controller.group.propose(command);
        assert.ok(result.ok, `${command.type}: ${!result.ok && result.message}`);
        return;
      } catch (err) {
        if (!(err instanceof NotControllerError) || attempt >= PROPOSE_ATTEMPTS_MAX) throw err;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  })().finally(() => (done = true));
  await until('proposal applied', () => done, brokers, 20_000);
  await work;
}

test('issue 15: SCRAM credentials replicate through the metadata group and survive its snapshot and a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-meta-scram-'));
  const hub = new MemoryHub();
  const ids = [1, 2, 3];
  const stores = new Map(ids.map((id) => [id, new MemorySnapshotStore()]));
  const options = { voters: ids, snapshotEntries: 5, compactionOverhead: 2 };
  let brokers = ids.map((id) => startMetaBroker(hub, dir, id, stores.get(id)!, { ...options, bootstrap: true }));
  try {
    await until('a controller', () => brokers.some((b) => b.group.isController), brokers);
    const upsertions = [toRecord('alice', credentialFromPassword('SCRAM-SHA-512', 'alice-pw', Buffer.from('salt'), 4096))];
    await propose(brokers, { type: 'alterScramCredentials', deletions: [], upsertions });
    const credentialIndex = brokers.find((b) => b.group.isController)!.group.appliedThrough;
    // Enough entries after it for every broker to snapshot past it.
    for (let i = 0; i < 8; i++) await propose(brokers, { type: 'createTopic', topic: topic(`t-${i}`, String(i).padStart(32, '0')) });
    const commit = () => Math.max(...brokers.map((b) => b.node.status().commit));
    await until('every broker applied everything', () => brokers.every((b) => b.group.appliedThrough === commit()), brokers);
    for (const b of brokers) {
      assert.equal(verifyPassword(b.group.state.scramCredential('alice', 'SCRAM-SHA-512')!, 'alice-pw'), true, `broker ${b.id}`);
      assert.ok(b.storage.snapshot().index >= credentialIndex, `broker ${b.id} snapshotted past the credential`);
      assert.doesNotMatch(Buffer.from(b.storage.snapshot().data).toString('utf8'), /alice-pw/);
    }
    const victim = brokers.find((b) => !b.group.isController)!;
    await stopMetaBroker(victim);
    brokers = brokers.filter((b) => b !== victim);
    const restarted = startMetaBroker(hub, dir, victim.id, stores.get(victim.id)!, { ...options, bootstrap: false });
    brokers.push(restarted);
    assert.equal(verifyPassword(restarted.group.state.scramCredential('alice', 'SCRAM-SHA-512')!, 'alice-pw'), true);
    assert.ok(
      restarted.appliedIndexes.every((i) => i > credentialIndex),
      'the credential came from the snapshot, not from replaying its entry',
    );
  } finally {
    for (const b of brokers) await stopMetaBroker(b);
    rmSync(dir, { recursive: true, force: true });
  }
});
