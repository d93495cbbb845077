// A small declarative DSL for Kafka messages, and the compiler that turns a declaration
// plus a version into a specialised encoder and decoder.
//
// A message is declared once, with a version range on every field, mirroring the
// Apache Kafka JSON message definitions (see docs/protocol.md). For each version the
// compiler resolves, once, which fields are present, nullable or tagged and which wire
// forms they use (compact in flexible versions), and builds a tree of closures that does
// no further version checks on the hot path. Compiled codecs are cached per version.
//
// Object shape: property names are the lowerCamelCase of the Kafka field names. A
// decoded object carries every declared field; fields absent at the decoded version hold
// their default. int64 values are JS numbers (safe integers), `records` and `bytes`
// are Buffers that view the decoded frame (no copy), `uuid` is a 16-byte Buffer.

import { DecodeError, Reader, Writer } from './primitives.ts';

/** Raised when an object cannot be encoded at the requested version. */
export class EncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncodeError';
  }
}

// ---------------------------------------------------------------------------------------
// Version ranges

/** An inclusive version range; `none` is min > max. */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

export const NO_VERSIONS: VersionRange = Object.freeze({ min: Infinity, max: -Infinity });

/** Parses Kafka's version range syntax: "3", "3+", "3-5" or "none". */
export function parseVersions(spec: string): VersionRange {
  const s = spec.trim();
  if (s === 'none' || s === '') return NO_VERSIONS;
  let m = /^(\d+)\+$/.exec(s);
  if (m) return { min: Number(m[1]), max: Infinity };
  m = /^(\d+)-(\d+)$/.exec(s);
  if (m) {
    const range = { min: Number(m[1]), max: Number(m[2]) };
    if (range.min > range.max) throw new Error(`empty version range "${spec}"`);
    return range;
  }
  m = /^(\d+)$/.exec(s);
  if (m) return { min: Number(m[1]), max: Number(m[1]) };
  throw new Error(`invalid version range "${spec}"`);
}

export function inRange(range: VersionRange, version: number): boolean {
  return version >= range.min && version <= range.max;
}

// ---------------------------------------------------------------------------------------
// Types. The phantom `_value` property lets TypeScript infer the JS type of a decoded
// message from its declaration; it is never set at runtime.

export type PrimitiveKind =
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'float64'
  | 'bool'
  | 'string'
  | 'bytes'
  | 'records'
  | 'uuid';

export interface PrimitiveType<T> {
  readonly kind: PrimitiveKind;
  readonly _value?: T;
}

export interface ArrayType<T> {
  readonly kind: 'array';
  readonly items: TypeSpec<unknown>;
  readonly _value?: T;
}

export interface StructType<T> {
  readonly kind: 'struct';
  readonly fields: readonly FieldDef<string, unknown>[];
  readonly _value?: T;
}

export type TypeSpec<T> = PrimitiveType<T> | ArrayType<T> | StructType<T>;

export const int8: PrimitiveType<number> = { kind: 'int8' };
export const int16: PrimitiveType<number> = { kind: 'int16' };
export const uint16: PrimitiveType<number> = { kind: 'uint16' };
export const int32: PrimitiveType<number> = { kind: 'int32' };
export const uint32: PrimitiveType<number> = { kind: 'uint32' };
export const int64: PrimitiveType<number> = { kind: 'int64' };
export const float64: PrimitiveType<number> = { kind: 'float64' };
export const bool: PrimitiveType<boolean> = { kind: 'bool' };
export const string: PrimitiveType<string> = { kind: 'string' };
export const bytes: PrimitiveType<Buffer> = { kind: 'bytes' };
/** Raw RecordBatch bytes, passed through untouched; null when absent. */
export const records: PrimitiveType<Buffer | null> = { kind: 'records' };
export const uuid: PrimitiveType<Buffer> = { kind: 'uuid' };

export function array<T>(items: TypeSpec<T>): ArrayType<T[]> {
  return { kind: 'array', items: items as TypeSpec<unknown> };
}

export type StructValue<F extends readonly FieldDef<string, unknown>[]> = {
  [D in F[number] as D['name']]: D extends FieldDef<string, infer V> ? V : never;
};

export function struct<const F extends readonly FieldDef<string, unknown>[]>(fields: F): StructType<StructValue<F>> {
  return { kind: 'struct', fields };
}

// ---------------------------------------------------------------------------------------
// Fields

export interface FieldOptions {
  /** Versions in which the field exists, e.g. "0+" or "3-5". */
  versions: string;
  /** Versions in which the field may be null (strings, bytes, records, arrays, structs). */
  nullableVersions?: string;
  /** Versions in which the field travels in the tagged-field section (flexible only). */
  taggedVersions?: string;
  /** The tag number, required with taggedVersions. */
  tag?: number;
  /** The value used when the field is absent at a version or missing on encode. */
  default?: number | boolean | string | null;
}

export interface FieldDef<N extends string, T> {
  readonly name: N;
  readonly type: TypeSpec<unknown>;
  readonly versions: VersionRange;
  readonly nullableVersions: VersionRange;
  readonly taggedVersions: VersionRange;
  readonly tag: number | undefined;
  /** The declared default (undefined: the type's natural default). */
  readonly default: number | boolean | string | null | undefined;
  readonly _value?: T;
}

const CAMEL_NAME = /^[a-z][A-Za-z0-9]*$/;

export function field<N extends string, T>(
  name: N,
  type: TypeSpec<T>,
  opts: FieldOptions & { nullableVersions: string },
): FieldDef<N, T | null>;
export function field<N extends string, T>(name: N, type: TypeSpec<T>, opts: FieldOptions): FieldDef<N, T>;
export function field<N extends string, T>(name: N, type: TypeSpec<T>, opts: FieldOptions): FieldDef<N, T> {
  if (!CAMEL_NAME.test(name)) throw new Error(`field name "${name}" is not lowerCamelCase`);
  const taggedVersions = opts.taggedVersions === undefined ? NO_VERSIONS : parseVersions(opts.taggedVersions);
  if ((opts.tag === undefined) !== (opts.taggedVersions === undefined)) {
    throw new Error(`field "${name}": tag and taggedVersions go together`);
  }
  if (opts.default !== undefined) checkDefault(name, type, opts.default);
  return {
    name,
    type: type as TypeSpec<unknown>,
    versions: parseVersions(opts.versions),
    nullableVersions: opts.nullableVersions === undefined ? NO_VERSIONS : parseVersions(opts.nullableVersions),
    taggedVersions,
    tag: opts.tag,
    default: opts.default,
  };
}

function checkDefault(name: string, type: TypeSpec<unknown>, value: unknown): void {
  const ok =
    value === null ||
    (typeof value === 'number' && INTEGER_RANGE[type.kind] !== undefined) ||
    (typeof value === 'number' && type.kind === 'float64') ||
    (typeof value === 'boolean' && type.kind === 'bool') ||
    (typeof value === 'string' && type.kind === 'string');
  if (!ok) throw new Error(`field "${name}": default ${JSON.stringify(value)} does not suit type ${type.kind}`);
  const range = INTEGER_RANGE[type.kind];
  if (range !== undefined && typeof value === 'number' && (value < range[0] || value > range[1] || !Number.isInteger(value))) {
    throw new Error(`field "${name}": default ${value} out of range for ${type.kind}`);
  }
}

const INTEGER_RANGE: Partial<Record<string, [number, number]>> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

// ---------------------------------------------------------------------------------------
// Messages

type DeepPartial<T> = T extends Uint8Array
  ? T
  : T extends readonly (infer U)[]
    ? DeepPartial<U>[]
    : T extends object
      ? { [K in keyof T]?: DeepPartial<T[K]> }
      : T;

/** What encode() accepts: any subset of the message; missing fields take their default. */
export type EncodeInput<T> = DeepPartial<T>;

export interface MessageOptions<F extends readonly FieldDef<string, unknown>[]> {
  /** e.g. "ProduceRequest"; used in error messages and by the conformance test. */
  name: string;
  /** The versions this codebase supports, e.g. "0-9". */
  validVersions: string;
  /** The first flexible version onwards, e.g. "9+", or "none". */
  flexibleVersions: string;
  fields: F;
}

interface Compiled {
  readonly encode: (w: Writer, value: unknown) => void;
  readonly decode: (r: Reader) => unknown;
}

export interface MessageSchema<T = any> {
  readonly name: string;
  readonly validVersions: VersionRange;
  readonly flexibleVersions: VersionRange;
  readonly fields: readonly FieldDef<string, unknown>[];
  /** Compiled codecs, indexed by version, filled on first use. */
  readonly compiled: (Compiled | undefined)[];
  readonly _value?: T;
}

export type MessageValue<S> = S extends MessageSchema<infer T> ? T : never;

export function message<const F extends readonly FieldDef<string, unknown>[]>(
  opts: MessageOptions<F>,
): MessageSchema<StructValue<F>> {
  const validVersions = parseVersions(opts.validVersions);
  const flexibleVersions = parseVersions(opts.flexibleVersions);
  if (!Number.isFinite(validVersions.max)) throw new Error(`${opts.name}: validVersions must be bounded`);
  if (flexibleVersions.max !== Infinity && flexibleVersions !== NO_VERSIONS) {
    throw new Error(`${opts.name}: flexibleVersions must be open-ended`);
  }
  validateStruct(opts.name, opts.fields, flexibleVersions);
  return {
    name: opts.name,
    validVersions,
    flexibleVersions,
    fields: opts.fields,
    compiled: [],
  };
}

/** Declaration invariants, checked once at module load so a typo fails loudly. */
function validateStruct(path: string, fields: readonly FieldDef<string, unknown>[], flexible: VersionRange): void {
  const names = new Set<string>();
  const tags = new Set<number>();
  for (const f of fields) {
    if (names.has(f.name)) throw new Error(`${path}: duplicate field ${f.name}`);
    names.add(f.name);
    if (f.tag !== undefined) {
      if (tags.has(f.tag)) throw new Error(`${path}: duplicate tag ${f.tag}`);
      tags.add(f.tag);
      if (f.taggedVersions.min < flexible.min) {
        throw new Error(`${path}.${f.name}: tagged in a non-flexible version`);
      }
    }
    if (f.default === null && f.nullableVersions === NO_VERSIONS) {
      throw new Error(`${path}.${f.name}: default null on a field that is never nullable`);
    }
    let t: TypeSpec<unknown> = f.type;
    while (t.kind === 'array') t = t.items;
    if (t.kind === 'struct') validateStruct(`${path}.${f.name}`, t.fields, flexible);
  }
}

export function isFlexible(schema: MessageSchema, version: number): boolean {
  return inRange(schema.flexibleVersions, version);
}

function compiledFor(schema: MessageSchema, version: number): Compiled {
  const cached = schema.compiled[version];
  if (cached !== undefined) return cached;
  if (!Number.isInteger(version) || !inRange(schema.validVersions, version)) {
    throw new RangeError(`${schema.name} does not support version ${version}`);
  }
  const flexible = isFlexible(schema, version);
  const root: StructType<unknown> = { kind: 'struct', fields: schema.fields };
  const compiled: Compiled = {
    encode: compileEncoder(root, version, flexible, schema.name),
    decode: compileDecoder(root, version, flexible, schema.name),
  };
  schema.compiled[version] = compiled;
  return compiled;
}

/** Encodes `value` as `schema` at `version`, appending to `writer` (a new one by default). */
export function encode<T>(schema: MessageSchema<T>, version: number, value: EncodeInput<T>, writer = new Writer()): Writer {
  compiledFor(schema, version).encode(writer, value);
  return writer;
}

/** Decodes `schema` at `version` from `reader`, leaving the reader after the message. */
export function decode<T>(schema: MessageSchema<T>, version: number, reader: Reader): T {
  if (!Number.isInteger(version) || !inRange(schema.validVersions, version)) {
    throw new DecodeError(`${schema.name} does not support version ${version}`);
  }
  return compiledFor(schema, version).decode(reader) as T;
}

// ---------------------------------------------------------------------------------------
// Defaults

type Maker = () => unknown;

const ZERO_UUID = Buffer.alloc(16);

/** The default of field `f` (fresh for mutable values, so decoded objects never alias). */
function defaultMaker(f: FieldDef<string, unknown>, version: number): Maker {
  if (f.default === null) return () => null;
  if (f.default !== undefined) {
    const v = f.default;
    return () => v;
  }
  return typeDefaultMaker(f.type, version);
}

function typeDefaultMaker(type: TypeSpec<unknown>, version: number): Maker {
  switch (type.kind) {
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
    case 'int64':
    case 'float64':
      return () => 0;
    case 'bool':
      return () => false;
    case 'string':
      return () => '';
    case 'bytes':
      return () => Buffer.alloc(0);
    case 'records':
      return () => null;
    case 'uuid':
      return () => Buffer.alloc(16);
    case 'array':
      return () => [];
    case 'struct': {
      const names = type.fields.map((f) => f.name);
      const makers = type.fields.map((f) => defaultMaker(f, version));
      return () => {
        const o: Record<string, unknown> = {};
        for (let i = 0; i < names.length; i++) o[names[i]!] = makers[i]!();
        return o;
      };
    }
  }
}

/** True if `value` equals the default, so a tagged field need not be written. */
function isDefaultValue(f: FieldDef<string, unknown>, type: TypeSpec<unknown>, value: unknown): boolean {
  if (value === undefined) return true;
  if (f.default !== undefined) return value === f.default;
  switch (type.kind) {
    case 'bytes':
      return value !== null && (value as Buffer).length === 0;
    case 'uuid':
      return value !== null && ZERO_UUID.equals(value as Buffer);
    case 'records':
      return value === null;
    case 'array':
      return value !== null && (value as unknown[]).length === 0;
    case 'struct':
      return (
        value !== null &&
        type.fields.every((sf) => isDefaultValue(sf, sf.type, (value as Record<string, unknown>)[sf.name]))
      );
    case 'bool':
      return value === false;
    case 'string':
      return value === '';
    default:
      return value === 0;
  }
}

// ---------------------------------------------------------------------------------------
// Decoder compiler

type Dec = (r: Reader) => unknown;

/** The fewest bytes one value of `type` can occupy, used to bound array counts. */
function bytesMin(type: TypeSpec<unknown>, version: number, flexible: boolean): number {
  switch (type.kind) {
    case 'int8':
    case 'bool':
      return 1;
    case 'int16':
    case 'uint16':
      return 2;
    case 'int32':
    case 'uint32':
      return 4;
    case 'int64':
    case 'float64':
      return 8;
    case 'uuid':
      return 16;
    case 'string':
      return flexible ? 1 : 2;
    case 'bytes':
    case 'records':
    case 'array':
      return flexible ? 1 : 4;
    case 'struct': {
      let n = flexible ? 1 : 0;
      for (const f of type.fields) {
        if (inRange(f.versions, version) && !inRange(f.taggedVersions, version)) n += bytesMin(f.type, version, flexible);
      }
      return n;
    }
  }
}

function compileValueDecoder(
  type: TypeSpec<unknown>,
  nullable: boolean,
  version: number,
  flexible: boolean,
  path: string,
): Dec {
  switch (type.kind) {
    case 'int8':
      return (r) => r.int8();
    case 'int16':
      return (r) => r.int16();
    case 'uint16':
      return (r) => r.uint16();
    case 'int32':
      return (r) => r.int32();
    case 'uint32':
      return (r) => r.uint32();
    case 'int64':
      return (r) => r.int64();
    case 'float64':
      return (r) => r.float64();
    case 'bool':
      return (r) => r.bool();
    case 'uuid':
      return (r) => r.uuid();
    case 'string':
      if (flexible) return nullable ? (r) => r.compactNullableString() : (r) => r.compactString();
      return nullable ? (r) => r.nullableString() : (r) => r.string();
    case 'bytes':
    case 'records':
      if (flexible) return nullable ? (r) => r.compactNullableBytes() : (r) => r.compactBytes();
      return nullable ? (r) => r.nullableBytes() : (r) => r.bytes();
    case 'array': {
      const item = compileValueDecoder(type.items, false, version, flexible, `${path}[]`);
      const itemBytesMin = bytesMin(type.items, version, flexible);
      return (r) => {
        const n = flexible ? r.compactArrayLength(itemBytesMin) : r.arrayLength(itemBytesMin);
        if (n === null) {
          if (!nullable) throw new DecodeError(`${path} is null but not nullable at this version`);
          return null;
        }
        const out = new Array<unknown>(n);
        for (let i = 0; i < n; i++) out[i] = item(r);
        return out;
      };
    }
    case 'struct': {
      const body = compileDecoder(type, version, flexible, path);
      if (!nullable) return body;
      // A nullable struct is preceded by an int8 presence marker (-1 = null, 1 = present).
      return (r) => (r.int8() < 0 ? null : body(r));
    }
  }
}

function compileDecoder(type: StructType<unknown>, version: number, flexible: boolean, path: string): Dec {
  const names: string[] = [];
  const steps: Dec[] = [];
  const tagged = new Map<number, { name: string; decode: Dec }>();
  for (const f of type.fields) {
    names.push(f.name);
    const present = inRange(f.versions, version);
    const isTagged = present && flexible && inRange(f.taggedVersions, version);
    const nullable = inRange(f.nullableVersions, version);
    const fieldPath = `${path}.${f.name}`;
    if (present && !isTagged) {
      steps.push(compileValueDecoder(f.type, nullable, version, flexible, fieldPath));
    } else {
      const make = defaultMaker(f, version);
      steps.push(() => make());
      if (isTagged) {
        tagged.set(f.tag!, { name: f.name, decode: compileValueDecoder(f.type, nullable, version, true, fieldPath) });
      }
    }
  }
  const count = names.length;
  if (!flexible) {
    return (r) => {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < count; i++) o[names[i]!] = steps[i]!(r);
      return o;
    };
  }
  return (r) => {
    const o: Record<string, unknown> = {};
    for (let i = 0; i < count; i++) o[names[i]!] = steps[i]!(r);
    r.taggedFields((tag, fr) => {
      const t = tagged.get(tag);
      if (t === undefined) return false;
      o[t.name] = t.decode(fr);
      return true;
    });
    return o;
  };
}

// ---------------------------------------------------------------------------------------
// Encoder compiler

type Enc = (w: Writer, value: unknown) => void;

function compileValueEncoder(
  type: TypeSpec<unknown>,
  nullable: boolean,
  version: number,
  flexible: boolean,
  path: string,
): Enc {
  const nullCheck = (v: unknown): void => {
    if (v === null && !nullable) throw new EncodeError(`${path} is null but not nullable at version ${version}`);
  };
  switch (type.kind) {
    case 'int8':
      return (w, v) => void w.int8(v as number);
    case 'int16':
      return (w, v) => void w.int16(v as number);
    case 'uint16':
      return (w, v) => void w.uint16(v as number);
    case 'int32':
      return (w, v) => void w.int32(v as number);
    case 'uint32':
      return (w, v) => void w.uint32(v as number);
    case 'int64':
      return (w, v) => void w.int64(v as number);
    case 'float64':
      return (w, v) => void w.float64(v as number);
    case 'bool':
      return (w, v) => void w.bool(v as boolean);
    case 'uuid':
      return (w, v) => {
        nullCheck(v);
        w.uuid(v as Buffer);
      };
    case 'string':
      if (flexible) {
        return nullable
          ? (w, v) => void w.compactNullableString(v as string | null)
          : (w, v) => {
              nullCheck(v);
              w.compactString(v as string);
            };
      }
      return nullable
        ? (w, v) => void w.nullableString(v as string | null)
        : (w, v) => {
            nullCheck(v);
            w.string(v as string);
          };
    case 'bytes':
      if (flexible) {
        return nullable
          ? (w, v) => void w.compactNullableBytes(v as Buffer | null)
          : (w, v) => {
              nullCheck(v);
              w.compactBytes(v as Buffer);
            };
      }
      return nullable
        ? (w, v) => void w.nullableBytes(v as Buffer | null)
        : (w, v) => {
            nullCheck(v);
            w.bytes(v as Buffer);
          };
    case 'records':
      // Records may be large (Fetch): the writer keeps them by reference and copies once.
      return (w, v) => {
        if (v === null) {
          nullCheck(v);
          if (flexible) w.uvarint(0);
          else w.int32(-1);
          return;
        }
        const b = v as Buffer;
        if (flexible) w.uvarint(b.length + 1);
        else w.int32(b.length);
        w.rawRef(b);
      };
    case 'array': {
      const item = compileValueEncoder(type.items, false, version, flexible, `${path}[]`);
      return (w, v) => {
        if (v === null) {
          nullCheck(v);
          if (flexible) w.uvarint(0);
          else w.int32(-1);
          return;
        }
        if (!Array.isArray(v)) throw new EncodeError(`${path} must be an array`);
        const n = v.length;
        if (flexible) w.uvarint(n + 1);
        else w.int32(n);
        for (let i = 0; i < n; i++) item(w, v[i]);
      };
    }
    case 'struct': {
      const body = compileEncoder(type, version, flexible, path);
      if (!nullable) {
        return (w, v) => {
          nullCheck(v);
          body(w, v);
        };
      }
      return (w, v) => {
        if (v === null) {
          w.int8(-1);
          return;
        }
        w.int8(1);
        body(w, v);
      };
    }
  }
}

interface TaggedEncoder {
  readonly tag: number;
  readonly field: FieldDef<string, unknown>;
  readonly encode: Enc;
}

function compileEncoder(type: StructType<unknown>, version: number, flexible: boolean, path: string): Enc {
  const names: string[] = [];
  const steps: Enc[] = [];
  const defaults: Maker[] = [];
  const tagged: TaggedEncoder[] = [];
  for (const f of type.fields) {
    if (!inRange(f.versions, version)) continue;
    const nullable = inRange(f.nullableVersions, version);
    const fieldPath = `${path}.${f.name}`;
    const enc = compileValueEncoder(f.type, nullable, version, flexible, fieldPath);
    if (flexible && inRange(f.taggedVersions, version)) {
      tagged.push({ tag: f.tag!, field: f, encode: enc });
      continue;
    }
    names.push(f.name);
    steps.push(enc);
    defaults.push(defaultMaker(f, version));
  }
  tagged.sort((a, b) => a.tag - b.tag);
  const count = names.length;
  return (w, value) => {
    if (value === null || typeof value !== 'object') throw new EncodeError(`${path} must be an object`);
    const o = value as Record<string, unknown>;
    for (let i = 0; i < count; i++) {
      const v = o[names[i]!];
      steps[i]!(w, v === undefined ? defaults[i]!() : v);
    }
    if (!flexible) return;
    if (tagged.length === 0) {
      w.uvarint(0);
      return;
    }
    writeTaggedFields(w, o, tagged);
  };
}

/** Writes the tagged fields whose values differ from their defaults, in tag order. */
function writeTaggedFields(w: Writer, o: Record<string, unknown>, tagged: readonly TaggedEncoder[]): void {
  const present: TaggedEncoder[] = [];
  for (const t of tagged) {
    if (!isDefaultValue(t.field, t.field.type, o[t.field.name])) present.push(t);
  }
  w.uvarint(present.length);
  for (const t of present) {
    const sub = new Writer(64);
    t.encode(sub, o[t.field.name]);
    const body = sub.toBuffer();
    w.uvarint(t.tag);
    w.uvarint(body.length);
    w.raw(body);
  }
}
