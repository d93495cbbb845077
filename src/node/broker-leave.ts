// A broker leaving the cluster (docs/cluster.md, "Leaving the cluster"): POST /cluster/leave marks
// a broker as leaving, POST /cluster/force-leave one that is gone for good. From then on the
// controller drains it, a few partition moves per round (each a reassignment without it), removes
// it once no partition names it, and takes it out of the metadata group; the broker itself stops
// once its own removal applied and it is no voter of the metadata group (departure.ts). The
// cluster node calls drain() and removeDepartedMetadataMembers() from its reconcile loop,
// noteApplied() for every command and stopIfDeparted() every tick.

import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { LeaveOutcome } from '../http/cluster-leave.ts';
import type { MetadataGroup } from '../controller/metadata-group.ts';
import { hostingReplicas, type MetadataCommand } from '../metadata/metadata-state.ts';
import type { RaftHost } from '../raft-host/raft-host.ts';
import { handoffTarget } from '../raft-host/leadership-handoff.ts';
import { LogOnce } from '../log/index.ts';
import { Departure } from './departure.ts';

export interface BrokerLeaveOptions {
  /** This broker. */
  nodeId: number;
  metadata: MetadataGroup;
  host: RaftHost;
  /** The metadata group's wire name. */
  metadataGroupName: string;
  logger: Logger;
  /** Brokers with a live transport connection: force-leave refuses them. */
  connectedPeers: () => Set<number>;
  /** At most this many reassignments the controller starts per round for leaving brokers (each is one metadata command). */
  movesPerRoundMax: number;
  /** Two election timeouts: a removed voter that knew no leader this long was removed from the metadata group (departure.ts). */
  leaderlessMsMax: number;
}

export class BrokerLeave {
  /** A drain pass is running (its proposals are awaited one by one). */
  private draining = false;
  private readonly logOnce: LogOnce;
  private readonly leftListeners: Array<() => void> = [];
  private readonly departure: Departure;

  constructor(private readonly o: BrokerLeaveOptions) {
    this.logOnce = new LogOnce(o.logger, { intervalMs: 60_000 });
    this.departure = new Departure(o.leaderlessMsMax);
  }

  /**
   * Marks a broker (undefined: this one) as leaving the cluster (POST /cluster/leave) or, with
   * `force`, one that is gone for good (POST /cluster/force-leave); drain() does the rest.
   */
  async leave(node: number | undefined, force: boolean): Promise<LeaveOutcome> {
    const id = node ?? this.o.nodeId;
    const state = this.o.metadata.state;
    if (!state.broker(id)) {
      return state.isRemoved(id) ? { ok: true, node: id, state: 'removed' } : { ok: false, status: 404, error: `node: broker ${id} is not registered` };
    }
    if (force && (id === this.o.nodeId || this.o.connectedPeers().has(id))) {
      return { ok: false, status: 409, error: `node: broker ${id} is connected; force-leave is for a broker that is gone for good, use /cluster/leave` };
    }
    try {
      const result = await this.o.metadata.propose({ type: 'leaveBroker', nodeId: id });
      if (!result.ok) return { ok: false, status: 409, error: result.message };
    } catch (err) {
      return { ok: false, status: 503, error: `the metadata group did not take the change: ${(err as Error).message}; retry` };
    }
    this.o.logger.warn(
      { broker: id, force },
      force ? "force-leave: the broker's partitions move to other brokers" : "leave: the broker's partitions move to other brokers, then it stops",
    );
    return { ok: true, node: id, state: 'leaving' };
  }

  /** Called once this broker was removed from the cluster (a completed leave) and is no voter of __metadata: the process should stop. */
  onLeft(listener: () => void): void {
    this.leftListeners.push(listener);
  }

  /** Every applied metadata command: this broker's own removal starts its departure (stopIfDeparted). */
  noteApplied(command: MetadataCommand): void {
    if (command.type !== 'removeBroker' || command.nodeId !== this.o.nodeId || this.departure.isRemoved) return;
    this.departure.removed(performance.now());
    this.o.logger.warn({ broker: this.o.nodeId }, 'this broker left the cluster: stopping once it is no voter of the metadata group');
  }

  /** Tells the onLeft listeners once this broker left the cluster and is no voter of __metadata (departure.ts). */
  stopIfDeparted(): void {
    if (!this.departure.isRemoved || this.leftListeners.length === 0) return;
    const node = this.o.host.group(this.o.metadataGroupName);
    const view = { voter: node?.status().config.voters.some((m) => m.id === this.o.nodeId) ?? false, leader: node?.lead ?? 0, nowMs: performance.now() };
    if (!this.departure.mayStop(view)) return;
    this.o.logger.warn({ broker: this.o.nodeId }, 'this broker left the cluster and the metadata group: stopping');
    for (const listener of this.leftListeners.splice(0)) setImmediate(listener);
  }

  /**
   * On the controller: each leaving broker's partitions get a reassignment target without it (the
   * broker with the fewest replicas takes its place; none left, the partition shrinks), and once
   * nothing names it the broker is removed. At most movesPerRoundMax commands per round,
   * one at a time, so placement counts each move already made.
   */
  drain(): void {
    if (this.draining || !this.isController()) return;
    const metadata = this.o.metadata;
    const leaving = metadata.state.leavingBrokerIds();
    if (leaving.length === 0) return;
    this.draining = true;
    void (async () => {
      let commands = 0;
      for (const id of leaving) {
        const named = metadata.state.partitionsOf(id);
        if (named.length === 0) {
          await metadata.propose({ type: 'removeBroker', nodeId: id });
          continue;
        }
        for (const { topic, partition } of named) {
          if (commands >= this.o.movesPerRoundMax || !this.isController()) return;
          const state = metadata.state;
          const current = state.reassignmentTarget(topic.name, partition) ?? topic.assignments[partition];
          // Already moving away (the target no longer names it): wait for the move to complete.
          if (!current.includes(id)) continue;
          const instead = state.leastLoadedBroker(new Set(hostingReplicas(topic, partition)));
          const target = current.flatMap((r) => (r !== id ? [r] : instead !== undefined ? [instead] : []));
          if (target.length === 0) {
            this.logOnce.warn(
              `${id}:${topic.name}-${partition}`,
              { broker: id, topic: topic.name, partition },
              'a leaving broker holds the only replica and no other broker can take it: it stays',
            );
            continue;
          }
          commands++;
          const result = await metadata.propose({ type: 'alterReassignment', topic: topic.name, partition, replicas: target });
          if (!result.ok)
            this.o.logger.warn(
              { broker: id, topic: topic.name, partition, reason: result.message },
              'moving a partition off a leaving broker failed; retrying',
            );
        }
      }
    })()
      .catch((err: unknown) => this.o.logger.info({ reason: (err as Error).message }, 'draining leaving brokers paused; retrying'))
      .finally(() => (this.draining = false));
  }

  /**
   * On the controller: a broker removed from the cluster leaves the metadata group, one change per
   * round; when the controller itself was removed it first hands leadership to another voter
   * (Raft thesis §3.10). Whether a change was started.
   */
  removeDepartedMetadataMembers(): boolean {
    const group = this.o.metadataGroupName;
    const node = this.o.host.group(group);
    if (node?.state !== 'leader') return false;
    const status = node.status();
    if (status.configIndex > status.commit) return false;
    const state = this.o.metadata.state;
    const departed = [...status.config.voters, ...status.config.learners].map((m) => m.id).filter((id) => state.isRemoved(id));
    if (departed.length === 0) return false;
    const other = departed.find((id) => id !== this.o.nodeId);
    if (other !== undefined) {
      const proposed = node.proposeConfChange({ type: 'removeNode', nodeId: other, storageId: '' });
      if (proposed.ok) this.o.logger.warn({ group, broker: other }, 'removing a broker that left the cluster from the metadata group');
      return proposed.ok;
    }
    const to = handoffTarget(status, (id) => !state.isRemoved(id));
    if (to === 0 || !node.transferLeadership(to)) return false;
    this.o.logger.warn({ group, to }, 'this broker left the cluster: handing the controller over');
    return true;
  }

  /** Whether this broker leads the metadata group (is the controller). */
  private isController(): boolean {
    return this.o.host.group(this.o.metadataGroupName)?.state === 'leader';
  }
}
