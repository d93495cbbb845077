// Random message values for property-style tests, driven by a schema and a version.
// Fields absent at the version are filled with their default, so the generated value is
// exactly what a decoder must produce.

import { inRange, type FieldDef, type MessageSchema, type TypeSpec } from '../../../src/protocol/schema.ts';

import { SeededRng as Rng } from '../../helpers/seeded-rng.ts';

/** The shared seeded PRNG of the tests, under the name these tests have always used. */
export { Rng };

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz-_.0123456789é€';

function randomString(rng: Rng): string {
  let s = '';
  const n = rng.int(0, 12);
  for (let i = 0; i < n; i++) s += ALPHABET[rng.int(0, ALPHABET.length - 1)];
  return s;
}

export function defaultFor(f: FieldDef<string, unknown>, version: number): unknown {
  if (f.default !== undefined) return f.default;
  return naturalDefault(f.type, version);
}

function naturalDefault(t: TypeSpec<unknown>, version: number): unknown {
  switch (t.kind) {
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'bytes':
      return Buffer.alloc(0);
    case 'records':
      return null;
    case 'uuid':
      return Buffer.alloc(16);
    case 'array':
      return [];
    case 'struct':
      return Object.fromEntries(t.fields.map((f) => [f.name, defaultFor(f, version)]));
    default:
      return 0;
  }
}

function randomOfType(t: TypeSpec<unknown>, version: number, rng: Rng): unknown {
  switch (t.kind) {
    case 'int8':
      return rng.int(-128, 127);
    case 'int16':
      return rng.int(-32768, 32767);
    case 'uint16':
      return rng.int(0, 65535);
    case 'int32':
      return rng.int(-2147483648, 2147483647);
    case 'uint32':
      return rng.int(0, 4294967295);
    case 'int64':
      return rng.chance(0.2) ? rng.int(-1, 1) : Math.floor((rng.next() - 0.5) * 2 * Number.MAX_SAFE_INTEGER);
    case 'float64':
      return (rng.next() - 0.5) * 1e6;
    case 'bool':
      return rng.chance(0.5);
    case 'string':
      return randomString(rng);
    case 'bytes':
      return rng.bytes(rng.int(0, 20));
    case 'records':
      // Large enough, sometimes, to take the Writer's by-reference path.
      return rng.bytes(rng.chance(0.3) ? rng.int(512, 2048) : rng.int(0, 40));
    case 'uuid':
      return rng.bytes(16);
    case 'array': {
      const n = rng.int(0, 3);
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) out.push(randomOfType(t.items, version, rng));
      return out;
    }
    case 'struct':
      return randomStruct(t.fields, version, rng);
  }
}

function randomStruct(fields: readonly FieldDef<string, unknown>[], version: number, rng: Rng): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of fields) {
    if (!inRange(f.versions, version)) {
      o[f.name] = defaultFor(f, version);
    } else if (inRange(f.nullableVersions, version) && rng.chance(0.2)) {
      o[f.name] = null;
    } else {
      o[f.name] = randomOfType(f.type, version, rng);
    }
  }
  return o;
}

export function randomValue(schema: MessageSchema, version: number, rng: Rng): Record<string, unknown> {
  return randomStruct(schema.fields, version, rng);
}
