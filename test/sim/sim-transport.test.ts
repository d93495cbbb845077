// The simulator's transport without the codec (sim-transport.ts copyMessage) must hand the
// receiver exactly what the codec's round trip would, so a seed's outcome does not depend on
// which of the two it runs (issue 10: the codec runs on one seed in 8).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, encodeMessage } from '../../src/transport/codec.ts';
import { newMessage } from '../../src/raft/message.ts';
import type { Message } from '../../src/raft/types.ts';
import { codecSeed, copyMessage } from './sim-transport.ts';

function messages(): Message[] {
  const app = newMessage('app', 1, 2, 7);
  app.logTerm = 6;
  app.index = 41;
  app.commit = 40;
  app.storageId = 's-1';
  app.entries = [
    { index: 42, term: 7, type: 'normal', data: Buffer.from('batch one') },
    { index: 43, term: 7, type: 'config', data: new Uint8Array([1, 2, 3]) },
  ];
  const snap = newMessage('snap', 1, 3, 7);
  snap.snapshot = {
    index: 30,
    term: 5,
    confState: { voters: [{ id: 1, storageId: 'a' }], learners: [{ id: 3, storageId: 'c' }], fenced: ['old'] },
    data: Buffer.from('state'),
  };
  const resp = newMessage('appResp', 2, 1, 7);
  resp.reject = true;
  resp.rejectHint = 12;
  resp.context = 'ctx';
  resp.toStorageId = 's-2';
  return [app, snap, resp, newMessage('hb', 1, 2, 7)];
}

test('copyMessage gives what decodeMessage(encodeMessage(m)) gives, sharing no bytes with the sender', () => {
  for (const m of messages()) {
    const copy = copyMessage(m);
    assert.deepEqual(copy, decodeMessage(encodeMessage(m), m.from, m.to), m.type);
    assert.deepEqual(Object.keys(copy), Object.keys(newMessage('hb', 1, 2, 1)));
    // Writing into the copy's bytes leaves the sender's alone (small Buffers share a pool).
    for (let i = 0; i < m.entries.length; i++) {
      assert.ok(Buffer.isBuffer(copy.entries[i].data));
      const before = m.entries[i].data[0];
      copy.entries[i].data[0] ^= 0xff;
      assert.equal(m.entries[i].data[0], before);
    }
    if (m.snapshot !== null) {
      copy.snapshot!.data[0] ^= 0xff;
      assert.equal(m.snapshot.data[0], 's'.charCodeAt(0));
      assert.notEqual(copy.snapshot!.confState.voters[0], m.snapshot.confState.voters[0]);
    }
  }
});

test('one seed in 8 runs the wire codec', () => {
  const codec = [1, 2, 3, 4, 5, 6, 7, 8, 16].filter(codecSeed);
  assert.deepEqual(codec, [8, 16]);
});
