// Compiles a message declaration at one version into a specialised encoder and decoder.
//
// The compiler resolves, once per version, which fields are present, nullable or tagged
// and which wire forms they take (compact in flexible versions), and emits straight-line
// JavaScript for them with `new Function`: one function per struct and per array. Each
// generated decoder builds its object with a single object literal, so every decoded
// struct of a kind shares one hidden class, and each property access in the generated
// code sees one shape. On this machine that is about twice as fast as the equivalent
// tree of closures (see docs/protocol.md for the numbers).
//
// Only our own declarations reach the generator, never wire data: field names are
// checked against /^[a-z][A-Za-z0-9]*$/ when declared, and every other string placed in
// the source (paths, defaults) goes through JSON.stringify.

import { invariant } from '../base/invariant.ts';
import { DecodeError, type Reader, Writer } from './primitives.ts';
import { EncodeError, inRange, type FieldDef, type StructType, type TypeSpec } from './schema-types.ts';

export interface CompiledCodec {
  readonly encode: (w: Writer, value: unknown) => void;
  readonly decode: (r: Reader) => unknown;
}

type AnyField = FieldDef<string, unknown>;

const SAFE_NAME = /^[a-z][A-Za-z0-9]*$/;

function prop(name: string): string {
  invariant(SAFE_NAME.test(name), () => `unsafe field name ${JSON.stringify(name)}`);
  return name;
}

// ---------------------------------------------------------------------------------------
// Defaults

const ZERO_UUID = Buffer.alloc(16);

/** True if `value` equals the field's default, so a tagged field need not be written. */
export function isDefaultValue(f: AnyField, value: unknown): boolean {
  if (value === undefined) return true;
  if (f.default !== undefined) return value === f.default;
  const type = f.type;
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
      return value !== null && type.fields.every((sf) => isDefaultValue(sf, (value as Record<string, unknown>)[sf.name]));
    case 'bool':
      return value === false;
    case 'string':
      return value === '';
    default:
      return value === 0;
  }
}

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
        if (inRange(f.versions, version) && !(flexible && inRange(f.taggedVersions, version))) {
          n += bytesMin(f.type, version, flexible);
        }
      }
      return n;
    }
  }
}

// ---------------------------------------------------------------------------------------
// Tagged fields on encode

interface TaggedEncoder {
  readonly field: AnyField;
  readonly encode: (w: Writer, value: unknown) => void;
}

/** A tagged field and the name of its generated value encoder. */
interface TaggedSource {
  readonly field: AnyField;
  readonly fn: string;
}

/** Writes the tagged fields (sorted by tag) whose values differ from their defaults. */
function writeTaggedFields(w: Writer, o: Record<string, unknown>, tagged: readonly TaggedEncoder[]): void {
  let count = 0;
  for (const t of tagged) if (!isDefaultValue(t.field, o[t.field.name])) count++;
  w.uvarint(count);
  for (const t of tagged) {
    const value = o[t.field.name];
    if (isDefaultValue(t.field, value)) continue;
    // The size precedes the value, so the value is written to a scratch writer first.
    const sub = new Writer(64);
    t.encode(sub, value);
    const body = sub.toBuffer();
    w.uvarint(t.field.tag!);
    w.uvarint(body.length);
    w.raw(body);
  }
}

function nullError(path: string, version: number): EncodeError {
  return new EncodeError(`${path} is null but not nullable at version ${version}`);
}

// ---------------------------------------------------------------------------------------
// The generator

class Generator {
  private readonly fns: string[] = [];
  /** Values the generated code reaches as ctx[i]. */
  private readonly ctx: unknown[] = [];
  private nextId = 0;

  constructor(
    private readonly version: number,
    private readonly flexible: boolean,
  ) {}

  private id(prefix: string): string {
    return `${prefix}${this.nextId++}`;
  }

  private constant(value: unknown): string {
    this.ctx.push(value);
    return `ctx[${this.ctx.length - 1}]`;
  }

  private present(f: AnyField): boolean {
    return inRange(f.versions, this.version);
  }

  private tagged(f: AnyField): boolean {
    return this.flexible && inRange(f.taggedVersions, this.version);
  }

  private nullable(f: AnyField): boolean {
    return inRange(f.nullableVersions, this.version);
  }

  /** An expression that yields a fresh default of `f`. */
  private defaultExpr(f: AnyField): string {
    if (f.default !== undefined) return JSON.stringify(f.default);
    return this.typeDefaultExpr(f.type);
  }

  private typeDefaultExpr(type: TypeSpec<unknown>): string {
    switch (type.kind) {
      case 'bool':
        return 'false';
      case 'string':
        return "''";
      case 'bytes':
        return 'Buffer.alloc(0)';
      case 'records':
        return 'null';
      case 'uuid':
        return 'Buffer.alloc(16)';
      case 'array':
        return '[]';
      case 'struct': {
        const name = this.id('m');
        const parts = type.fields.map((f) => `${prop(f.name)}: ${this.defaultExpr(f)}`);
        this.fns.push(`function ${name}() { return { ${parts.join(', ')} }; }`);
        return `${name}()`;
      }
      default:
        return '0';
    }
  }

  // --- decoding ---------------------------------------------------------------------

  /** An expression reading one value of `type` from reader `r`. */
  private readExpr(type: TypeSpec<unknown>, nullable: boolean, path: string, r: string): string {
    const flex = this.flexible;
    switch (type.kind) {
      case 'int8':
      case 'int16':
      case 'uint16':
      case 'int32':
      case 'uint32':
      case 'int64':
      case 'float64':
      case 'bool':
      case 'uuid':
        return `${r}.${type.kind}()`;
      case 'string':
        return `${r}.${flex ? (nullable ? 'compactNullableString' : 'compactString') : nullable ? 'nullableString' : 'string'}()`;
      case 'bytes':
      case 'records':
        return `${r}.${flex ? (nullable ? 'compactNullableBytes' : 'compactBytes') : nullable ? 'nullableBytes' : 'bytes'}()`;
      case 'array':
        return `${this.arrayDecoder(type.items, nullable, path)}(${r})`;
      case 'struct': {
        const fn = this.structDecoder(type, path);
        // A nullable struct is preceded by an int8 presence marker (-1 = null, 1 = present).
        return nullable ? `(${r}.int8() < 0 ? null : ${fn}(${r}))` : `${fn}(${r})`;
      }
    }
  }

  private arrayDecoder(items: TypeSpec<unknown>, nullable: boolean, path: string): string {
    const name = this.id('a');
    const min = bytesMin(items, this.version, this.flexible);
    const item = this.readExpr(items, false, `${path}[]`, 'r');
    const onNull = nullable ? 'return null;' : `throw new DecodeError(${JSON.stringify(`${path} is null but not nullable at this version`)});`;
    this.fns.push(
      `function ${name}(r) {
  const n = r.${this.flexible ? 'compactArrayLength' : 'arrayLength'}(${min});
  if (n === null) ${onNull}
  const out = [];
  for (let i = 0; i < n; i++) out.push(${item});
  return out;
}`,
    );
    return name;
  }

  structDecoder(type: StructType<unknown>, path: string): string {
    const name = this.id('d');
    const parts: string[] = [];
    const cases: string[] = [];
    for (const f of type.fields) {
      const fieldPath = `${path}.${f.name}`;
      if (this.present(f) && !this.tagged(f)) {
        parts.push(`${prop(f.name)}: ${this.readExpr(f.type, this.nullable(f), fieldPath, 'r')}`);
      } else {
        parts.push(`${prop(f.name)}: ${this.defaultExpr(f)}`);
        if (this.present(f)) {
          cases.push(`case ${f.tag!}: o.${prop(f.name)} = ${this.readExpr(f.type, this.nullable(f), fieldPath, 'fr')}; return true;`);
        }
      }
    }
    let tags = '';
    if (this.flexible) {
      if (cases.length === 0) {
        tags = 'r.taggedFields();';
      } else {
        const handler = this.id('t');
        this.fns.push(`function ${handler}(o, tag, fr) {\n  switch (tag) {\n    ${cases.join('\n    ')}\n    default: return false;\n  }\n}`);
        tags = `r.taggedFieldsInto(o, ${handler});`;
      }
    }
    // Object literal properties are evaluated in source order, which is wire order.
    this.fns.push(`function ${name}(r) {\n  const o = {\n    ${parts.join(',\n    ')}\n  };\n  ${tags}\n  return o;\n}`);
    return name;
  }

  // --- encoding ---------------------------------------------------------------------

  /** Statements writing value `v` of `type` to writer `w`. */
  private writeStmt(type: TypeSpec<unknown>, nullable: boolean, path: string, v: string): string {
    const flex = this.flexible;
    const nullCheck = nullable ? '' : `if (${v} === null) throw ${this.constant(nullError(path, this.version))};`;
    switch (type.kind) {
      case 'int8':
      case 'int16':
      case 'uint16':
      case 'int32':
      case 'uint32':
      case 'int64':
      case 'float64':
      case 'bool':
        return `w.${type.kind}(${v});`;
      case 'uuid':
        return `${nullCheck} w.uuid(${v});`;
      case 'string':
        if (nullable) return `w.${flex ? 'compactNullableString' : 'nullableString'}(${v});`;
        return `${nullCheck} w.${flex ? 'compactString' : 'string'}(${v});`;
      case 'bytes':
        if (nullable) return `w.${flex ? 'compactNullableBytes' : 'nullableBytes'}(${v});`;
        return `${nullCheck} w.${flex ? 'compactBytes' : 'bytes'}(${v});`;
      case 'records': {
        // Records may be large (Fetch): the writer keeps them by reference, copied once.
        const writeNull = flex ? 'w.uvarint(0);' : 'w.int32(-1);';
        const writeLength = flex ? `w.uvarint(${v}.length + 1);` : `w.int32(${v}.length);`;
        return `if (${v} === null) { ${nullable ? writeNull : `throw ${this.constant(nullError(path, this.version))};`} } else { ${writeLength} w.rawRef(${v}); }`;
      }
      case 'array':
        return `${this.arrayEncoder(type.items, nullable, path)}(w, ${v});`;
      case 'struct': {
        const fn = this.structEncoder(type, path);
        if (nullable) return `if (${v} === null) { w.int8(-1); } else { w.int8(1); ${fn}(w, ${v}); }`;
        return `${fn}(w, ${v});`;
      }
    }
  }

  private arrayEncoder(items: TypeSpec<unknown>, nullable: boolean, path: string): string {
    const name = this.id('ae');
    const onNull = nullable ? `${this.flexible ? 'w.uvarint(0);' : 'w.int32(-1);'} return;` : `throw ${this.constant(nullError(path, this.version))};`;
    const notArray = this.constant(new EncodeError(`${path} must be an array`));
    const item = this.writeStmt(items, false, `${path}[]`, 'x');
    this.fns.push(
      `function ${name}(w, v) {
  if (v === null) { ${onNull} }
  if (!Array.isArray(v)) throw ${notArray};
  const n = v.length;
  ${this.flexible ? 'w.uvarint(n + 1);' : 'w.int32(n);'}
  for (let i = 0; i < n; i++) { const x = v[i]; ${item} }
}`,
    );
    return name;
  }

  structEncoder(type: StructType<unknown>, path: string): string {
    const name = this.id('e');
    const notObject = this.constant(new EncodeError(`${path} must be an object`));
    const body: string[] = [];
    const tagged: TaggedSource[] = [];
    for (const f of type.fields) {
      if (!this.present(f)) continue;
      const fieldPath = `${path}.${f.name}`;
      if (this.tagged(f)) {
        const fn = this.id('te');
        this.fns.push(`function ${fn}(w, v) { ${this.writeStmt(f.type, this.nullable(f), fieldPath, 'v')} }`);
        tagged.push({ field: f, fn });
        continue;
      }
      const missing = `if (v === undefined) v = ${this.defaultExpr(f)};`;
      body.push(`v = o.${prop(f.name)}; ${missing} ${this.writeStmt(f.type, this.nullable(f), fieldPath, 'v')}`);
    }
    if (this.flexible) {
      if (tagged.length === 0) {
        body.push('w.uvarint(0);');
      } else {
        tagged.sort((a, b) => a.field.tag! - b.field.tag!);
        // The generated functions are referenced by name in an array literal, so the
        // TaggedEncoder list is built inside the generated scope.
        const list = `[${tagged.map((t) => `{ field: ${this.constant(t.field)}, encode: ${t.fn} }`).join(', ')}]`;
        const holder = this.id('tl');
        this.fns.push(`const ${holder} = ${list};`);
        body.push(`writeTaggedFields(w, o, ${holder});`);
      }
    }
    this.fns.push(
      `function ${name}(w, o) {
  if (o === null || typeof o !== 'object') throw ${notObject};
  let v;
  ${body.join('\n  ')}
}`,
    );
    return name;
  }

  /** Builds the functions; `roots` are the names to return. */
  finish<T>(roots: string[]): T[] {
    const source = `'use strict';\n${this.fns.join('\n')}\nreturn [${roots.join(', ')}];`;
    const factory = new Function('ctx', 'DecodeError', 'writeTaggedFields', source) as (
      ctx: unknown[],
      decodeError: typeof DecodeError,
      writeTagged: typeof writeTaggedFields,
    ) => T[];
    return factory(this.ctx, DecodeError, writeTaggedFields);
  }

  /** The generated source, for debugging and docs. */
  source(): string {
    return this.fns.join('\n');
  }
}

/** Compiles the message body (a struct) at `version`. */
export function compileMessage(root: StructType<unknown>, name: string, version: number, flexible: boolean): CompiledCodec {
  const g = new Generator(version, flexible);
  const decodeName = g.structDecoder(root, name);
  const encodeName = g.structEncoder(root, name);
  const [decodeFn, encodeFn] = g.finish<(...args: never[]) => unknown>([decodeName, encodeName]);
  return {
    decode: decodeFn as CompiledCodec['decode'],
    encode: encodeFn as CompiledCodec['encode'],
  };
}

/** The generated JavaScript for one message version (for docs and debugging). */
export function generatedSource(root: StructType<unknown>, name: string, version: number, flexible: boolean): string {
  const g = new Generator(version, flexible);
  g.structDecoder(root, name);
  g.structEncoder(root, name);
  return g.source();
}
