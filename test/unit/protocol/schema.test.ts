// The schema DSL and compiler: round trips of every API at every supported version,
// defaults for absent fields, nullability, tagged fields (KIP-482) and encode errors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allApis } from '../../../src/protocol/apis/index.ts';
import { DecodeError, Reader, Writer } from '../../../src/protocol/primitives.ts';
import {
  array,
  decode,
  encode,
  EncodeError,
  field,
  inRange,
  int32,
  int64,
  message,
  string,
  struct,
  type FieldDef,
  type MessageSchema,
  type TypeSpec,
} from '../../../src/protocol/schema.ts';
import { randomValue, Rng } from './random-values.ts';

function roundTrip(schema: MessageSchema, version: number, value: unknown): { bytes: Buffer; decoded: unknown } {
  const bytes = encode(schema, version, value as never).toBuffer();
  const r = new Reader(bytes);
  const decoded = decode(schema, version, r);
  assert.equal(r.remaining, 0, `${schema.name} v${version}: decode consumed every byte`);
  return { bytes, decoded };
}

test('every API request and response round-trips at every supported version (random values)', () => {
  const rng = new Rng(20240611);
  for (const api of allApis) {
    for (const schema of [api.request, api.response]) {
      for (let v = api.minVersion; v <= api.maxVersion; v++) {
        // Several samples per version so nulls, empty arrays and tagged fields all occur.
        for (let sample = 0; sample < 8; sample++) {
          const value = randomValue(schema, v, rng);
          const { bytes, decoded } = roundTrip(schema, v, value);
          assert.deepEqual(decoded, value, `${schema.name} v${v} sample ${sample}`);
          // Re-encoding the decoded object gives the same bytes.
          assert.ok(
            encode(schema, v, decoded as never)
              .toBuffer()
              .equals(bytes),
            `${schema.name} v${v} re-encode`,
          );
        }
      }
    }
  }
});

test('an empty object encodes as all defaults and decodes to every declared field', () => {
  for (const api of allApis) {
    for (const schema of [api.request, api.response]) {
      for (let v = api.minVersion; v <= api.maxVersion; v++) {
        const { decoded } = roundTrip(schema, v, {});
        const names = schema.fields.map((f) => f.name).sort();
        assert.deepEqual(Object.keys(decoded as object).sort(), names, `${schema.name} v${v}`);
      }
    }
  }
});

const demo = message({
  name: 'DemoRequest',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    field('name', string, { versions: '0+' }),
    field('label', string, { versions: '1+', nullableVersions: '1+', default: null }),
    field('limitMs', int32, { versions: '1+', default: 5000 }),
    field('items', array(struct([field('id', int32, { versions: '0+' }), field('offset', int64, { versions: '3+', default: -1 })])), {
      versions: '0+',
    }),
    field('hint', string, { versions: '2+', taggedVersions: '2+', tag: 0 }),
    field('epoch', int64, { versions: '3+', taggedVersions: '3+', tag: 1, default: -1 }),
  ],
});

test('fields absent at a version decode as their declared or natural default', () => {
  const bytes = encode(demo, 0, { name: 'x', label: 'dropped', limitMs: 1, items: [{ id: 3, offset: 9 }] }).toBuffer();
  // v0: name (int16 len + 'x'), items (int32 count, one int32).
  assert.equal(bytes.toString('hex'), '000178' + '00000001' + '00000003');
  const decoded = decode(demo, 0, new Reader(bytes));
  assert.deepEqual(decoded, { name: 'x', label: null, limitMs: 5000, items: [{ id: 3, offset: -1 }], hint: '', epoch: -1 });
});

test('nullable only where declared: null encodes at v1, is an EncodeError at v0', () => {
  assert.throws(() => encode(demo, 0, { name: null as unknown as string }), EncodeError);
  const b = encode(demo, 1, { name: 'a', label: null }).toBuffer();
  assert.equal(b.toString('hex'), '000161' + 'ffff' + '00001388' + '00000000');
});

test('flexible versions use compact forms and a tagged-field section on every struct (KIP-482)', () => {
  const b = encode(demo, 2, { name: 'a', items: [{ id: 1 }] }).toBuffer();
  // name COMPACT_STRING, label COMPACT_NULLABLE_STRING null, limitMs, items COMPACT_ARRAY of
  // one struct (id + empty tags), then the top-level tag section (hint is default: omitted).
  assert.equal(b.toString('hex'), '0261' + '00' + '00001388' + '02' + '00000001' + '00' + '00');
  const tagged = encode(demo, 3, { name: 'a', hint: 'h', epoch: 7 }).toBuffer();
  // Tag section: 2 fields; tag 0 size 2 COMPACT_STRING 'h'; tag 1 size 8 int64 7.
  assert.equal(tagged.subarray(tagged.length - 15).toString('hex'), '02' + '00' + '02' + '0268' + '01' + '08' + '0000000000000007');
  assert.deepEqual(decode(demo, 3, new Reader(tagged)), { name: 'a', label: null, limitMs: 5000, items: [], hint: 'h', epoch: 7 });
});

test('unknown tagged fields are skipped on decode (KIP-482 forward compatibility)', () => {
  const w = new Writer();
  w.compactString('a').compactNullableString(null).int32(1).compactArrayLength(0);
  w.uvarint(2);
  w.uvarint(0).uvarint(2).compactString('z');
  w.uvarint(17)
    .uvarint(3)
    .raw(Buffer.from([1, 2, 3]));
  const decoded = decode(demo, 2, new Reader(w.toBuffer()));
  assert.equal(decoded.hint, 'z');
  assert.equal(decoded.limitMs, 1);
});

test('versions outside the declared range are rejected on both sides', () => {
  assert.throws(() => encode(demo, 4, {}), RangeError);
  assert.throws(() => decode(demo, 4, new Reader(Buffer.alloc(10))), DecodeError);
  assert.throws(() => decode(demo, -1, new Reader(Buffer.alloc(10))), DecodeError);
});

test('declaration mistakes fail at load time', () => {
  assert.throws(() => field('BadName', int32, { versions: '0+' }));
  assert.throws(() => field('x', int32, { versions: '0+', tag: 1 }));
  assert.throws(() => field('x', int32, { versions: '0+', default: 'no' }));
  assert.throws(() => field('x', int32, { versions: '0+', default: 2 ** 31 }));
  assert.throws(() =>
    message({ name: 'M', validVersions: '0-1', flexibleVersions: '1+', fields: [field('x', int32, { versions: '0+', taggedVersions: '0+', tag: 0 })] }),
  );
  assert.throws(() =>
    message({
      name: 'M',
      validVersions: '0-1',
      flexibleVersions: 'none',
      fields: [field('x', int32, { versions: '0+' }), field('x', int32, { versions: '0+' })],
    }),
  );
  assert.throws(() => message({ name: 'M', validVersions: '0-1', flexibleVersions: 'none', fields: [field('x', string, { versions: '0+', default: null })] }));
});

test('every declared field has a lowerCamelCase name (the object-shape rule)', () => {
  const visit = (fields: readonly FieldDef<string, unknown>[], where: string): void => {
    for (const f of fields) {
      assert.match(f.name, /^[a-z][A-Za-z0-9]*$/, `${where}.${f.name}`);
      let t: TypeSpec<unknown> = f.type;
      while (t.kind === 'array') t = t.items;
      if (t.kind === 'struct') visit(t.fields, `${where}.${f.name}`);
    }
  };
  for (const api of allApis) {
    visit(api.request.fields, api.request.name);
    visit(api.response.fields, api.response.name);
    assert.ok(inRange(api.request.validVersions, 0), `${api.name} supports version 0`);
  }
});
