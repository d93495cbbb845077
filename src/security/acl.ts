// Access control lists as Kafka has them (KIP-290 prefixed patterns included): the binding of a
// principal and host to an operation on a resource pattern, ALLOW or DENY; the filters that
// DescribeAcls and DeleteAcls match bindings with; and the decision an authorizer makes from them.
//
// Pure: no clock, no I/O. The broker keeps the bindings in the replicated metadata and asks
// `AclIndex.allowed` (src/broker/authorizer.ts caches the answers per session).
//
// Kafka's rules (its StandardAuthorizer), which `allowed` follows:
// - a binding applies to a resource when its type is the resource's and its pattern is LITERAL
//   with the resource's name or the wildcard `*`, or PREFIXED with a prefix of the name;
// - and to a session when its principal is the session's or `User:*`, and its host the session's or `*`;
// - a DENY for the operation (or for ALL) wins over any ALLOW;
// - an ALLOW for the operation or ALL allows it; READ, WRITE, DELETE and ALTER also allow
//   DESCRIBE, ALTER_CONFIGS also allows DESCRIBE_CONFIGS;
// - nothing applies: denied (Kafka's allow.everyone.if.no.acl.found=false).

/** Kafka's ResourceType codes. ANY is for filters only. */
export const ResourceTypeCode = {
  UNKNOWN: 0,
  ANY: 1,
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
  USER: 7,
} as const;

/** Kafka's PatternType codes. ANY and MATCH are for filters only. */
export const PatternTypeCode = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;

/** Kafka's AclOperation codes. ANY is for filters only. */
export const AclOperationCode = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;

/** Kafka's AclPermissionType codes. ANY is for filters only. */
export const PermissionTypeCode = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;

/** The resource types a binding may name (the ones Runnel has resources of). */
export const resourceTypes = ['TOPIC', 'GROUP', 'CLUSTER', 'TRANSACTIONAL_ID'] as const;
export type ResourceTypeName = (typeof resourceTypes)[number];

export const patternTypes = ['LITERAL', 'PREFIXED'] as const;
export type PatternTypeName = (typeof patternTypes)[number];

/** The operations a binding may name; ALL stands for every one. */
export const aclOperations = [
  'ALL',
  'READ',
  'WRITE',
  'CREATE',
  'DELETE',
  'ALTER',
  'DESCRIBE',
  'CLUSTER_ACTION',
  'DESCRIBE_CONFIGS',
  'ALTER_CONFIGS',
  'IDEMPOTENT_WRITE',
] as const;
export type AclOperationName = (typeof aclOperations)[number];

export const permissionTypes = ['ALLOW', 'DENY'] as const;
export type PermissionTypeName = (typeof permissionTypes)[number];

/** The one name a CLUSTER resource has (Kafka's `kafka-cluster`). */
export const CLUSTER_RESOURCE_NAME = 'kafka-cluster';
/** A LITERAL resource name matching every resource of its type. */
export const WILDCARD_RESOURCE = '*';
/** A principal matching every principal. */
export const WILDCARD_PRINCIPAL = 'User:*';
/** A host matching every host. */
export const WILDCARD_HOST = '*';

export interface AclBinding {
  resourceType: ResourceTypeName;
  resourceName: string;
  patternType: PatternTypeName;
  /** `User:<name>`, or `User:*`. */
  principal: string;
  /** The client's IP address, or `*`. */
  host: string;
  operation: AclOperationName;
  permission: PermissionTypeName;
}

/**
 * A filter over bindings (DescribeAcls, DeleteAcls): 'ANY' or null matches every value of its
 * field; patternType 'MATCH' matches the bindings that would apply to a resource named
 * `resourceName` (LITERAL with that name or `*`, PREFIXED with a prefix of it).
 */
export interface AclFilter {
  resourceType: ResourceTypeName | 'ANY';
  resourceName: string | null;
  patternType: PatternTypeName | 'ANY' | 'MATCH';
  principal: string | null;
  host: string | null;
  operation: AclOperationName | 'ANY';
  permission: PermissionTypeName | 'ANY';
}

/** The operations of each resource type (Kafka's AclEntry.supportedOperations), ALL aside. */
export const supportedOperations: Readonly<Record<ResourceTypeName, readonly AclOperationName[]>> = {
  TOPIC: ['READ', 'WRITE', 'CREATE', 'DESCRIBE', 'DELETE', 'ALTER', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS'],
  GROUP: ['READ', 'DESCRIBE', 'DELETE'],
  CLUSTER: ['CREATE', 'CLUSTER_ACTION', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'IDEMPOTENT_WRITE', 'ALTER', 'DESCRIBE'],
  TRANSACTIONAL_ID: ['DESCRIBE', 'WRITE'],
};

/** An ALLOW of one of these operations also allows the key (Kafka's implied operations). */
const impliedBy: Partial<Record<AclOperationName, readonly AclOperationName[]>> = {
  DESCRIBE: ['DESCRIBE', 'READ', 'WRITE', 'DELETE', 'ALTER'],
  DESCRIBE_CONFIGS: ['DESCRIBE_CONFIGS', 'ALTER_CONFIGS'],
};

/** The name of a wire code in one of the code tables above, or undefined. */
export function nameOfCode<T extends Record<string, number>>(table: T, code: number): keyof T | undefined {
  for (const [name, value] of Object.entries(table)) if (value === code) return name as keyof T;
  return undefined;
}

/** A binding in Kafka's codes, as DescribeAcls and DeleteAcls answer it. */
export interface AclBindingWire {
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

/** A CreateAcls creation. */
export interface AclCreationWire {
  resourceType: number;
  resourceName: string;
  resourcePatternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

/** A DescribeAcls request or DeleteAcls filter. */
export interface AclFilterWire {
  resourceTypeFilter: number;
  resourceNameFilter: string | null;
  patternTypeFilter: number;
  principalFilter: string | null;
  hostFilter: string | null;
  operation: number;
  permissionType: number;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

function isOneOf<T extends string>(list: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (list as readonly string[]).includes(value);
}

/** Why `principal` is not `Type:name`, or null. */
function principalProblem(principal: unknown): string | null {
  if (typeof principal !== 'string' || !/^[^:]+:.+$/.test(principal)) return `principal ${JSON.stringify(principal)} is not of the form User:<name>`;
  return null;
}

/**
 * A binding from its wire codes (CreateAcls), or why it is none. Filters-only values (ANY, MATCH,
 * UNKNOWN), an unknown code, a CLUSTER resource not named kafka-cluster, an operation the
 * resource type does not have, an empty name or host and a principal not `Type:name` are refused,
 * as Kafka refuses them.
 */
export function bindingFromWire(wire: AclCreationWire): Parsed<AclBinding> {
  const resourceType = nameOfCode(ResourceTypeCode, wire.resourceType);
  if (!isOneOf(resourceTypes, resourceType)) return { ok: false, message: `resource type ${wire.resourceType} is not one of ${resourceTypes.join(', ')}` };
  const patternType = nameOfCode(PatternTypeCode, wire.resourcePatternType);
  if (!isOneOf(patternTypes, patternType)) return { ok: false, message: `pattern type ${wire.resourcePatternType} is not LITERAL (3) or PREFIXED (4)` };
  const operation = nameOfCode(AclOperationCode, wire.operation);
  if (!isOneOf(aclOperations, operation)) return { ok: false, message: `operation ${wire.operation} is not an operation a binding may name` };
  const permission = nameOfCode(PermissionTypeCode, wire.permissionType);
  if (!isOneOf(permissionTypes, permission)) return { ok: false, message: `permission type ${wire.permissionType} is not ALLOW (3) or DENY (2)` };
  const binding: AclBinding = { resourceType, resourceName: wire.resourceName, patternType, principal: wire.principal, host: wire.host, operation, permission };
  const problem = bindingProblem(binding);
  return problem ? { ok: false, message: problem } : { ok: true, value: binding };
}

/** Why a binding (from the wire, a command or a snapshot) is not one the authorizer can hold, or null. */
export function bindingProblem(binding: AclBinding): string | null {
  if (typeof binding !== 'object' || binding === null) return 'an ACL binding must be an object';
  if (!isOneOf(resourceTypes, binding.resourceType)) return `resource type ${JSON.stringify(binding.resourceType)} is not one of ${resourceTypes.join(', ')}`;
  if (!isOneOf(patternTypes, binding.patternType)) return `pattern type ${JSON.stringify(binding.patternType)} is not LITERAL or PREFIXED`;
  if (!isOneOf(aclOperations, binding.operation)) return `operation ${JSON.stringify(binding.operation)} is not one of ${aclOperations.join(', ')}`;
  if (!isOneOf(permissionTypes, binding.permission)) return `permission ${JSON.stringify(binding.permission)} is not ALLOW or DENY`;
  if (typeof binding.resourceName !== 'string' || binding.resourceName === '') return 'the resource name must not be empty';
  if (binding.resourceType === 'CLUSTER' && (binding.resourceName !== CLUSTER_RESOURCE_NAME || binding.patternType !== 'LITERAL')) {
    return `the CLUSTER resource is LITERAL "${CLUSTER_RESOURCE_NAME}"`;
  }
  if (binding.operation !== 'ALL' && !supportedOperations[binding.resourceType].includes(binding.operation)) {
    return `operation ${binding.operation} does not apply to ${binding.resourceType} resources`;
  }
  const principal = principalProblem(binding.principal);
  if (principal) return principal;
  if (typeof binding.host !== 'string' || binding.host === '') return 'the host must not be empty (use * for every host)';
  return null;
}

/** Why a filter (from a command) is not one, or null. */
export function filterProblem(filter: AclFilter): string | null {
  if (typeof filter !== 'object' || filter === null) return 'an ACL filter must be an object';
  if (filter.resourceType !== 'ANY' && !isOneOf(resourceTypes, filter.resourceType))
    return `resource type filter ${JSON.stringify(filter.resourceType)} is unknown`;
  if (filter.patternType !== 'ANY' && filter.patternType !== 'MATCH' && !isOneOf(patternTypes, filter.patternType)) {
    return `pattern type filter ${JSON.stringify(filter.patternType)} is unknown`;
  }
  if (filter.operation !== 'ANY' && !isOneOf(aclOperations, filter.operation)) return `operation filter ${JSON.stringify(filter.operation)} is unknown`;
  if (filter.permission !== 'ANY' && !isOneOf(permissionTypes, filter.permission)) return `permission filter ${JSON.stringify(filter.permission)} is unknown`;
  for (const key of ['resourceName', 'principal', 'host'] as const) {
    if (filter[key] !== null && typeof filter[key] !== 'string') return `the ${key} filter must be a string or null`;
  }
  return null;
}

/** A filter from its wire codes (DescribeAcls, DeleteAcls), or why it is none. */
export function filterFromWire(wire: AclFilterWire): Parsed<AclFilter> {
  const resourceType = nameOfCode(ResourceTypeCode, wire.resourceTypeFilter);
  if (resourceType !== 'ANY' && !isOneOf(resourceTypes, resourceType))
    return { ok: false, message: `resource type filter ${wire.resourceTypeFilter} is unknown` };
  const patternType = nameOfCode(PatternTypeCode, wire.patternTypeFilter);
  if (patternType !== 'ANY' && patternType !== 'MATCH' && !isOneOf(patternTypes, patternType)) {
    return { ok: false, message: `pattern type filter ${wire.patternTypeFilter} is unknown` };
  }
  const operation = nameOfCode(AclOperationCode, wire.operation);
  if (operation !== 'ANY' && !isOneOf(aclOperations, operation)) return { ok: false, message: `operation filter ${wire.operation} is unknown` };
  const permission = nameOfCode(PermissionTypeCode, wire.permissionType);
  if (permission !== 'ANY' && !isOneOf(permissionTypes, permission)) return { ok: false, message: `permission type filter ${wire.permissionType} is unknown` };
  return {
    ok: true,
    value: { resourceType, resourceName: wire.resourceNameFilter, patternType, principal: wire.principalFilter, host: wire.hostFilter, operation, permission },
  };
}

/** A binding in Kafka's codes (DescribeAcls, DeleteAcls answers). */
export function bindingToWire(binding: AclBinding): AclBindingWire {
  return {
    resourceType: ResourceTypeCode[binding.resourceType],
    resourceName: binding.resourceName,
    patternType: PatternTypeCode[binding.patternType],
    principal: binding.principal,
    host: binding.host,
    operation: AclOperationCode[binding.operation],
    permissionType: PermissionTypeCode[binding.permission],
  };
}

/** A filter in Kafka's codes (a DescribeAcls request, a DeleteAcls filter). */
export function filterToWire(filter: AclFilter): AclFilterWire {
  return {
    resourceTypeFilter: ResourceTypeCode[filter.resourceType],
    resourceNameFilter: filter.resourceName,
    patternTypeFilter: PatternTypeCode[filter.patternType],
    principalFilter: filter.principal,
    hostFilter: filter.host,
    operation: AclOperationCode[filter.operation],
    permissionType: PermissionTypeCode[filter.permission],
  };
}

/** The filter that matches every binding. */
export const ANY_ACL: Readonly<AclFilter> = Object.freeze({
  resourceType: 'ANY',
  resourceName: null,
  patternType: 'ANY',
  principal: null,
  host: null,
  operation: 'ANY',
  permission: 'ANY',
});

/** Whether the filter selects the binding. */
export function filterMatches(filter: AclFilter, binding: AclBinding): boolean {
  if (filter.resourceType !== 'ANY' && filter.resourceType !== binding.resourceType) return false;
  if (filter.principal !== null && filter.principal !== binding.principal) return false;
  if (filter.host !== null && filter.host !== binding.host) return false;
  if (filter.operation !== 'ANY' && filter.operation !== binding.operation) return false;
  if (filter.permission !== 'ANY' && filter.permission !== binding.permission) return false;
  if (filter.patternType === 'MATCH') return filter.resourceName === null || patternApplies(binding, filter.resourceName);
  if (filter.patternType !== 'ANY' && filter.patternType !== binding.patternType) return false;
  return filter.resourceName === null || filter.resourceName === binding.resourceName;
}

/** Whether the binding's resource pattern covers a resource of its type named `name`. */
function patternApplies(binding: AclBinding, name: string): boolean {
  if (binding.patternType === 'PREFIXED') return name.startsWith(binding.resourceName);
  return binding.resourceName === name || binding.resourceName === WILDCARD_RESOURCE;
}

/** A stable identity of a binding: two equal bindings are one ACL (CreateAcls of an existing one changes nothing). */
export function bindingKey(binding: AclBinding): string {
  return JSON.stringify([
    binding.resourceType,
    binding.patternType,
    binding.resourceName,
    binding.principal,
    binding.host,
    binding.operation,
    binding.permission,
  ]);
}

/** The order DescribeAcls lists bindings in and the snapshot stores them in. */
export function compareBindings(a: AclBinding, b: AclBinding): number {
  const ka = bindingKey(a);
  const kb = bindingKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Who asks: the session's principal and the host it connects from. */
export interface AclSubject {
  principal: string;
  host: string;
}

/**
 * The bindings of one ACL set, arranged for decisions: literal names in a map per resource type,
 * prefixes in a list per type (few in practice; each decision walks them).
 */
export class AclIndex {
  private readonly literal = new Map<ResourceTypeName, Map<string, AclBinding[]>>();
  private readonly prefixed = new Map<ResourceTypeName, AclBinding[]>();
  private readonly superUsers: ReadonlySet<string>;

  constructor(bindings: readonly AclBinding[], superUsers: readonly string[]) {
    this.superUsers = new Set(superUsers);
    for (const binding of bindings) {
      if (binding.patternType === 'PREFIXED') {
        const list = this.prefixed.get(binding.resourceType) ?? [];
        list.push(binding);
        this.prefixed.set(binding.resourceType, list);
        continue;
      }
      let byName = this.literal.get(binding.resourceType);
      if (!byName) {
        byName = new Map();
        this.literal.set(binding.resourceType, byName);
      }
      const list = byName.get(binding.resourceName) ?? [];
      list.push(binding);
      byName.set(binding.resourceName, list);
    }
  }

  /** Whether `subject` may do `operation` on the resource (the rules at the top of this file). */
  allowed(subject: AclSubject, operation: AclOperationName, resourceType: ResourceTypeName, resourceName: string): boolean {
    if (this.superUsers.has(subject.principal)) return true;
    const implying = impliedBy[operation] ?? [operation];
    let allow = false;
    for (const binding of this.applicable(resourceType, resourceName)) {
      if (binding.principal !== subject.principal && binding.principal !== WILDCARD_PRINCIPAL) continue;
      if (binding.host !== subject.host && binding.host !== WILDCARD_HOST) continue;
      if (binding.permission === 'DENY') {
        if (binding.operation === operation || binding.operation === 'ALL') return false;
        continue;
      }
      if (binding.operation === 'ALL' || implying.includes(binding.operation)) allow = true;
    }
    return allow;
  }

  /** Every binding whose pattern covers the resource. */
  private *applicable(resourceType: ResourceTypeName, resourceName: string): Iterable<AclBinding> {
    const byName = this.literal.get(resourceType);
    if (byName) {
      yield* byName.get(resourceName) ?? [];
      if (resourceName !== WILDCARD_RESOURCE) yield* byName.get(WILDCARD_RESOURCE) ?? [];
    }
    for (const binding of this.prefixed.get(resourceType) ?? []) if (resourceName.startsWith(binding.resourceName)) yield binding;
  }
}
