// Framing: "int32 message_size, then the message" (protocol guide, "Common Request and
// Response Structure"), with our frame-size limit.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameDecoder, FrameError } from '../../../src/protocol/frame.ts';

function framed(payload: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length);
  return Buffer.concat([size, payload]);
}

test('several frames in one chunk come out as views, in order', () => {
  const a = Buffer.from('first');
  const b = Buffer.alloc(0);
  const c = Buffer.from('third frame');
  const chunk = Buffer.concat([framed(a), framed(b), framed(c)]);
  const d = new FrameDecoder(1024);
  const frames = d.push(chunk);
  assert.deepEqual(
    frames.map((f) => f.toString()),
    ['first', '', 'third frame'],
  );
  assert.equal(frames[0]!.buffer, chunk.buffer, 'a frame inside one chunk is not copied');
  assert.equal(d.bufferedBytes, 0);
});

test('a frame split at every possible byte boundary reassembles exactly', () => {
  const payloads = [Buffer.from('hello'), Buffer.from('x'), Buffer.alloc(300, 9)];
  const stream = Buffer.concat(payloads.map(framed));
  for (let cut = 0; cut <= stream.length; cut++) {
    const d = new FrameDecoder(1024);
    const got = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
    assert.deepEqual(got, payloads, `cut at ${cut}`);
    assert.equal(d.bufferedBytes, 0);
  }
});

test('one byte at a time: the size prefix itself may span chunks', () => {
  const payload = Buffer.from('spread thin');
  const stream = framed(payload);
  const d = new FrameDecoder(64);
  const got: Buffer[] = [];
  for (let i = 0; i < stream.length; i++) got.push(...d.push(stream.subarray(i, i + 1)));
  assert.deepEqual(got, [payload]);
});

test('a large frame in many chunks is buffered until complete, then assembled once', () => {
  const payload = Buffer.alloc(1 << 20);
  for (let i = 0; i < payload.length; i++) payload[i] = i & 0xff;
  const stream = framed(payload);
  const d = new FrameDecoder(2 << 20);
  let frames: Buffer[] = [];
  const chunkBytes = 16 * 1024;
  for (let off = 0; off < stream.length; off += chunkBytes) {
    frames = frames.concat(d.push(stream.subarray(off, off + chunkBytes)));
    if (off + chunkBytes < stream.length) assert.equal(frames.length, 0);
  }
  assert.equal(frames.length, 1);
  assert.ok(frames[0]!.equals(payload));
});

test('a negative size or one above the limit is a FrameError before any buffering', () => {
  const d = new FrameDecoder(100);
  assert.throws(() => d.push(Buffer.from([0xff, 0xff, 0xff, 0xff])), FrameError);
  const e = new FrameDecoder(100);
  assert.throws(() => e.push(Buffer.from([0, 0, 0, 101])), FrameError);
  // A 2 GB claim is refused at once, not waited for.
  const f = new FrameDecoder(100 * 1024 * 1024);
  assert.throws(() => f.push(Buffer.from([0x7f, 0xff, 0xff, 0xff, 1, 2, 3])), /exceeds the limit/);
  // Exactly at the limit is fine.
  const g = new FrameDecoder(3);
  assert.deepEqual(g.push(framed(Buffer.from('abc'))), [Buffer.from('abc')]);
});

test('the limit must itself be a valid int32', () => {
  assert.throws(() => new FrameDecoder(-1), RangeError);
  assert.throws(() => new FrameDecoder(2 ** 31), RangeError);
});
