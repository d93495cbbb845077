// The faults of a replica-simulator run (replica-sim.ts; the table in docs/reliability.md): the
// processes (kill -9, power loss, pause), the network, the disks (slow or failing fsyncs, a full
// disk, damaged raft.state), and the operator (membership changes, leadership transfer, a
// replaced disk, a removed group directory).

import type { RaftStatus } from '../../src/raft/index.ts';
import type { FaultKind } from './replica-profile.ts';
import { ELECTION_TICKS, type Broker, type World } from './replica-world.ts';
import { storageIdOf } from './sim.ts';

/** Per step, the chance that a process whose new term or vote waits on its fsync crashes then. */
const TERM_CRASH_CHANCE = 0.1;

export class Faults {
  private readonly termCrash: boolean;

  constructor(
    private readonly w: World,
    private readonly kinds: readonly FaultKind[],
  ) {
    this.termCrash = kinds.includes('term-crash');
  }

  /**
   * 'term-crash' is not drawn at the fault rate but watched for: each step a process has a new
   * term or vote written and waiting on its fsync, it may be killed (the restart adopts what the
   * page cache kept; half the time the power goes soon after) or lose power.
   */
  onStep(): void {
    if (!this.termCrash) return;
    const w = this.w;
    for (const b of w.brokers) {
      if (b.proc === null || !b.disk.gate.holding || b.proc.termsInFlight.size === 0 || !w.rng.chance(TERM_CRASH_CHANCE)) continue;
      this.crashMidSync(b, w.rng.chance(0.5) ? 'kill-mid-sync' : 'power-mid-sync');
    }
  }

  /** Draws one fault and injects it (some kinds do nothing when their moment is wrong). */
  inject(): void {
    const w = this.w;
    const r = w.rng;
    const kind = r.pick(this.kinds);
    // Half the faults hit a leader: its window between sending and syncing is where early-send
    // and unsynced-term bugs live.
    const leader = r.chance(0.5) ? w.leaderOf(r.pick([...w.groups.keys()]))?.b : undefined;
    const b = leader ?? w.brokers[r.int(0, w.brokers.length)];
    const net = w.net;
    switch (kind) {
      case 'kill': {
        if (b.proc === null) return;
        const down = r.int(1, 6 * ELECTION_TICKS);
        w.note(`kill -9 ${b.id} (down ${down} ticks)`);
        w.crash(b, down);
        return;
      }
      case 'power': {
        // Also while the node is down: a kill -9, then the machine loses power before the restart.
        const wasUp = b.proc !== null;
        if (wasUp) w.crash(b, r.int(1, 4 * ELECTION_TICKS));
        w.note(`power loss ${b.id}${wasUp ? '' : ' (while down)'}: ${b.disk.powerLoss(r)} (down until ${b.downUntilTick})`);
        return;
      }
      case 'kill-mid-sync':
      case 'power-mid-sync': {
        // The most dangerous moment: a process waits on an fsync, its writes are not durable
        // yet; worst when they hold a new term or vote.
        const waiting = w.brokers.filter((o) => o.proc !== null && o.disk.gate.holding);
        if (waiting.length === 0) return;
        const voting = waiting.filter((o) => o.proc!.termsInFlight.size > 0);
        this.crashMidSync(r.pick(voting.length > 0 ? voting : waiting), kind);
        return;
      }
      case 'term-crash':
        return;
      case 'pause': {
        if (b.proc === null || b.pausedUntilTick > w.tick) return;
        const ticks = r.int(1, 4 * ELECTION_TICKS);
        b.pausedUntilTick = w.tick + ticks;
        w.note(`pause ${b.id} (${ticks} ticks)`);
        return;
      }
      case 'isolate':
        w.note(net.isolate(b.id));
        return;
      case 'oneway': {
        const cut = net.cutOneWay(b.id);
        if (cut !== null) w.note(cut);
        return;
      }
      case 'partition':
        w.note(net.partition());
        return;
      case 'heal':
        w.note('heal network');
        net.heal();
        return;
      case 'flap':
        w.note(net.flap(b.id, ELECTION_TICKS));
        return;
      case 'slow-fsync': {
        const ticks = r.int(10, 100);
        b.disk.gate.mode = 'slow';
        b.disk.gate.slowSteps = r.int(1, w.profile.slowSyncStepsMax + 1);
        b.syncFaultUntilTick = w.tick + ticks;
        w.note(`slow fsync on ${b.id}: ${b.disk.gate.slowSteps} steps each, for ${ticks} ticks`);
        return;
      }
      case 'fsync-fail': {
        const ticks = r.int(1, 3 * ELECTION_TICKS);
        b.disk.gate.mode = 'fail';
        b.syncFaultUntilTick = w.tick + ticks;
        w.note(`fsync fails on ${b.id} for ${ticks} ticks`);
        return;
      }
      case 'disk-full': {
        const ticks = r.int(5, 60);
        b.disk.full = true;
        b.fullUntilTick = w.tick + ticks;
        w.note(`disk full on ${b.id} for ${ticks} ticks`);
        return;
      }
      case 'membership':
        this.membershipChange(r.pick([...w.groups.keys()]));
        return;
      case 'transfer':
        this.transfer(r.pick([...w.groups.keys()]));
        return;
      case 'wipe':
        this.wipe(b, 'wipe the disk of');
        return;
      case 'group-wipe':
        this.groupWipe(b, r.pick([...w.groups.values()].filter((g) => g.plan.kind === 'partition').map((g) => g.plan.name)));
        return;
      case 'state-flip':
        this.damage(b, (group) => b.disk.damageState(group, r));
        return;
      case 'log-flip':
        this.damage(b, (group) => b.disk.damageLog(group, r, 'last'));
        return;
      case 'sealed-flip':
        this.damage(b, (group) => b.disk.damageLog(group, r, 'sealed'));
        return;
    }
  }

  private crashMidSync(t: Broker, kind: 'kill-mid-sync' | 'power-mid-sync'): void {
    const w = this.w;
    const r = w.rng;
    const terms = [...t.proc!.termsInFlight];
    const what = terms.length > 0 ? `a new term or vote (${terms.join(', ')})` : 'an fsync';
    w.crash(t, r.int(1, 4 * ELECTION_TICKS));
    if (kind === 'power-mid-sync') {
      w.note(`power loss ${t.id} while ${what} waits on its fsync: ${t.disk.powerLoss(r)} (down until ${t.downUntilTick})`);
      return;
    }
    // The restart adopts what the page cache kept; half the time the machine then loses
    // power soon after (issue 9 item 6: what was adopted must have been made durable).
    if (r.chance(0.5)) t.powerLossAtTick = t.downUntilTick + r.int(1, 10);
    w.note(
      `kill -9 ${t.id} while ${what} waits on its fsync (down until ${t.downUntilTick}${t.powerLossAtTick > 0 ? `, power loss at ${t.powerLossAtTick}` : ''})`,
    );
  }

  private membershipChange(group: string): void {
    const ld = this.w.leaderOf(group);
    if (ld === undefined) return;
    const node = ld.hosted.node;
    const st = node.status();
    const op = this.w.groups.get(group)!.operator;
    const cc = op.nextChange(st);
    if (cc === null) return;
    const voters = st.config.voters.map((m) => m.id).filter((id) => cc.type !== 'removeNode' || id !== cc.nodeId);
    if (cc.type === 'addVoter') voters.push(cc.nodeId);
    if (!op.intactMajority(voters)) {
      this.w.note(`${group}: conf change ${cc.type} ${cc.nodeId} skipped: the voters would have no majority of intact replicas`);
      return;
    }
    const res = node.proposeConfChange(cc);
    if (res.ok) {
      this.w.note(`${group}: conf change ${cc.type} ${cc.nodeId}${cc.storageId ? ` (${cc.storageId})` : ''} at ${res.index}`);
      ld.b.proc!.host.kick();
    }
  }

  private transfer(group: string): void {
    const ld = this.w.leaderOf(group);
    if (ld === undefined) return;
    const to = this.w.rng.pick(ld.hosted.node.status().config.voters).id;
    if (to !== ld.b.id && ld.hosted.node.transferLeadership(to)) {
      this.w.note(`${group}: transfer leadership ${ld.b.id} -> ${to}`);
      ld.b.proc!.host.kick();
    }
  }

  /**
   * Whether `b`'s replica of every group in `groups` may be wiped (or damaged) now
   * (GroupOperator.mayWipe): every other node runs (so its uncommitted config entries are
   * visible) and is not damaged, each group has a leader, and each keeps a majority of voters
   * whose state is intact (the fault model: damage on a minority only; `what` names the fault
   * for the note when that alone stops it). Returns the leaders' statuses.
   */
  private wipeAllowed(b: Broker, groups: readonly string[], what: string): Map<string, RaftStatus> | null {
    const w = this.w;
    if (w.brokers.some((o) => o !== b && (o.proc === null || o.damaged !== null))) return null;
    const statuses = new Map<string, RaftStatus>();
    for (const group of groups) {
      const ld = w.leaderOf(group);
      if (ld === undefined) return null;
      const st = ld.hosted.node.status();
      const others = (): boolean => w.brokers.some((o) => o !== b && o.proc!.groups.get(group)!.node.status().configIndex > st.commit);
      const op = w.groups.get(group)!.operator;
      if (!op.mayWipe(st, others)) return null;
      if (
        !op.intactMajority(
          st.config.voters.map((m) => m.id),
          b.id,
        )
      ) {
        w.note(`${what} ${b.id} skipped: ${group} would have no majority of intact voters`);
        return null;
      }
      statuses.set(group, st);
    }
    return statuses;
  }

  /** A power loss a kill-mid-sync scheduled for after the restart. */
  scheduled(b: Broker): void {
    const w = this.w;
    b.powerLossAtTick = 0;
    if (b.proc === null) return;
    w.crash(b, w.rng.int(1, 4 * ELECTION_TICKS));
    w.note(`power loss ${b.id} after its restart: ${b.disk.powerLoss(w.rng)} (down until ${b.downUntilTick})`);
  }

  /** A disk replaced: the node restarts empty under a new storage id. */
  wipe(b: Broker, what: string): void {
    const w = this.w;
    const statuses = this.wipeAllowed(b, [...w.groups.keys()], what);
    if (statuses === null) return;
    for (const [group, st] of statuses) w.groups.get(group)!.operator.wiped(b.id, st.commit);
    b.incarnation++;
    b.disk = w.newDisk();
    b.damaged = null;
    w.note(`${what} ${b.id} (now ${storageIdOf(b.id, b.incarnation)})`);
    if (b.proc !== null) w.crash(b, w.rng.int(1, 3 * ELECTION_TICKS));
  }

  /**
   * An operator removes one group's directory (its log and raft.state) while the node keeps its
   * identity (issue 9 item 2), with the broker stopped.
   */
  private groupWipe(b: Broker, group: string): void {
    const w = this.w;
    const statuses = this.wipeAllowed(b, [group], `remove the directory of ${group} on`);
    if (statuses === null) return;
    w.groups.get(group)!.operator.wiped(b.id, statuses.get(group)!.commit);
    if (b.proc !== null) w.crash(b, w.rng.int(1, 3 * ELECTION_TICKS));
    b.disk.removeGroup(group);
    w.note(`remove the directory of ${group} on ${b.id} (node keeps storage id ${storageIdOf(b.id, b.incarnation)}; down until ${b.downUntilTick})`);
  }

  /** Power loss, then a bit flipped in synced data of one group (`flip`: in raft.state or in a segment). */
  private damage(b: Broker, flipIn: (group: string) => string | null): void {
    const w = this.w;
    const r = w.rng;
    // A damaged replica may have to be replaced; only where the group survives that (a minority).
    if (this.wipeAllowed(b, [...w.groups.keys()], 'damage on') === null) return;
    const group = r.pick([...w.groups.keys()]);
    const wasUp = b.proc !== null;
    if (wasUp) w.crash(b, r.int(1, 3 * ELECTION_TICKS));
    const lost = b.disk.powerLoss(r);
    const flip = flipIn(group);
    if (flip === null) return;
    b.damaged = flip;
    w.groups.get(group)!.operator.damaged(b.id);
    w.note(`damage on ${b.id}${wasUp ? '' : ' (while down)'}: power loss (${lost}), then ${flip}`);
  }
}
