// When a broker that left the cluster (its removeBroker applied: its partitions moved away) may
// stop (issue 11, leave: "partitions move first, then it leaves the metadata group, then it
// stops"). A voter of `__metadata` that stopped before the controller removed it from the group
// would count as a failed voter: two of three voters leaving at once then left the group without
// a quorum for good (the grow/shrink test found it). So it stops only once it is no voter:
//  - its configuration names it a learner or not at all (a learner's absence costs no quorum), or
//  - it has known no leader for `leaderlessMsMax` (two election timeouts): the controller removed
//    it, and a leader stops replicating to a member it removed, so the removal entry never
//    reaches it (Raft thesis §4.2.2); its pre-votes are ignored by the others meanwhile.
// While it still leads `__metadata`, the controller's own loop hands leadership over first.
// Pure: the caller feeds the group's view and the time.

export interface DepartureView {
  /** Whether this broker's copy of the metadata group configuration names it a voter. */
  voter: boolean;
  /** The leader this broker knows of the metadata group (0: none). */
  leader: number;
  nowMs: number;
}

export class Departure {
  private removedAtMs: number | null = null;
  private leaderlessSinceMs: number | null = null;
  private readonly leaderlessMsMax: number;

  constructor(leaderlessMsMax: number) {
    this.leaderlessMsMax = leaderlessMsMax;
  }

  /** The broker's removeBroker applied. */
  removed(nowMs: number): void {
    this.removedAtMs ??= nowMs;
  }

  get isRemoved(): boolean {
    return this.removedAtMs !== null;
  }

  /** Whether the broker may stop now: removed, and no voter of the metadata group any more. */
  mayStop(view: DepartureView): boolean {
    if (this.removedAtMs === null) return false;
    if (!view.voter) return true;
    if (view.leader !== 0) {
      this.leaderlessSinceMs = null;
      return false;
    }
    this.leaderlessSinceMs ??= view.nowMs;
    return view.nowMs - this.leaderlessSinceMs >= this.leaderlessMsMax;
  }
}
