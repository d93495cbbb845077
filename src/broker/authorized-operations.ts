// KIP-430 authorized operations: what Metadata (topics, cluster), DescribeCluster and DescribeGroups
// answer when the client asks for them: the bit field (1 << AclOperation code) of the operations
// Kafka defines for the resource type that the authorizer allows this session. With the
// authorizer off that is every one of them, as a Kafka broker without an authorizer answers. Not
// asked for, the answer is Kafka's marker for "not requested", INT32_MIN.

import { AclOperationCode, CLUSTER_RESOURCE_NAME, supportedOperations, type ResourceTypeName } from '../security/acl.ts';
import type { Session } from '../security/session.ts';
import type { Authorizer } from './authorizer.ts';

export const AUTHORIZED_OPERATIONS_NOT_REQUESTED = -2147483648;

/** The authorized operations to answer for the resource, when `requested`. */
export function authorizedOperations(
  authorizer: Authorizer,
  session: Session,
  resourceType: ResourceTypeName,
  resourceName: string,
  requested: boolean,
): number {
  if (!requested) return AUTHORIZED_OPERATIONS_NOT_REQUESTED;
  let bits = 0;
  for (const op of supportedOperations[resourceType]) {
    if (authorizer.allowed(session, op, resourceType, resourceName)) bits |= 1 << AclOperationCode[op];
  }
  return bits;
}

/** The cluster's authorized operations (Metadata v8-10, DescribeCluster). */
export function clusterAuthorizedOperations(authorizer: Authorizer, session: Session, requested: boolean): number {
  return authorizedOperations(authorizer, session, 'CLUSTER', CLUSTER_RESOURCE_NAME, requested);
}
