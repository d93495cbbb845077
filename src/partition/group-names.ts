// Names of a hosted partition replica.
//
// `<topic>-<partition>` names the partition for clients, operators and the replica maps; it is
// the same for every incarnation of a topic (a topic deleted and created again under the same
// name). The partition's Raft group is named on the wire `<topic>-<partition>@<topicId>`, so the
// messages of an old incarnation's group (from a broker that missed the deletion) never reach the
// new incarnation's group, and the reverse. '@' never occurs in a topic name, so the name splits
// back unambiguously; the metadata group keeps its own name, `__metadata`.

export function partitionKey(topic: string, index: number): string {
  return `${topic}-${index}`;
}

export function raftGroupName(topic: { name: string; topicId: string }, index: number): string {
  return `${partitionKey(topic.name, index)}@${topic.topicId}`;
}

/** A Raft group name as operators read it: `<topic>-<partition>` and its topic id, or the name as it is. */
export function describeRaftGroup(name: string): { group: string; topicId?: string } {
  const at = name.lastIndexOf('@');
  return at < 0 ? { group: name } : { group: name.slice(0, at), topicId: name.slice(at + 1) };
}
