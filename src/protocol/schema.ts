// A small declarative DSL for Kafka messages, and the compiler that turns a declaration
// plus a version into a specialised encoder and decoder.
//
// A message is declared once, with a version range on every field, mirroring the
// Apache Kafka JSON message definitions (see docs/protocol.md). For each version,
// compile.ts resolves once which fields are present, nullable or tagged and which wire
// forms they use (compact in flexible versions), and generates a codec that does no
// further version checks on the hot path. Compiled codecs are cached per version.
//
// Object shape: property names are the lowerCamelCase of the Kafka field names. A
// decoded object carries every declared field; fields absent at the decoded version hold
// their default. int64 values are JS numbers (safe integers), `records` and `bytes`
// are Buffers that view the decoded frame (no copy), `uuid` is a 16-byte Buffer.

import { compileMessage, type CompiledCodec } from './compile.ts';
import { DecodeError, type Reader, Writer } from './primitives.ts';
import {
  NO_VERSIONS,
  inRange,
  parseVersions,
  type FieldDef,
  type FieldOptions,
  type StructType,
  type StructValue,
  type TypeSpec,
  type VersionRange,
} from './schema-types.ts';

export * from './schema-types.ts';

const CAMEL_NAME = /^[a-z][A-Za-z0-9]*$/;

export function field<N extends string, T>(name: N, type: TypeSpec<T>, opts: FieldOptions & { nullableVersions: string }): FieldDef<N, T | null>;
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

// biome-ignore lint/suspicious/noExplicitAny: the default erases the body type for schemas held in tables; compile.ts checks the shape
export interface MessageSchema<T = any> {
  readonly name: string;
  readonly validVersions: VersionRange;
  readonly flexibleVersions: VersionRange;
  readonly fields: readonly FieldDef<string, unknown>[];
  /** Compiled codecs, indexed by version, filled on first use. */
  readonly compiled: (CompiledCodec | undefined)[];
  readonly _value?: T;
}

export type MessageValue<S> = S extends MessageSchema<infer T> ? T : never;

export function message<const F extends readonly FieldDef<string, unknown>[]>(opts: MessageOptions<F>): MessageSchema<StructValue<F>> {
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

function compiledFor(schema: MessageSchema, version: number): CompiledCodec {
  const cached = schema.compiled[version];
  if (cached !== undefined) return cached;
  if (!Number.isInteger(version) || !inRange(schema.validVersions, version)) {
    throw new RangeError(`${schema.name} does not support version ${version}`);
  }
  const flexible = isFlexible(schema, version);
  const root: StructType<unknown> = { kind: 'struct', fields: schema.fields };
  const compiled = compileMessage(root, schema.name, version, flexible);
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
