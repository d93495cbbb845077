// Kafka's CooperativeStickyAssignor ("cooperative-sticky", KIP-429): members keep what they
// owned as long as the assignment stays balanced, the rest is spread to the least loaded
// members, and a partition that moves from one live member to another is given to nobody in
// this round: its owner revokes it (it is not in its new assignment) and rejoins, and the next
// rebalance, where nobody owns it any more, hands it to its new member. So no partition is ever
// consumed by two members at once, and members keep consuming what does not move.
//
// Ownership claims are checked by generation (subscription v2+, KIP-792): a claim from an older
// generation than another member's claim on the same partition is dropped; two claims at the
// same generation are both dropped (Kafka logs it as a bug in a client).

import type { TopicPartitions } from '../../protocol/consumer-protocol.ts';
import { type Assignor, type AssignorMember, pairsOf, toTopicPartitions, tpKey } from './assignor.ts';

interface Slot {
  topic: string;
  partition: number;
}

export const cooperativeStickyAssignor: Assignor = {
  name: 'cooperative-sticky',
  rebalanceProtocol: 'COOPERATIVE',
  assign(members: readonly AssignorMember[], partitionCounts: ReadonlyMap<string, number>): Map<string, TopicPartitions> {
    const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
    const subscribed = new Map(sorted.map((m) => [m.memberId, new Set(m.topics)]));
    const all = new Map<string, Slot>();
    for (const topic of [...new Set(sorted.flatMap((m) => m.topics))].sort()) {
      for (let partition = 0; partition < (partitionCounts.get(topic) ?? 0); partition++) all.set(tpKey(topic, partition), { topic, partition });
    }

    const owner = previousOwners(sorted, all, subscribed);
    // Each member's partitions, in the order it owned them, so "keep the first ones" is stable.
    const held = new Map<string, string[]>(sorted.map((m) => [m.memberId, []]));
    for (const [key, memberId] of owner) held.get(memberId)!.push(key);
    const eligibleCount = (key: string) => sorted.filter((m) => subscribed.get(m.memberId)!.has(all.get(key)!.topic)).length;
    // As Kafka's general assignment: partitions that fewer members may take are placed first.
    const unassigned = [...all.keys()].filter((key) => !owner.has(key)).map((key, index) => ({ key, index, n: eligibleCount(key) }));
    unassigned.sort((a, b) => a.n - b.n || a.index - b.index);

    const eligible = (key: string, memberId: string) => subscribed.get(memberId)!.has(all.get(key)!.topic);
    const leastLoaded = (key: string): string | undefined => {
      let best: string | undefined;
      for (const m of sorted) {
        if (eligible(key, m.memberId) && (best === undefined || held.get(m.memberId)!.length < held.get(best)!.length)) best = m.memberId;
      }
      return best;
    };
    for (const { key } of unassigned) {
      const to = leastLoaded(key);
      if (to !== undefined) held.get(to)!.push(key);
    }
    balance(sorted, held, eligible, all.size);

    // Two-phase moves: a partition owned by another live member waits for that member to revoke it.
    const result = new Map<string, TopicPartitions>();
    for (const m of sorted) {
      const keep = held.get(m.memberId)!.filter((key) => {
        const previous = owner.get(key);
        return previous === undefined || previous === m.memberId;
      });
      result.set(m.memberId, toTopicPartitions(keep.map((key): [string, number] => [all.get(key)!.topic, all.get(key)!.partition])));
    }
    return result;
  },
};

/** partition key → the member whose claim on it stands (exists, still subscribed, newest generation, unique). */
function previousOwners(members: readonly AssignorMember[], all: ReadonlyMap<string, Slot>, subscribed: ReadonlyMap<string, Set<string>>): Map<string, string> {
  const claims = new Map<string, { memberId: string; generationId: number; contested: boolean }>();
  for (const m of members) {
    for (const [topic, partition] of pairsOf(m.ownedPartitions)) {
      const key = tpKey(topic, partition);
      if (!all.has(key) || !subscribed.get(m.memberId)!.has(topic)) continue;
      const claim = claims.get(key);
      if (!claim || m.generationId > claim.generationId) claims.set(key, { memberId: m.memberId, generationId: m.generationId, contested: false });
      else if (m.generationId === claim.generationId) claim.contested = true;
    }
  }
  const owners = new Map<string, string>();
  for (const [key, claim] of claims) if (!claim.contested) owners.set(key, claim.memberId);
  return owners;
}

/**
 * Moves partitions from the most loaded member to a less loaded one that may take them until no
 * move narrows the gap (every move lowers the sum of squared loads, so it ends; the count bounds it too).
 */
function balance(
  members: readonly AssignorMember[],
  held: Map<string, string[]>,
  eligible: (key: string, memberId: string) => boolean,
  partitionCount: number,
): void {
  const movesMax = partitionCount * Math.max(1, members.length);
  for (let moves = 0; moves < movesMax; moves++) {
    const byLoad = [...members].sort((a, b) => held.get(b.memberId)!.length - held.get(a.memberId)!.length);
    let moved = false;
    for (const giver of byLoad) {
      const from = held.get(giver.memberId)!;
      for (const taker of [...byLoad].reverse()) {
        const to = held.get(taker.memberId)!;
        if (to.length + 1 >= from.length) break;
        // The giver gives up the partitions it took last, keeping the ones it held longest.
        let index = from.length - 1;
        while (index >= 0 && !eligible(from[index]!, taker.memberId)) index--;
        if (index < 0) continue;
        to.push(from.splice(index, 1)[0]!);
        moved = true;
        break;
      }
      if (moved) break;
    }
    if (!moved) return;
  }
}
