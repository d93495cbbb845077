// The simulated operator of one Raft group (what the controller does in a broker), shared by
// both simulators: random membership changes, and bringing a node whose disk was wiped back
// under its new storage id (remove the old identity, add the new one as a learner, promote it
// once caught up: two single-server changes, docs/raft.md "Stale identity").

import type { RaftStatus, Rng } from '../../src/raft/index.ts';
import type { ConfChange } from '../../src/raft/types.ts';

export class GroupOperator {
  /** Node whose disk was wiped and that the configuration does not yet name by its new id. */
  pendingWipe = 0;
  private pendingWipeAfter = 0;
  /**
   * Nodes whose replica of this group lost its state or had synced data damaged by an injected
   * fault and is not repaired yet (brought back under a new id, or removed). A damaged replica
   * whose damage is never found stays here: its disk still holds the flipped bit.
   */
  private readonly unrepaired = new Set<number>();

  constructor(
    private readonly rng: Rng,
    private readonly nodes: number,
    /** The storage id node `id` has now (a wipe changes it). */
    private readonly identityOf: (id: number) => string,
  ) {}

  /**
   * Whether a disk may be wiped now. Keeps the run recoverable without a human: one wiped disk
   * at a time, and only when the newest leader's configuration (`st`) is committed and has at
   * least 3 voters, so the other voters still form a quorum that can re-add the wiped node.
   * `uncommittedConfigElsewhere` is asked last: an uncommitted config entry on any other disk
   * could still win and shrink the group.
   */
  mayWipe(st: RaftStatus, uncommittedConfigElsewhere: () => boolean): boolean {
    if (this.pendingWipe !== 0 || st.configIndex > st.commit || st.config.voters.length < 3) return false;
    return !uncommittedConfigElsewhere();
  }

  /**
   * The fault model (issue 10): state is lost or damaged on a minority only. Whether `voters`
   * keep a majority of intact replicas when node `losing` (0: none) loses or damages its state.
   */
  intactMajority(voters: readonly number[], losing = 0): boolean {
    const lost = voters.filter((v) => v === losing || this.unrepaired.has(v)).length;
    return (voters.length - lost) * 2 > voters.length;
  }

  /** A bit flipped in synced data of node `id`'s replica. */
  damaged(id: number): void {
    this.unrepaired.add(id);
  }

  /** Node `id`'s disk was wiped while the leader's commit index was `commit`. */
  wiped(id: number, commit: number): void {
    this.unrepaired.add(id);
    this.pendingWipe = id;
    // Older entries (replayed by restarting nodes) say nothing about the new disk.
    this.pendingWipeAfter = commit;
  }

  /** A committed config entry: one that names the wiped node's new disk (or removes it) ends the wipe. */
  applied(cc: ConfChange, index: number): void {
    if (cc.nodeId !== this.pendingWipe || index <= this.pendingWipeAfter) return;
    if (cc.type !== 'removeNode' && cc.storageId !== this.identityOf(cc.nodeId)) return;
    this.pendingWipe = 0;
    this.unrepaired.delete(cc.nodeId);
  }

  /** The change to propose on the leader whose status is `st`, or null. */
  nextChange(st: RaftStatus): ConfChange | null {
    const conf = st.config;
    const r = this.rng;
    const minVoters = this.nodes >= 5 ? 3 : 2;
    if (this.pendingWipe !== 0) {
      // While a wiped node waits, removing its old identity is the only change the
      // operator makes; it comes back later like any new node (learner, then voter).
      const id = this.pendingWipe;
      const sid = this.identityOf(id);
      const member = [...conf.voters, ...conf.learners].some((m) => m.id === id);
      return member ? { type: 'removeNode', nodeId: id, storageId: '' } : { type: 'addLearner', nodeId: id, storageId: sid };
    }
    const members = new Set([...conf.voters, ...conf.learners].map((m) => m.id));
    const outsiders: number[] = [];
    for (let id = 1; id <= this.nodes; id++) if (!members.has(id)) outsiders.push(id);
    const choice = r.int(0, 3);
    if (choice === 0 && conf.voters.length > minVoters) return { type: 'removeNode', nodeId: r.pick(conf.voters).id, storageId: '' };
    if (choice === 1 && outsiders.length > 0) {
      const id = r.pick(outsiders);
      return { type: 'addLearner', nodeId: id, storageId: this.identityOf(id) };
    }
    if (conf.learners.length > 0) {
      const m = r.pick(conf.learners);
      const pr = st.progress.find((p) => p.id === m.id);
      if (pr?.identityOk && pr.lag < 20) return { type: 'addVoter', nodeId: m.id, storageId: m.storageId };
    }
    return null;
  }
}
