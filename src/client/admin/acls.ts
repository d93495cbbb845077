// ACLs for the admin client: CreateAcls, DescribeAcls and DeleteAcls, sent to the controller
// (a broker proposes ACL changes through the metadata, as topic changes), in the binding and
// filter shapes of src/security/acl.ts.

import { createAcls, deleteAcls, describeAcls } from '../../protocol/apis/index.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { type AclBinding, type AclBindingWire, type AclFilter, bindingFromWire, bindingToWire, filterToWire } from '../../security/acl.ts';
import type { Cluster } from '../cluster.ts';
import { kafkaError } from '../errors.ts';
import { requestController } from './controller-request.ts';

/** Creates the bindings; rejects with the first one's error (INVALID_REQUEST, CLUSTER_AUTHORIZATION_FAILED, …). */
export async function createAclBindings(cluster: Cluster, bindings: AclBinding[]): Promise<void> {
  const answer = await requestController(cluster, createAcls, {
    creations: bindings.map((b) => {
      const { patternType, ...wire } = bindingToWire(b);
      return { ...wire, resourcePatternType: patternType };
    }),
  });
  answer.results.forEach((r, i) => {
    if (r.errorCode !== ErrorCode.NONE) throw kafkaError(r.errorCode, `create ACL ${describe(bindings[i]!)}`, r.errorMessage);
  });
}

/** The bindings the filter matches. */
export async function describeAclBindings(cluster: Cluster, filter: AclFilter): Promise<AclBinding[]> {
  const answer = await requestController(cluster, describeAcls, filterToWire(filter));
  if (answer.errorCode !== ErrorCode.NONE) throw kafkaError(answer.errorCode, 'describe ACLs', answer.errorMessage);
  return answer.resources.flatMap((r) =>
    r.acls.map((a) => fromAnswer({ resourceType: r.resourceType, resourceName: r.resourceName, patternType: r.patternType, ...a })),
  );
}

/** Deletes what the filters match; resolves with the bindings deleted. */
export async function deleteAclBindings(cluster: Cluster, filters: AclFilter[]): Promise<AclBinding[]> {
  const answer = await requestController(cluster, deleteAcls, { filters: filters.map(filterToWire) });
  const deleted: AclBinding[] = [];
  for (const r of answer.filterResults) {
    if (r.errorCode !== ErrorCode.NONE) throw kafkaError(r.errorCode, 'delete ACLs', r.errorMessage);
    for (const m of r.matchingAcls) deleted.push(fromAnswer(m));
  }
  return deleted;
}

/** A binding a broker answered with; one the client cannot read is an error, not a guess. */
function fromAnswer(wire: AclBindingWire): AclBinding {
  const parsed = bindingFromWire({ ...wire, resourcePatternType: wire.patternType });
  if (!parsed.ok) throw kafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'read an ACL binding', parsed.message);
  return parsed.value;
}

/** "ALLOW User:alice READ on TOPIC orders (LITERAL) from *": a binding in a message. */
export function describe(b: AclBinding): string {
  return `${b.permission} ${b.principal} ${b.operation} on ${b.resourceType} ${b.resourceName} (${b.patternType}) from ${b.host}`;
}
