// Hostile input: truncated, oversized and random bytes must only ever raise DecodeError,
// and no length prefix may make the decoder allocate more than the input could hold
// (a 2 GB length must not allocate 2 GB). Iterations are bounded and seeded.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allApis } from '../../../src/protocol/apis/index.ts';
import { decodeRequestHeader } from '../../../src/protocol/header.ts';
import { DecodeError, Reader } from '../../../src/protocol/primitives.ts';
import { decode, encode, type MessageSchema } from '../../../src/protocol/schema.ts';
import { randomValue, Rng } from './random-values.ts';

/** Records the largest Buffer allocation made while `fn` runs. */
function largestAllocation(fn: () => void): number {
  const original = { alloc: Buffer.alloc, allocUnsafe: Buffer.allocUnsafe, allocUnsafeSlow: Buffer.allocUnsafeSlow };
  let largest = 0;
  const note = (n: unknown): void => {
    if (typeof n === 'number' && n > largest) largest = n;
  };
  Buffer.alloc = ((size: number, ...rest: unknown[]) => {
    note(size);
    return (original.alloc as (...a: unknown[]) => Buffer)(size, ...rest);
  }) as typeof Buffer.alloc;
  Buffer.allocUnsafe = ((size: number) => {
    note(size);
    return original.allocUnsafe(size);
  }) as typeof Buffer.allocUnsafe;
  Buffer.allocUnsafeSlow = ((size: number) => {
    note(size);
    return original.allocUnsafeSlow(size);
  }) as typeof Buffer.allocUnsafeSlow;
  try {
    fn();
  } finally {
    Buffer.alloc = original.alloc;
    Buffer.allocUnsafe = original.allocUnsafe;
    Buffer.allocUnsafeSlow = original.allocUnsafeSlow;
  }
  return largest;
}

/** Decodes, accepting success or DecodeError; anything else fails the test. */
function decodeOrDecodeError(schema: MessageSchema, version: number, bytes: Buffer, what: string): void {
  try {
    decode(schema, version, new Reader(bytes));
  } catch (err) {
    if (!(err instanceof DecodeError)) {
      assert.fail(`${what}: ${schema.name} v${version} threw ${String(err)} for ${bytes.toString('hex')}`);
    }
  }
}

function everySchemaVersion(fn: (schema: MessageSchema, version: number) => void): void {
  for (const api of allApis) {
    for (const schema of [api.request, api.response]) {
      for (let v = api.minVersion; v <= api.maxVersion; v++) fn(schema, v);
    }
  }
}

test('huge int32 and varint lengths at every offset of valid messages allocate nothing large', () => {
  const rng = new Rng(7);
  const HUGE_INT32 = Buffer.from([0x7f, 0xff, 0xff, 0xff]);
  const HUGE_UVARINT = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]);
  let decodes = 0;
  const heapBefore = process.memoryUsage().arrayBuffers;
  const largest = largestAllocation(() => {
    everySchemaVersion((schema, v) => {
      const valid = encode(schema, v, randomValue(schema, v, rng) as never).toBuffer();
      const input = Buffer.from(valid); // a private copy we may overwrite
      for (const huge of [HUGE_INT32, HUGE_UVARINT]) {
        for (let at = 0; at + huge.length <= valid.length; at++) {
          valid.copy(input);
          huge.copy(input, at);
          decodeOrDecodeError(schema, v, input, `huge length at ${at}`);
          decodes++;
        }
      }
    });
  });
  const heapGrowth = process.memoryUsage().arrayBuffers - heapBefore;
  assert.ok(decodes > 1000, `exercised ${decodes} decodes`);
  // The spy is live: the encoder's own buffers were seen.
  assert.ok(largest > 0, 'allocation spy saw the encoder allocate');
  // The inputs are at most a few KiB; nothing near a 2 GB claim may be allocated.
  assert.ok(largest < 64 * 1024, `largest allocation during decode was ${largest} bytes`);
  assert.ok(heapGrowth < 256 * 1024 * 1024, `array buffers grew by ${heapGrowth} bytes`);
});

test('a 2 GB array count is rejected before allocation', () => {
  const bytes = Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
  for (const api of allApis) {
    // Every message whose first field is an array (most of them) sees a 2^31-1 count.
    const first = api.request.fields.find((f) => f.versions.min === 0);
    if (first?.type.kind !== 'array') continue;
    assert.throws(
      () => decode(api.request, 0, new Reader(bytes)),
      (err: unknown) => err instanceof DecodeError && /exceeds|truncated/.test(err.message),
    );
  }
});

test('every strict prefix of a valid message is a DecodeError (truncation)', () => {
  const rng = new Rng(11);
  everySchemaVersion((schema, v) => {
    const valid = encode(schema, v, randomValue(schema, v, rng) as never).toBuffer();
    // Step through prefixes; bounded by the message size (a few hundred bytes at most).
    for (let n = 0; n < valid.length; n++) {
      assert.throws(() => decode(schema, v, new Reader(valid.subarray(0, n))), DecodeError, `${schema.name} v${v} prefix ${n}/${valid.length}`);
    }
  });
});

test('fuzz: random bytes and mutated valid messages only ever raise DecodeError', () => {
  const rng = new Rng(1234);
  const ROUNDS_PER_VERSION = 40;
  everySchemaVersion((schema, v) => {
    const valid = encode(schema, v, randomValue(schema, v, rng) as never).toBuffer();
    for (let i = 0; i < ROUNDS_PER_VERSION; i++) {
      decodeOrDecodeError(schema, v, rng.bytes(rng.int(0, 64)), 'random bytes');
      const mutated = Buffer.from(valid);
      const flips = rng.int(1, 4);
      for (let k = 0; k < flips && mutated.length > 0; k++) mutated[rng.int(0, mutated.length - 1)] = rng.int(0, 255);
      decodeOrDecodeError(schema, v, mutated, 'byte flips');
      const cut = rng.int(0, valid.length);
      const spliced = Buffer.concat([valid.subarray(0, cut), rng.bytes(rng.int(1, 8)), valid.subarray(cut)]);
      decodeOrDecodeError(schema, v, spliced, 'inserted bytes');
    }
  });
});

test('fuzz: request headers of random frames raise nothing but DecodeError', () => {
  const rng = new Rng(99);
  for (let i = 0; i < 20_000; i++) {
    const bytes = rng.bytes(rng.int(0, 24));
    if (rng.chance(0.5) && bytes.length >= 4) bytes.writeInt16BE(allApis[rng.int(0, allApis.length - 1)]!.apiKey, 0);
    try {
      decodeRequestHeader(new Reader(bytes));
    } catch (err) {
      if (!(err instanceof DecodeError)) assert.fail(`header ${bytes.toString('hex')} threw ${String(err)}`);
    }
  }
});
