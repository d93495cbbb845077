// The JSON schema of a raw config (a file, or the environment's overrides),
// generated from FIELDS, and the ajv validator that turns the first problem
// into a message naming the field. Every object has additionalProperties:
// false, so a typo is an error and not a silently ignored setting.
import { Ajv, type ErrorObject, type FuncKeywordDefinition } from 'ajv';
import { showValue } from './errors.ts';
import { FIELDS, type FieldKind } from './fields.ts';
import { LISTENER_NAME_PATTERN } from './listeners.ts';
import { SECURITY_PROTOCOLS } from './types.ts';
import { readAddress, readDuration, readListItem, readMember, readPort, readSize, type DurationRule, type SizeRule } from './values.ts';

type SchemaNode = Record<string, unknown>;

// A list of more members than this is a mistake, not a cluster.
const MEMBERS_MAX = 100;

function leafSchema(kind: FieldKind): SchemaNode {
  switch (kind.type) {
    case 'string':
      return { type: 'string', minLength: 1 };
    case 'optional-string':
      return { type: ['string', 'null'] };
    case 'boolean':
      return { type: 'boolean' };
    case 'integer':
      return kind.max === undefined ? { type: 'integer', minimum: kind.min } : { type: 'integer', minimum: kind.min, maximum: kind.max };
    case 'port':
      return { 'x-port': true };
    case 'duration':
      return { 'x-duration': { min: kind.min, forever: kind.forever === true } };
    case 'size':
      return { 'x-size': { min: kind.min, unlimited: kind.unlimited === true } };
    case 'enum':
      return { type: 'string', enum: [...kind.values] };
    case 'address':
      return { 'x-address': true };
    case 'members':
      return { type: 'array', maxItems: MEMBERS_MAX, items: { 'x-member': true } };
    case 'list':
      return { type: 'array', maxItems: kind.max, items: { [`x-${kind.item}`]: true } };
    case 'listeners':
      return { type: 'array', maxItems: kind.max, items: LISTENER_SCHEMA };
    case 'enum-list':
      return { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', enum: [...kind.values] } };
    case 'ignored':
      return kind.schema;
  }
}

// One entry of `listeners`; unique names and ports are checked by the normaliser (listeners.ts).
const LISTENER_SCHEMA: SchemaNode = {
  type: 'object',
  required: ['name', 'port'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: LISTENER_NAME_PATTERN },
    host: { type: 'string', minLength: 1 },
    port: { 'x-port': true },
    advertised_host: { type: 'string', minLength: 1 },
    advertised_port: { 'x-port': true },
    security_protocol: { type: 'string', enum: [...SECURITY_PROTOCOLS] },
  },
};

function objectSchema(): SchemaNode {
  return { type: 'object', properties: {}, additionalProperties: false };
}

/** The schema for a whole raw config. */
export function buildSchema(): SchemaNode {
  const root = objectSchema();
  for (const spec of FIELDS) {
    const parts = spec.key.split('.');
    let node = root;
    for (const part of parts.slice(0, -1)) {
      const properties = node.properties as Record<string, SchemaNode>;
      properties[part] ??= objectSchema();
      node = properties[part];
    }
    (node.properties as Record<string, SchemaNode>)[parts[parts.length - 1]!] = leafSchema(spec.kind);
  }
  return root;
}

/** Every dotted path the schema knows, objects included ("server", "server.port", ...). */
export function knownPaths(): string[] {
  const paths = new Set<string>();
  for (const spec of FIELDS) {
    const parts = spec.key.split('.');
    for (let i = 1; i <= parts.length; i++) paths.add(parts.slice(0, i).join('.'));
  }
  return [...paths];
}

/** Checks one value; `position` is its index when it sits in a list. */
type Reader = (value: unknown, position: number) => { ok: true } | { ok: false; problem: string };

/** An ajv keyword whose check and message come from one of the readers in values.ts. */
function readerKeyword(keyword: string, schemaType: 'boolean' | 'object', makeReader: (schema: never) => Reader): FuncKeywordDefinition {
  // ajv reads the errors of a function keyword from a property of the function itself.
  const check = Object.assign(
    (schema: never, data: unknown, _parentSchema?: unknown, dataCxt?: { parentDataProperty: string | number }): boolean => {
      const result = makeReader(schema)(data, Number(dataCxt?.parentDataProperty ?? 0));
      check.errors = result.ok ? [] : [{ keyword, message: result.problem, params: {} }];
      return result.ok;
    },
    { errors: [] as Array<Partial<ErrorObject>> },
  );
  return { keyword, schemaType, errors: true, validate: check as unknown as FuncKeywordDefinition['validate'] };
}

function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: false, verbose: true, strict: true, allowUnionTypes: true });
  ajv.addKeyword(readerKeyword('x-port', 'boolean', () => readPort));
  ajv.addKeyword(readerKeyword('x-duration', 'object', (rule: DurationRule) => (value) => readDuration(value, rule)));
  ajv.addKeyword(readerKeyword('x-size', 'object', (rule: SizeRule) => (value) => readSize(value, rule)));
  ajv.addKeyword(readerKeyword('x-address', 'boolean', () => readAddress));
  ajv.addKeyword(readerKeyword('x-member', 'boolean', () => readMember));
  ajv.addKeyword(readerKeyword('x-url', 'boolean', () => (value) => readListItem('url', value)));
  ajv.addKeyword(readerKeyword('x-dns-server', 'boolean', () => (value) => readListItem('dns-server', value)));
  ajv.addKeyword(readerKeyword('x-principal', 'boolean', () => (value) => readListItem('principal', value)));
  return ajv;
}

const ajv = createAjv();
const validateSchema = ajv.compile(buildSchema());
const KNOWN_PATHS = knownPaths();

/** A problem found in a raw config: the dotted field path and what is wrong. */
export interface RawIssue {
  field: string;
  problem: string;
  /** For unknown fields: the known sibling keys, for a "did you mean" hint. */
  siblings?: string[];
}

/** "/cluster/initial_members/1" -> "cluster.initial_members[1]". */
export function pointerToField(pointer: string): string {
  if (pointer === '') return '';
  let field = '';
  for (const raw of pointer.slice(1).split('/')) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(part)) field += `[${part}]`;
    else field += field === '' ? part : `.${part}`;
  }
  return field;
}

function joinField(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

/** What a schema node expects, in words: "an integer 1..1000000", "one of "json", "pretty"". */
export function describeExpected(schema: SchemaNode): string {
  if (Array.isArray(schema.enum)) return `one of ${schema.enum.map((value) => JSON.stringify(value)).join(', ')}`;
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
  if (types.length === 1 && types[0] === 'integer') {
    const { minimum: min, maximum: max } = schema as { minimum?: number; maximum?: number };
    if (min !== undefined && max !== undefined) return `an integer ${min}..${max}`;
    if (min !== undefined) return `an integer >= ${min}`;
    return 'an integer';
  }
  if (types.length === 1 && types[0] === 'string' && schema.minLength === 1) return 'a non-empty string';
  return types.map((type) => TYPE_WORDS[type] ?? type).join(' or ');
}

function issueFrom(error: ErrorObject): RawIssue {
  const field = pointerToField(error.instancePath);
  const parentSchema = (error.parentSchema ?? {}) as SchemaNode;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = (error.params as { additionalProperty: string }).additionalProperty;
      const siblings = Object.keys((parentSchema.properties ?? {}) as SchemaNode);
      return { field: joinField(field, key), problem: 'unknown field', siblings };
    }
    case 'type':
    case 'minimum':
    case 'maximum':
    case 'minLength':
    case 'enum':
      return { field, problem: `must be ${describeExpected(parentSchema)} (got ${showValue(error.data)})` };
    case 'required':
      return { field: joinField(field, (error.params as { missingProperty: string }).missingProperty), problem: 'is required' };
    case 'pattern':
      return { field, problem: `must match ${(error.params as { pattern: string }).pattern} (got ${showValue(error.data)})` };
    case 'maxItems':
      return { field, problem: `must have at most ${(error.params as { limit: number }).limit} entries` };
    case 'minItems':
      return { field, problem: `must have at least ${(error.params as { limit: number }).limit} entries` };
    case 'uniqueItems':
      return { field, problem: 'must not name an entry twice' };
    default:
      // The reader keywords already wrote a full sentence.
      return { field, problem: error.message ?? 'is invalid' };
  }
}

/** Validates a raw config; returns the first problem, or null when it is valid. */
export function findRawIssue(raw: unknown): RawIssue | null {
  if (validateSchema(raw)) return null;
  const error = validateSchema.errors?.[0];
  return error === undefined ? { field: '', problem: 'is invalid' } : issueFrom(error);
}

export function allKnownPaths(): readonly string[] {
  return KNOWN_PATHS;
}
