// The declarations of the message DSL (schema.ts): version ranges, wire types and field
// definitions. Their own module so that the compiler (compile.ts) and the DSL (schema.ts), which
// calls the compiler, both import them and neither imports the other in a circle.

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

export type PrimitiveKind = 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'float64' | 'bool' | 'string' | 'bytes' | 'records' | 'uuid';

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
