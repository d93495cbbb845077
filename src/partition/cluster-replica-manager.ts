// The partitions this broker hosts in cluster mode: one Raft group per partition replica, its log
// the partition's segment log (docs/cluster-design.md). It follows the metadata like the
// single-node ReplicaManager: a created topic gets its groups, a deleted one loses them.
//
// Founding a partition group. A replica whose storage is empty writes the group's bootstrap
// configuration only when the topic record's `founders` names it with its own storage id: every
// founding replica then writes byte-identical entries (the same voters, the same storage ids,
// from the replicated metadata). A replica whose disk was wiped has a new storage id, so it
// starts empty with no configuration and never votes as its old self. So does a replica that
// lost its Raft state while the node kept its identity (issue 9 item 2): the node store records
// each hosted group before its state can matter, and at open a recorded group whose raft.state
// is gone, or whose synced data is damaged, starts empty under a new group-level storage id
// (replica-identity.ts), which no `founders` entry names.
//
// Each incarnation of a topic (a new topic id after a delete and create under the same name) has
// its own groups: the Raft group name carries the topic id (group-names.ts), and the founding
// entries name the group, so a log founded for another incarnation is never hosted.
//
// Clients may only use a partition's leader, so `partition()` answers for led partitions only;
// the handlers turn "not here" into NOT_LEADER_OR_FOLLOWER. The preferred leader (the first
// replica of the assignment) campaigns when its group is founded, and a leader that is not the
// preferred one hands leadership back once the preferred replica is caught up, so leadership
// spreads across brokers again after a failure.

import type { Logger } from 'pino';
import type { MetadataState, TopicRecord } from '../metadata/metadata-state.ts';
import type { RaftHost } from '../raft-host/raft-host.ts';
import { RaftNode, Rng } from '../raft/index.ts';
import type { PartitionLog } from '../storage/partition-log.ts';
import { LogDamagedError } from '../storage/errors.ts';
import { foundingGroup, RaftLogStorage } from './raft-log-storage.ts';
import { FileRaftStateStore, raftLogOpenOptions } from './raft-state-store.ts';
import type { ReplicaRegistry } from './replica-identity.ts';
import { ReplicatedPartition } from './replicated-partition.ts';
import { HostedReplicas, type HostedReplicasOptions } from './hosted-replicas.ts';
import { partitionKey, raftGroupName } from './group-names.ts';
import type { LeaderView, PartitionReplica, Replicas } from './replicas.ts';
import type { LedPartition } from './leader-publisher.ts';

export interface RaftTiming {
  electionTicks: number;
  heartbeatTicks: number;
  checkQuorum: boolean;
}

export interface ClusterReplicaManagerOptions extends HostedReplicasOptions {
  /** This broker's disk identity (the node store's storage UUID). */
  storageId: string;
  host: RaftHost;
  raft: RaftTiming;
  /** Seeds each group's election-timeout randomness. */
  random: () => number;
  /** The node store's record of the partition groups this disk holds. */
  registry: ReplicaRegistry;
}

export class ClusterReplicaManager extends HostedReplicas<ReplicatedPartition> implements Replicas {
  private readonly cluster: ClusterReplicaManagerOptions;
  private readonly leadershipListeners: Array<(replica: ReplicatedPartition, leader: number) => void> = [];

  constructor(options: ClusterReplicaManagerOptions, logger: Logger) {
    // Recovery must know each Raft log's stored commit: nothing at or below it is a torn tail.
    super({ ...options, openOptions: (dir) => raftLogOpenOptions(dir) }, logger);
    this.cluster = options;
  }

  /** Opens the replicas, then drops records of groups this disk no longer holds. */
  override async start(state: MetadataState): Promise<void> {
    await super.start(state);
    const hosted = new Set([...this.replicas.values()].map((r) => this.groupNameOf(r)));
    for (const group of this.cluster.registry.recorded()) if (!hosted.has(group)) this.cluster.registry.forget(group);
  }

  /** Called on every leader change of every hosted partition (the group coordinator's load/unload). */
  onLeadership(listener: (replica: ReplicatedPartition, leader: number) => void): void {
    this.leadershipListeners.push(listener);
  }

  /** The partition as Kafka clients see it (Kafka offsets; kafka-offsets-replica.ts), when led and served here. */
  partition(topic: string, index: number): PartitionReplica | undefined {
    return this.servedReplica(topic, index)?.kafka;
  }

  /** Any hosted replica in Kafka offsets: a follower's high watermark is the commit it applied. */
  committedReader(topic: string, index: number): PartitionReplica | undefined {
    return this.replicas.get(partitionKey(topic, index))?.kafka;
  }

  /** The replica itself (log offsets), when led and served here: the group coordinator's own partition. */
  servedReplica(topic: string, index: number): ReplicatedPartition | undefined {
    const replica = this.replicas.get(partitionKey(topic, index));
    return replica?.servesClients ? replica : undefined;
  }

  /** The hosted replica whether or not it leads (status, tests). */
  replica(topic: string, index: number): ReplicatedPartition | undefined {
    return this.replicas.get(partitionKey(topic, index));
  }

  /** The Raft group name of a hosted replica (its topic incarnation's). */
  groupNameOf(replica: ReplicatedPartition): string {
    return raftGroupName({ name: replica.topic, topicId: this.topicIdOf(replica) }, replica.index);
  }

  /** The topic id of a hosted replica's incarnation. */
  topicIdOfReplica(replica: ReplicatedPartition): string {
    return this.topicIdOf(replica);
  }

  allReplicas(): ReplicatedPartition[] {
    return [...this.replicas.values()];
  }

  /** The partitions led and served here (what LeaderPublisher publishes), with their topic ids. */
  *ledPartitions(): Generator<LedPartition> {
    for (const replica of this.replicas.values()) {
      if (!replica.servesClients) continue;
      yield { topic: replica.topic, index: replica.index, topicId: this.topicIdOf(replica), leaderEpoch: replica.leaderEpoch };
    }
  }

  leaderOf(topic: string, index: number): LeaderView {
    const replica = this.replicas.get(partitionKey(topic, index));
    if (!replica) return { leaderId: -1, leaderEpoch: -1, isr: [], epochSeen: -1 };
    if (replica.leaderId === 0) return { leaderId: -1, leaderEpoch: -1, isr: [], epochSeen: replica.leaderEpoch };
    return { leaderId: replica.leaderId, leaderEpoch: replica.leaderEpoch, isr: this.inSync(replica), epochSeen: replica.leaderEpoch };
  }

  leaderEpoch(topic: string, index: number): number {
    return this.leaderOf(topic, index).leaderEpoch;
  }

  /**
   * Hands leadership of each partition led here to its preferred replica (the first of the
   * assignment, or of the reassignment target) when that replica is a caught-up voter, at most
   * `transfersMax` of them (cluster.balance_leaders, limits.max_leader_transfers_per_round: a
   * restart's many moves spread over rounds). Call it periodically; returns the transfers started.
   */
  rebalanceLeadership(state: MetadataState, transfersMax: number): number {
    let transfers = 0;
    for (const replica of this.replicas.values()) {
      if (transfers >= transfersMax) break;
      if (this.handToPreferred(replica, state)) transfers++;
    }
    return transfers;
  }

  electPreferred(topic: string, index: number, state: MetadataState): boolean {
    const replica = this.replicas.get(partitionKey(topic, index));
    return replica !== undefined && this.handToPreferred(replica, state);
  }

  private handToPreferred(replica: ReplicatedPartition, state: MetadataState): boolean {
    const node = replica.raft;
    if (!node || !replica.isLeader) return false;
    // During a reassignment the target's first replica: the one the assignment will start with.
    const preferred = (state.reassignmentTarget(replica.topic, replica.index) ?? state.topic(replica.topic)?.assignments[replica.index])?.[0];
    if (preferred === undefined || preferred === this.options.nodeId) return false;
    const status = node.status();
    const follower = status.progress.find((p) => p.id === preferred);
    if (!follower?.recentActive || !follower.identityOk || follower.match < status.lastIndex) return false;
    if (!status.config.voters.some((m) => m.id === preferred)) return false;
    if (!node.transferLeadership(preferred)) return false;
    this.logger.info({ group: this.groupNameOf(replica), to: preferred }, 'handing leadership to the preferred replica');
    this.cluster.host.kick();
    return true;
  }

  /** A replica a cancel left here stays while its own Raft node counts it a voter (HostedReplicas.keepsCancelled). */
  protected override keepsCancelled(replica: ReplicatedPartition): boolean {
    return replica.raft?.status().config.voters.some((m) => m.id === this.options.nodeId) === true;
  }

  protected override dropped(replica: ReplicatedPartition, topicId: string): void {
    const name = raftGroupName({ name: replica.topic, topicId }, replica.index);
    this.cluster.host.removeGroup(name);
    // The topic was deleted (or the partition moved off this broker): its files go next, and its
    // record with them. This runs inside the metadata apply: a full disk refusing the SQLite write
    // must not stop the broker, and a record left behind is forgotten at the next start (start() drops records of groups not hosted).
    if (this.closing) return;
    try {
      this.cluster.registry.forget(name);
    } catch (err) {
      this.logger.error({ group: name, err: String(err) }, 'forgetting a deleted partition group failed; it is forgotten at the next start');
    }
  }

  protected open(topic: TopicRecord, index: number, log: PartitionLog): ReplicatedPartition | null {
    const { nodeId, storageId, host, registry } = this.cluster;
    const name = raftGroupName(topic, index);
    // The directory says it is this incarnation's (LogManager); its log must agree.
    const founding = foundingGroup(log);
    if (founding !== undefined && founding !== null && founding !== name) {
      this.logger.error({ group: name, founding, dir: log.dir }, 'the partition log was founded for another incarnation of the topic; not hosting it');
      return null;
    }
    const store = new FileRaftStateStore(log.dir);
    let storage: RaftLogStorage;
    let founded = false;
    try {
      storage = new RaftLogStorage(log, store, { storageId, logger: this.logger, group: name, known: registry.holds(name) });
      // Recorded before the group runs, so before it can vote or acknowledge anything.
      registry.record(name);
      founded = this.found(storage, topic, index, name);
    } catch (err) {
      // A full disk refused a write: HostedReplicas opens the replica again later, over the same
      // log; this attempt's state file must not stay open.
      store.close();
      throw err;
    }
    const node = new RaftNode(
      {
        id: nodeId,
        electionTicks: this.cluster.raft.electionTicks,
        heartbeatTicks: this.cluster.raft.heartbeatTicks,
        checkQuorum: this.cluster.raft.checkQuorum,
        preVote: true,
        // The log is the state machine; retention, not Raft snapshots, compacts it.
        snapshotEntries: 0,
      },
      storage,
      new Rng(Math.floor(this.cluster.random() * 0x1_0000_0000)),
    );
    const replica = new ReplicatedPartition(topic.name, index, storage, nodeId, () => host.kick(), this.producerOptions());
    replica.attach(node);
    replica.onLeadership((leader) => {
      for (const listener of this.leadershipListeners) listener(replica, leader);
    });
    // Damage found after open (the scrub, or a read of a segment not CRC-checked yet; B6): the group
    // stops at once, and the replica is opened again over the same log, as a restart would: that
    // open finds the damage and takes the lost-state path (a new storage id, repaired from peers).
    const unsubscribe = storage.onDamage((damage) => {
      const err = new LogDamagedError(damage);
      host.stopGroup(name, err);
      // Not inside the read that found it (the Raft core may be on the stack).
      setImmediate(() => {
        unsubscribe();
        host.removeGroup(name);
        replica.release(err);
        this.reopen(replica);
      });
    });
    host.addGroup(name, node, storage, replica);
    // The preferred leader starts an election at once instead of waiting out a timeout, so a
    // new topic is writable within a round trip and leadership starts out spread.
    if (founded && topic.assignments[index][0] === nodeId) node.campaign();
    return replica;
  }

  /**
   * Writes the founding configuration when the storage is empty and the topic's founders name
   * this disk (see the file comment); returns whether it did.
   */
  private found(storage: RaftLogStorage, topic: TopicRecord, index: number, name: string): boolean {
    if (storage.lastIndex() !== 0 || storage.getHardState().term !== 0) return false;
    const assignment = topic.assignments[index];
    const founders = topic.founders?.[index];
    const mine = assignment.indexOf(this.cluster.nodeId);
    // A replica that lost its state runs under an id no founders entry names, so it never founds.
    if (founders && founders[mine] === storage.storageId && founders.every((id) => id !== '')) {
      try {
        storage.bootstrap({ voters: assignment.map((id, k) => ({ id, storageId: founders[k] })), learners: [] }, name);
      } catch (err) {
        // A founding cut short (a full disk) must not stay: a prefix of the founding entries names
        // only some of the voters, and a replica that believes it is the only one elects itself.
        // Nothing was sent yet, so the log goes back to empty and the next attempt founds again.
        if (storage.lastIndex() > 0) storage.log.truncateToRaftIndex(1);
        throw err;
      }
      return true;
    }
    if (storage.lostReason === null) {
      this.logger.warn(
        { group: name, storageId: storage.storageId, founders: founders ?? null },
        'partition storage is empty and the founding configuration does not name this disk: starting empty, waiting to be added',
      );
    }
    return false;
  }

  private inSync(replica: ReplicatedPartition): number[] {
    const node = replica.raft;
    if (!node) return [];
    const status = node.status();
    if (status.state !== 'leader') return status.config.voters.map((m) => m.id);
    // Kafka's ISR, read off Raft: the leader and the voters that are active and hold the commit.
    return status.config.voters
      .map((m) => m.id)
      .filter((id) => id === this.options.nodeId || status.progress.some((p) => p.id === id && p.recentActive && p.match >= status.commit));
  }
}
