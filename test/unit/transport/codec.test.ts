// Codec rules: every Message round-trips exactly; from/to come from the connection, not the
// bytes; truncated or garbage input only ever throws CodecError; entry data is a view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CodecError,
  GroupDecoder,
  GroupEncoder,
  Reader,
  decodeMessage,
  encodeMessage,
  encodeMessageFrames,
  messageSize,
  readBatchBody,
  uvarintSize,
  Writer,
  type Outgoing,
} from '../../../src/transport/codec.ts';
import { FrameDecoder, FrameType } from '../../../src/transport/frame.ts';
import { newMessage } from '../../../src/raft/message.ts';
import { MemoryStorage, RaftNode, Rng as RaftRng } from '../../../src/raft/index.ts';
import type { Entry, Member, Message, MessageType } from '../../../src/raft/types.ts';
import { Rng, randomMessage } from './helpers.ts';

test('uvarint: sizes and round trip at every power-of-two boundary up to 2^53 - 1', () => {
  const values = [0, 1, 127, 128, 16383, 16384, 2 ** 31 - 1, 2 ** 31, 2 ** 32, Number.MAX_SAFE_INTEGER];
  for (let b = 0; b < 53; b++) values.push(2 ** b - 1, 2 ** b);
  for (const v of values) {
    const w = new Writer(Buffer.alloc(10));
    w.uvarint(v);
    assert.equal(w.pos, uvarintSize(v), `size of ${v}`);
    const r = new Reader(w.buf, 0, w.pos);
    assert.equal(r.uvarint(), v);
  }
});

// Writer.str copies short ASCII strings by hand: the bytes must be exactly Buffer.write's UTF-8,
// at the edge of the hand-copied length and for strings that are not ASCII.
test('strings: short ASCII, longer ASCII and non-ASCII strings write the same UTF-8 bytes as Buffer.write', () => {
  const cases = ['a', 'n2.0/82a5af61', 'x'.repeat(63), 'y'.repeat(64), 'z'.repeat(65), 'é', 'groupé-1', '\u{1F600}', '\ud800', 'a\u0000b', '\u007f\u0080'];
  for (const s of cases) {
    const n = Buffer.byteLength(s, 'utf8');
    const w = new Writer(Buffer.alloc(n + 8));
    w.str(s, n);
    const expected = Buffer.concat([Buffer.alloc(uvarintSize(n)), Buffer.from(s, 'utf8')]);
    new Writer(expected).uvarint(n);
    assert.deepEqual(w.buf.subarray(0, w.pos), expected, JSON.stringify(s));
    assert.equal(new Reader(w.buf, 0, w.pos).str(), Buffer.from(s, 'utf8').toString('utf8'));
  }
});

test('uvarint: longer than 8 bytes or above 2^53 - 1 is a CodecError', () => {
  assert.throws(() => new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])).uvarint(), CodecError);
  assert.throws(() => new Reader(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10])).uvarint(), CodecError); // 2^53
  assert.throws(() => new Reader(Buffer.from([0x80])).uvarint(), CodecError);
});

test('every message type round-trips with every optional field absent', () => {
  const types: MessageType[] = [
    'app',
    'appResp',
    'hb',
    'hbResp',
    'vote',
    'voteResp',
    'preVote',
    'preVoteResp',
    'snap',
    'timeoutNow',
    'readIndex',
    'readIndexResp',
    'prop',
  ];
  for (const t of types) {
    const m = newMessage(t, 3, 7, 42);
    const back = decodeMessage(encodeMessage(m), 3, 7);
    assert.deepEqual(back, m);
    // A bare heartbeat must stay tiny: it is what 100s of groups send every tick.
    assert.ok(encodeMessage(m).length <= 8, `bare ${t} takes ${encodeMessage(m).length} bytes`);
  }
});

test("'prop' (a forwarded proposal) round-trips with its entries as wire type 12; earlier type codes are unchanged", () => {
  // Take the message from the Raft core itself: follower 2 learns leader 1 from a heartbeat
  // and forwards two proposals.
  const confState = { voters: [1, 2, 3].map((id) => ({ id, storageId: `s${id}` })), learners: [] };
  const storage = new MemoryStorage('s2');
  storage.bootstrap(confState);
  const node = new RaftNode({ id: 2 }, storage, new RaftRng(1));
  node.step({ ...newMessage('hb', 1, 2, 2), storageId: 's1', toStorageId: 's2' });
  const res = node.forwardProposal([Buffer.from('first'), new Uint8Array(0)]);
  assert.ok(res.ok && res.forwarded && res.leader === 1);
  const prop = node.ready().messages.find((m) => m.type === 'prop');
  assert.ok(prop !== undefined);
  const bytes = encodeMessage(prop);
  assert.equal(bytes[0], 12, 'prop is wire type 12');
  assert.equal(bytes.length, messageSize(prop));
  const back = decodeMessage(bytes, 2, 1);
  assert.deepEqual(normalise(back), normalise(prop));
  assert.deepEqual(
    back.entries.map((e) => [e.index, e.term, e.type, Buffer.from(e.data).toString()]),
    [
      [0, 0, 'normal', 'first'],
      [0, 0, 'normal', ''],
    ],
  );
  assert.equal(back.storageId, 's2');
  // Appending 'prop' must not renumber anything an older peer sends.
  const old: MessageType[] = [
    'app',
    'appResp',
    'hb',
    'hbResp',
    'vote',
    'voteResp',
    'preVote',
    'preVoteResp',
    'snap',
    'timeoutNow',
    'readIndex',
    'readIndexResp',
  ];
  old.forEach((t, code) => assert.equal(encodeMessage(newMessage(t, 1, 2, 1))[0], code, t));
  // A type code past 'prop' is still refused.
  const unknown = Buffer.from(bytes);
  unknown[0] = 13;
  assert.throws(() => decodeMessage(unknown, 2, 1), CodecError);
});

test('from and to are taken from the connection, not from the bytes (a peer cannot speak for another node)', () => {
  const m = newMessage('vote', 3, 7, 5);
  const back = decodeMessage(encodeMessage(m), 9, 1);
  assert.equal(back.from, 9);
  assert.equal(back.to, 1);
});

test('property: 2000 seeded random messages round-trip exactly and messageSize is exact', () => {
  const seed = 0xc0ffee;
  const rng = new Rng(seed);
  for (let i = 0; i < 2000; i++) {
    const m = randomMessage(rng);
    const bytes = encodeMessage(m);
    assert.equal(bytes.length, messageSize(m), `seed ${seed} message ${i}`);
    const back = decodeMessage(bytes, m.from, m.to);
    assert.deepEqual(normalise(back), normalise(m), `seed ${seed} message ${i}`);
  }
});

test('decoded entry data is a view into the frame, not a copy', () => {
  const data = Buffer.from('hello entries');
  const m = { ...newMessage('app', 1, 2, 3), entries: [{ index: 5, term: 3, type: 'normal', data } as Entry] };
  const frame = encodeMessage(m);
  const back = decodeMessage(frame, 1, 2);
  const got = back.entries[0]!.data as Buffer;
  assert.equal(got.buffer, frame.buffer);
  assert.deepEqual(Buffer.from(got), data);
});

test('every truncation of a valid message throws CodecError and nothing else', () => {
  const rng = new Rng(7);
  for (let i = 0; i < 200; i++) {
    const bytes = encodeMessage(randomMessage(rng));
    for (let cut = 0; cut < bytes.length; cut++) {
      assert.throws(() => decodeMessage(bytes.subarray(0, cut), 1, 2), CodecError, `message ${i} cut at ${cut}`);
    }
  }
});

test('random garbage decodes or throws CodecError, never another error', () => {
  const rng = new Rng(99);
  let decoded = 0;
  for (let i = 0; i < 20000; i++) {
    const bytes = rng.bytes(rng.int(0, 64));
    try {
      decodeMessage(bytes, 1, 2);
      decoded++;
    } catch (e) {
      assert.ok(e instanceof CodecError, `garbage ${bytes.toString('hex')} threw ${String(e)}`);
    }
    try {
      readBatchBody(new Reader(bytes), new GroupDecoder(), 1, 2);
    } catch (e) {
      assert.ok(e instanceof CodecError, `garbage batch ${bytes.toString('hex')} threw ${String(e)}`);
    }
  }
  assert.ok(decoded < 20000, 'garbage must not always decode');
});

test('a huge announced entry count is refused before anything is allocated', () => {
  // type app, flags entries, five zero varints, then a count of 2^40.
  const bytes = Buffer.from([0, 0x02, 0, 0, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]);
  assert.throws(() => decodeMessage(bytes, 1, 2), /count/);
});

test('the encoder refuses messages the host built wrongly (host bug, not bad input)', () => {
  assert.throws(() => messageSize({ ...newMessage('hb', 1, 2, -1) }), RangeError);
  assert.throws(() => messageSize({ ...newMessage('hb', 1, 2, 1.5) }), RangeError);
  assert.throws(() => messageSize({ ...newMessage('hb', 1, 2, 1), type: 'nope' as MessageType }), RangeError);
});

function items(list: Array<[string, Message]>): Outgoing[] {
  return list.map(([group, msg]) => ({ group, msg, size: messageSize(msg) }));
}

test('group interning: first use defines, later uses are references, across frames of one connection', () => {
  const enc = new GroupEncoder(true);
  const dec = new GroupDecoder();
  const batch1 = items([
    ['__metadata', newMessage('hb', 1, 2, 1)],
    ['topic-3', newMessage('hb', 1, 2, 1)],
    ['__metadata', newMessage('app', 1, 2, 1)],
  ]);
  const batch2 = items([
    ['topic-3', newMessage('hbResp', 1, 2, 2)],
    ['topic-4', newMessage('hb', 1, 2, 2)],
  ]);
  const frames1 = encodeMessageFrames(enc, batch1, 1 << 20);
  const frames2 = encodeMessageFrames(enc, batch2, 1 << 20);
  assert.equal(frames1.length, 1);
  assert.equal(frames2.length, 1);
  const fd = new FrameDecoder(1 << 20);
  const got = fd.push(Buffer.concat([frames1[0]!, frames2[0]!]));
  assert.equal(got.length, 2);
  const out = got.flatMap((f) => {
    assert.equal(f.type, FrameType.messages);
    return readBatchBody(new Reader(f.body), dec, 1, 2);
  });
  assert.deepEqual(
    out.map((o) => [o.group, o.msg.type]),
    [
      ['__metadata', 'hb'],
      ['topic-3', 'hb'],
      ['__metadata', 'app'],
      ['topic-3', 'hbResp'],
      ['topic-4', 'hb'],
    ],
  );
  // The second frame names topic-3 by reference: it is smaller than with literal names.
  const literal = encodeMessageFrames(new GroupEncoder(false), batch2, 1 << 20)[0]!;
  assert.ok(frames2[0]!.length < literal.length, `interned ${frames2[0]!.length} B, literal ${literal.length} B`);
});

test('a reference to a group the peer never defined is a CodecError', () => {
  // count 1, tag 2 (group 0, never defined)
  assert.throws(() => readBatchBody(new Reader(Buffer.from([1, 2])), new GroupDecoder(), 1, 2), CodecError);
});

test('frames are split at maxFrameBytes and no frame exceeds it', () => {
  const data = Buffer.alloc(1000, 1);
  const list: Array<[string, Message]> = [];
  for (let i = 0; i < 50; i++) list.push([`g${i % 7}`, { ...newMessage('app', 1, 2, 1), entries: [{ index: i + 1, term: 1, type: 'normal', data }] }]);
  const limit = 4096;
  const frames = encodeMessageFrames(new GroupEncoder(true), items(list), limit);
  assert.ok(frames.length > 1, `${frames.length} frame(s)`);
  const fd = new FrameDecoder(limit);
  const dec = new GroupDecoder();
  let n = 0;
  for (const f of frames) {
    assert.ok(f.length - 4 <= limit, `frame length ${f.length - 4} > ${limit}`);
    for (const fr of fd.push(f)) n += readBatchBody(new Reader(fr.body), dec, 1, 2).length;
  }
  assert.equal(n, 50);
});

test('frame decoder: a frame above the limit and a zero-length frame are FrameErrors; split chunks reassemble', () => {
  const fd = new FrameDecoder(10);
  assert.throws(() => fd.push(Buffer.from([0, 0, 0, 11, 1])), /exceeds/);
  assert.throws(() => new FrameDecoder(10).push(Buffer.from([0, 0, 0, 0])), /length 0/);
  const whole = Buffer.from([0, 0, 0, 3, 17, 0xaa, 0xbb, 0, 0, 0, 1, 16]);
  const d = new FrameDecoder(10);
  const got = [];
  for (const b of whole) got.push(...d.push(Buffer.from([b])));
  assert.deepEqual(
    got.map((f) => [f.type, [...f.body]]),
    [
      [17, [0xaa, 0xbb]],
      [16, []],
    ],
  );
});

function normalise(m: Message): unknown {
  // deepEqual must not depend on Buffer vs Uint8Array of the same bytes.
  const mem = (ms: Member[]) => ms.map((x) => ({ ...x }));
  return {
    ...m,
    entries: m.entries.map((e) => ({ ...e, data: [...e.data] })),
    snapshot:
      m.snapshot === null
        ? null
        : { ...m.snapshot, data: [...m.snapshot.data], confState: { voters: mem(m.snapshot.confState.voters), learners: mem(m.snapshot.confState.learners) } },
  };
}

test("issue 11 (unsafe recovery): a snapshot's fenced storage ids round-trip; a snapshot without any keeps its bytes", () => {
  const m = newMessage('snap', 1, 2, 9);
  m.storageId = 's1';
  const plain = { index: 40, term: 8, confState: { voters: [{ id: 1, storageId: 's1' }], learners: [] }, data: new Uint8Array([1, 2, 3]) };
  m.snapshot = plain;
  const plainBytes = encodeMessage(m);
  assert.equal(decodeMessage(plainBytes, 1, 2).snapshot!.confState.fenced, undefined);
  m.snapshot = { ...plain, confState: { ...plain.confState, fenced: ['s2', 's3'] } };
  const bytes = encodeMessage(m);
  assert.equal(bytes.length, messageSize(m));
  assert.deepEqual(decodeMessage(bytes, 1, 2).snapshot!.confState, { voters: [{ id: 1, storageId: 's1' }], learners: [], fenced: ['s2', 's3'] });
  for (let cut = 0; cut < bytes.length; cut++) assert.throws(() => decodeMessage(bytes.subarray(0, cut), 1, 2), CodecError);
});
