// KIP-430 authorized operations: what Metadata (topics, cluster), DescribeCluster and DescribeGroups
// answer when the client asks for them. Runnel enforces no ACLs, so, as a Kafka broker without an
// authorizer does, every operation Kafka defines for the resource type is allowed, and the answer
// is the bit field of their AclOperation codes. Not asked for, the answer is Kafka's marker for
// "not requested", INT32_MIN.

/** Kafka's AclOperation codes. */
const AclOperation = {
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
} as const;

/** The operations Kafka defines per resource type (its AclEntry.supportedOperations). */
const supported = {
  topic: ['READ', 'WRITE', 'CREATE', 'DESCRIBE', 'DELETE', 'ALTER', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS'],
  group: ['READ', 'DESCRIBE', 'DELETE'],
  cluster: ['CREATE', 'CLUSTER_ACTION', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'IDEMPOTENT_WRITE', 'ALTER', 'DESCRIBE'],
} as const satisfies Record<string, ReadonlyArray<keyof typeof AclOperation>>;

export const AUTHORIZED_OPERATIONS_NOT_REQUESTED = -2147483648;

/** The authorized operations to answer for a resource of `type`, when `requested`. */
export function authorizedOperations(type: keyof typeof supported, requested: boolean): number {
  if (!requested) return AUTHORIZED_OPERATIONS_NOT_REQUESTED;
  return supported[type].reduce((bits, op) => bits | (1 << AclOperation[op]), 0);
}
