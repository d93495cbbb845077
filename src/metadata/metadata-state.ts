// The cluster metadata state machine: topics, their partitions and configs, the brokers.
//
// It is pure and deterministic: `apply(command)` is the only way to change it, commands carry every
// value that was chosen by whoever proposed them (topic ids, timestamps), and the result of applying
// the same commands in the same order is the same on every node. A single node applies commands
// directly; in cluster mode the same commands are entries of the metadata Raft group.

import { collisionKey, topicNameProblem } from './topic-names.ts';
import { applyConfigOps, brokerResourceProblem, type ConfigOp, type ConfigResource } from './config-changes.ts';
import type { DynamicBrokerConfigs } from './topic-configs.ts';
import { ScramCredentialTable, type ScramCredentialRecord, type ScramDeletion, type ScramUser } from './scram-credentials.ts';
import type { StoredScramCredential } from '../security/credentials.ts';
import type { ScramMechanism } from '../security/scram-crypto.ts';
import { bindingKey, bindingProblem, compareBindings, filterMatches, filterProblem, type AclBinding, type AclFilter } from '../security/acl.ts';

export interface TopicRecord {
  name: string;
  /** 32 lowercase hex digits: the topic's UUID (Kafka's topic id, Metadata v10+). */
  topicId: string;
  partitionCount: number;
  replicationFactor: number;
  /** Topic-level config overrides (retention.ms, segment.bytes, ...), as strings like Kafka's. */
  configs: Record<string, string>;
  /** For each partition, the broker ids of its replicas; the first is the preferred leader. */
  assignments: number[][];
  createdAtMs: number;
  /**
   * Cluster mode: for each partition, the storage ids of its replicas when the partition was
   * created, filled in by apply() from the broker records (so identical on every broker). A
   * replica whose partition storage is empty founds the partition's Raft group with exactly
   * this configuration, and only if it names the replica with its own storage id; a broker
   * with a wiped disk therefore never founds a group again (docs/cluster-design.md).
   */
  founders?: string[][];
  /**
   * Cluster mode: for each partition, the leader its replicas last published (publishLeaders),
   * null where none was yet. Absent in snapshots written before it existed. Brokers that host no
   * replica of the partition answer Metadata from it: a hint, as Kafka's metadata is.
   */
  leaders?: Array<PublishedLeader | null>;
  /**
   * Cluster mode: for each partition, the replica list a reassignment in flight moves it to (KIP-455's
   * target replicas), null where none is. While one is, `assignments` keeps the replicas the
   * partition had before (a cancel goes back to them); the partition's Raft leader moves the group
   * one change at a time and, once its configuration is the target, proposes
   * completeReassignment, which makes the target the assignment. Absent in snapshots written
   * before it existed: nothing in flight.
   */
  targets?: Array<number[] | null>;
  /**
   * Cluster mode: for each partition, the brokers a cancelled reassignment had added (null or
   * absent: none). They host their replica on until the group is its assignment again: one may
   * be a voter the group still needs (its original replicas down, or removed before the cancel),
   * so it votes until the leader has removed it, and the leader's completeReassignment (replicas
   * = the assignment) clears the list, which makes them delete their replicas. A broker whose
   * own replica is no voter lets go at once (docs/cluster.md, "Reassignment"). Absent in snapshots
   * written before it existed.
   */
  cancelled?: Array<number[] | null>;
}

/** A partition's leader as the metadata group records it: its broker and Raft term (the leader epoch). */
export interface PublishedLeader {
  leaderId: number;
  leaderEpoch: number;
}

/** One partition's leader in a publishLeaders command; the topic id names the incarnation. */
export interface LeaderPublication extends PublishedLeader {
  topicId: string;
  partition: number;
}

/**
 * At most this many partitions in one publishLeaders command (about 100 bytes of JSON each, so an
 * entry stays near 100 KB); a proposer with more splits them over several windows.
 */
export const PUBLISHED_LEADERS_PER_COMMAND_MAX = 1_000;

/** Where clients reach a broker on one of its listeners (Kafka's BrokerRegistration endpoints). */
export interface BrokerEndpoint {
  /** The listener's name: a client is told the endpoints of the listener it came in on. */
  name: string;
  host: string;
  port: number;
  securityProtocol: string;
}

/** At most this many ACL bindings in the cluster (each decision walks the ones that apply; the snapshot holds all). */
export const ACL_BINDINGS_MAX = 10_000;
/** At most this many bindings or filters in one createAcls or deleteAcls command. */
export const ACLS_PER_COMMAND_MAX = 1_000;

export interface BrokerRecord {
  nodeId: number;
  /** The endpoint of the broker's first listener; a record without `listeners` has only this one, named PLAINTEXT. */
  host: string;
  port: number;
  rack: string | null;
  /** Cluster mode: the storage id of the broker's disk (its Raft identity); absent on a single node. */
  storageId?: string;
  /** Cluster mode: where peers reach the broker's Raft transport (cluster.raft_address). */
  raftAddress?: string;
  /** Every listener's advertised endpoint, the first being host/port; absent in records written before listeners existed. */
  listeners?: BrokerEndpoint[];
}

/** What a broker registers about its Kafka listeners: the first one's host/port and all of them. */
export type KafkaEndpoints = Pick<BrokerRecord, 'host' | 'port'> & { listeners: BrokerEndpoint[] };

export type MetadataCommand =
  /**
   * Names the cluster, once: the first controller of a new cluster proposes its own random id,
   * so every broker of the cluster reports the same one. Later attempts fail and change nothing.
   */
  | { type: 'initCluster'; clusterId: string }
  | { type: 'registerBroker'; broker: BrokerRecord }
  | { type: 'createTopic'; topic: TopicRecord }
  | { type: 'deleteTopic'; name: string }
  | { type: 'createPartitions'; name: string; assignments: number[][] }
  /**
   * Hands out the producer ids [firstId, firstId + count) (KIP-98 InitProducerId) to one broker.
   * The proposer names the first id it expects, so two brokers racing for a block cannot both get
   * it: the second command fails and that broker asks again. Ids never repeat, even across
   * restarts, because the counter lives in the replicated, persisted metadata.
   */
  | { type: 'allocateProducerIds'; nodeId: number; firstId: number; count: number }
  /**
   * Records partition leaders (a leading replica publishes itself once it serves clients), so
   * every broker can name them. An entry whose epoch is below the one recorded is stale and
   * ignored, as is one for a topic incarnation or partition that no longer exists (the command
   * may apply long after it was proposed); one with a higher epoch replaces the record.
   */
  | { type: 'publishLeaders'; leaders: LeaderPublication[] }
  /**
   * Changes a topic's or a broker's dynamic configs (AlterConfigs with `replace`: the operations
   * are the whole new set; IncrementalAlterConfigs: only the named configs change). The proposer
   * validated them; apply() checks them again, so a command never leaves a bad value behind.
   * Broker resource "" is the default of every broker, a broker id one broker's own.
   */
  | { type: 'alterConfigs'; resource: ConfigResource; replace: boolean; ops: ConfigOp[] }
  /**
   * Starts (or changes) a partition's reassignment to `replicas`, or cancels the one in flight with
   * null (AlterPartitionReassignments, KIP-455). Every named broker must be registered, no id twice.
   * A target equal to the assignment ends a reassignment in flight (nothing left to move). A cancel
   * records the brokers the target added in `cancelled`, which host on until completeReassignment.
   */
  | { type: 'alterReassignment'; topic: string; partition: number; replicas: number[] | null }
  /**
   * The partition's Raft group has exactly the target as its configuration: the target becomes
   * the assignment. Proposed by the group's leader; the topic id names the incarnation and
   * `replicas` the target it reached, so a completion that applies after a cancel or another
   * alteration (or after the topic was deleted) fails and changes nothing. With no target in flight
   * but brokers left by a cancel, `replicas` equal to the assignment says the group is back to it:
   * the cancel is done and those brokers delete their replicas.
   */
  | { type: 'completeReassignment'; topicId: string; partition: number; replicas: number[] }
  /**
   * Marks a registered broker as leaving (leave, or force-leave of a dead one): new topics place no
   * replica on it, reassignments may not name it, and the controller gives each of its partitions a
   * target without it. Idempotent.
   */
  | { type: 'leaveBroker'; nodeId: number }
  /**
   * The leaving broker holds no partition any more: its record goes, and its id is remembered as
   * removed (the controller then takes it out of the metadata group). Refused while a partition
   * (assignment or reassignment target) still names it.
   */
  | { type: 'removeBroker'; nodeId: number }
  /**
   * An unsafe recovery shrank the partition's Raft group to `replicas` (its survivors: a
   * non-empty part of the assignment, no id twice), because the others are lost for good: they
   * become the assignment. The topic id names the incarnation (the command may apply after the
   * topic was deleted and created again: then it fails and changes nothing).
   */
  | { type: 'recoverAssignment'; topicId: string; partition: number; replicas: number[] }
  /**
   * Deletes and sets SASL users' SCRAM credentials (AlterUserScramCredentials), deletions first.
   * The proposer validated each entry (docs/security.md, "SASL"); apply() refuses the whole
   * command if one is malformed.
   */
  | { type: 'alterScramCredentials'; deletions: ScramDeletion[]; upsertions: ScramCredentialRecord[] }
  /**
   * Adds ACL bindings (CreateAcls). A binding equal to one that exists changes nothing, as in
   * Kafka. Every binding is checked (bindingProblem); one bad binding or going past
   * ACL_BINDINGS_MAX fails the whole command and changes nothing.
   */
  | { type: 'createAcls'; bindings: AclBinding[] }
  /**
   * Removes every binding any of the filters matches (DeleteAcls). The proposer reads what
   * matches before it proposes, to answer with it; apply() matches again, so a binding created
   * in between by another broker goes too, as the operator asked.
   */
  | { type: 'deleteAcls'; filters: AclFilter[] };

export type ApplyResult = { ok: true } | { ok: false; error: MetadataErrorKind; message: string };

export type MetadataErrorKind =
  | 'TOPIC_ALREADY_EXISTS'
  | 'UNKNOWN_TOPIC_OR_PARTITION'
  | 'INVALID_TOPIC_EXCEPTION'
  | 'INVALID_PARTITIONS'
  | 'INVALID_CONFIG'
  | 'INVALID_REPLICA_ASSIGNMENT'
  | 'NO_REASSIGNMENT_IN_PROGRESS'
  | 'INVALID_REQUEST';

export interface MetadataSnapshot {
  clusterId: string;
  brokers: BrokerRecord[];
  topics: TopicRecord[];
  /** Brokers leaving the cluster (leaveBroker); absent in snapshots written before it existed (= none). */
  leaving?: number[];
  /** Brokers removed from the cluster (removeBroker), with the storage id they had; absent = none. */
  removed?: Array<{ nodeId: number; storageId: string }>;
  /** The next producer id to hand out; absent in snapshots written before it existed (= 0). */
  nextProducerId?: number;
  /** Dynamic broker configs by resource name ("" = every broker); absent before they existed. */
  brokerConfigs?: Record<string, Record<string, string>>;
  /** SASL users' SCRAM credentials (salted and hashed); absent before they existed (= none). */
  scram?: ScramCredentialRecord[];
  /** ACL bindings (CreateAcls), in compareBindings order; absent = none. */
  acls?: AclBinding[];
}

export class MetadataState {
  /** '' until a new cluster's first controller names it (initCluster); a single node names itself. */
  private clusterIdValue: string;
  private readonly brokers = new Map<number, BrokerRecord>();
  private readonly topics = new Map<string, TopicRecord>();
  private readonly topicsById = new Map<string, TopicRecord>();
  private readonly collisionKeys = new Map<string, string>();
  private nextProducerIdValue = 0;
  /** Dynamic broker configs by resource name; each record is replaced, never changed in place. */
  private readonly brokerConfigs = new Map<string, Record<string, string>>();
  private readonly leavingBrokers = new Set<number>();
  /** Removed broker id → the storage id it had (a registration from that disk is refused). */
  private readonly removedBrokers = new Map<number, string>();
  private readonly scram = new ScramCredentialTable();
  /** ACL bindings by bindingKey. */
  private readonly aclBindings = new Map<string, AclBinding>();
  /** Counts ACL changes (and restores) in this process: a cache of decisions keys on it. Not replicated. */
  private aclVersionValue = 0;

  constructor(snapshot: MetadataSnapshot) {
    this.clusterIdValue = snapshot.clusterId;
    this.restore(snapshot);
  }

  get clusterId(): string {
    return this.clusterIdValue;
  }

  /**
   * Replaces the whole state with a snapshot of the same cluster (undo of an unsaved change, an
   * installed Raft snapshot). `copy` false hands the snapshot's records over to the state (a
   * snapshot just parsed from JSON, which nothing else holds): a large one restores faster.
   */
  restore(snapshot: MetadataSnapshot, copy = true): void {
    if (this.clusterIdValue === '') this.clusterIdValue = snapshot.clusterId;
    if (snapshot.clusterId !== this.clusterId) throw new Error(`snapshot of cluster ${snapshot.clusterId} cannot restore ${this.clusterId}`);
    this.brokers.clear();
    this.topics.clear();
    this.topicsById.clear();
    this.collisionKeys.clear();
    this.nextProducerIdValue = snapshot.nextProducerId ?? 0;
    this.brokerConfigs.clear();
    for (const [name, configs] of Object.entries(snapshot.brokerConfigs ?? {})) this.brokerConfigs.set(name, { ...configs });
    this.leavingBrokers.clear();
    this.removedBrokers.clear();
    for (const id of Array.isArray(snapshot.leaving) ? snapshot.leaving : []) this.leavingBrokers.add(id);
    for (const r of Array.isArray(snapshot.removed) ? snapshot.removed : []) this.removedBrokers.set(r.nodeId, r.storageId);
    for (const broker of snapshot.brokers) this.brokers.set(broker.nodeId, copy ? structuredClone(broker) : broker);
    this.scram.restore(snapshot.scram);
    for (const topic of snapshot.topics) this.insertTopic(copy ? structuredClone(topic) : topic);
    this.aclBindings.clear();
    this.aclVersionValue++;
    // A snapshot is read as it is: a binding that is not one (damage, a newer broker's kind) is left out.
    for (const binding of Array.isArray(snapshot.acls) ? snapshot.acls : []) {
      if (bindingProblem(binding) === null) this.aclBindings.set(bindingKey(binding), copyBinding(binding));
    }
  }

  apply(command: MetadataCommand): ApplyResult {
    switch (command.type) {
      case 'initCluster':
        if (this.clusterIdValue !== '') {
          return { ok: false, error: 'INVALID_REQUEST', message: `the cluster is already named ${this.clusterIdValue}` };
        }
        if (command.clusterId === '') return { ok: false, error: 'INVALID_REQUEST', message: 'a cluster id must not be empty' };
        this.clusterIdValue = command.clusterId;
        return { ok: true };
      case 'registerBroker':
        return this.registerBroker(command.broker);
      case 'leaveBroker':
        if (!this.brokers.has(command.nodeId)) return { ok: false, error: 'INVALID_REQUEST', message: `broker ${command.nodeId} is not registered` };
        this.leavingBrokers.add(command.nodeId);
        return { ok: true };
      case 'removeBroker':
        return this.removeBroker(command.nodeId);
      case 'createTopic':
        return this.createTopic(command.topic);
      case 'deleteTopic':
        return this.deleteTopic(command.name);
      case 'createPartitions':
        return this.createPartitions(command.name, command.assignments);
      case 'allocateProducerIds':
        if (command.firstId !== this.nextProducerIdValue || command.count < 1) {
          return { ok: false, error: 'INVALID_REQUEST', message: `the next producer id is ${this.nextProducerIdValue}, not ${command.firstId}` };
        }
        this.nextProducerIdValue += command.count;
        return { ok: true };
      case 'publishLeaders':
        return this.publishLeaders(command.leaders);
      case 'alterConfigs':
        return this.alterConfigs(command.resource, command.replace, command.ops);
      case 'alterReassignment':
        return this.alterReassignment(command.topic, command.partition, command.replicas);
      case 'completeReassignment':
        return this.completeReassignment(command.topicId, command.partition, command.replicas);
      case 'recoverAssignment':
        return this.recoverAssignment(command.topicId, command.partition, command.replicas);
      case 'alterScramCredentials': {
        const problem = this.scram.alter(command.deletions, command.upsertions);
        return problem ? { ok: false, error: 'INVALID_REQUEST', message: problem } : { ok: true };
      }
      case 'createAcls':
        return this.createAcls(command.bindings);
      case 'deleteAcls':
        return this.deleteAcls(command.filters);
      default:
        // A command from a newer broker (or damaged input): refused, never a crash.
        return { ok: false, error: 'INVALID_REQUEST', message: `unknown metadata command ${JSON.stringify((command as { type?: unknown }).type)}` };
    }
  }

  /** The leader the partition's replicas last published, if any (a hint: it may have moved since). */
  publishedLeader(name: string, partition: number): PublishedLeader | undefined {
    const recorded = this.topics.get(name)?.leaders?.[partition];
    // A snapshot is read as it is: a record that is not two integers is no answer.
    if (!recorded || !Number.isSafeInteger(recorded.leaderId) || !Number.isSafeInteger(recorded.leaderEpoch)) return undefined;
    return recorded;
  }

  /**
   * The dynamic broker configs in force on broker `nodeId`. The records are replaced on every
   * change, so a caller may keep them as a cache key.
   */
  dynamicBrokerConfigs(nodeId: number): DynamicBrokerConfigs {
    return { node: this.brokerConfigs.get(String(nodeId)) ?? EMPTY, cluster: this.brokerConfigs.get('') ?? EMPTY };
  }

  /** The dynamic configs set on one broker resource ("" = every broker). */
  brokerConfigsOf(name: string): Readonly<Record<string, string>> {
    return this.brokerConfigs.get(name) ?? EMPTY;
  }

  /** Whether the broker is leaving the cluster (leaveBroker). */
  isLeaving(nodeId: number): boolean {
    return this.leavingBrokers.has(nodeId);
  }

  /** Brokers leaving the cluster, ascending. */
  leavingBrokerIds(): number[] {
    return [...this.leavingBrokers].sort((a, b) => a - b);
  }

  /** Whether the broker was removed from the cluster (removeBroker). */
  isRemoved(nodeId: number): boolean {
    return this.removedBrokers.has(nodeId);
  }

  /** The brokers new replicas may be placed on: registered and not leaving, ascending. */
  placementBrokers(): BrokerRecord[] {
    return this.allBrokers().filter((b) => !this.leavingBrokers.has(b.nodeId));
  }

  /** Every partition that names the broker (assignment or reassignment target). */
  partitionsOf(nodeId: number): Array<{ topic: TopicRecord; partition: number }> {
    const found: Array<{ topic: TopicRecord; partition: number }> = [];
    for (const topic of this.allTopics()) {
      for (let p = 0; p < topic.partitionCount; p++) if (hostingReplicas(topic, p).includes(nodeId)) found.push({ topic, partition: p });
    }
    return found;
  }

  /**
   * The broker a new replica should go to: of the placement brokers not in `exclude`, the one
   * hosting the fewest replicas (assignments and targets), the lowest id among equals; undefined
   * when none is left.
   */
  leastLoadedBroker(exclude: ReadonlySet<number>): number | undefined {
    const load = new Map(
      this.placementBrokers()
        .filter((b) => !exclude.has(b.nodeId))
        .map((b) => [b.nodeId, 0]),
    );
    for (const topic of this.topics.values()) {
      for (let p = 0; p < topic.partitionCount; p++) for (const id of hostingReplicas(topic, p)) if (load.has(id)) load.set(id, load.get(id)! + 1);
    }
    let best: number | undefined;
    for (const [id, n] of load) if (best === undefined || n < load.get(best)! || (n === load.get(best)! && id < best)) best = id;
    return best;
  }

  /** The brokers a cancelled reassignment of the partition added that still host a replica (a copy; see TopicRecord.cancelled). */
  cancelledReplicas(name: string, partition: number): number[] {
    const topic = this.topics.get(name);
    return topic ? cancelledOf(topic, partition) : [];
  }

  /** The target replicas of the partition's reassignment in flight, if one is (a copy). */
  reassignmentTarget(name: string, partition: number): number[] | undefined {
    const target = this.topics.get(name)?.targets?.[partition];
    return Array.isArray(target) ? [...target] : undefined;
  }

  /** The user's SCRAM credential for the mechanism, if it has one. */
  scramCredential(user: string, mechanism: ScramMechanism): StoredScramCredential | undefined {
    return this.scram.get(user, mechanism);
  }

  /** The users with SCRAM credentials, by name, with each credential's mechanism and iterations. */
  scramUsers(): ScramUser[] {
    return this.scram.list();
  }

  /** Every ACL binding, in compareBindings order (copies). */
  acls(): AclBinding[] {
    return [...this.aclBindings.values()].sort(compareBindings).map((b) => ({ ...b }));
  }

  /** The bindings a filter matches, in compareBindings order (copies). */
  matchingAcls(filter: AclFilter): AclBinding[] {
    return this.acls().filter((b) => filterMatches(filter, b));
  }

  /** Changes with every ACL change or restore on this broker; equal versions mean equal ACLs. */
  get aclVersion(): number {
    return this.aclVersionValue;
  }

  /** The first producer id no broker has been given yet. */
  get nextProducerId(): number {
    return this.nextProducerIdValue;
  }

  topic(name: string): TopicRecord | undefined {
    return this.topics.get(name);
  }

  topicById(topicId: string): TopicRecord | undefined {
    return this.topicsById.get(topicId);
  }

  allTopics(): TopicRecord[] {
    return [...this.topics.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  broker(nodeId: number): BrokerRecord | undefined {
    return this.brokers.get(nodeId);
  }

  allBrokers(): BrokerRecord[] {
    return [...this.brokers.values()].sort((a, b) => a.nodeId - b.nodeId);
  }

  /** The topic whose name collides with `name` once '.' and '_' are treated alike, if any. */
  collidingTopic(name: string): string | undefined {
    const other = this.collisionKeys.get(collisionKey(name));
    return other !== undefined && other !== name ? other : undefined;
  }

  snapshot(): MetadataSnapshot {
    const view = this.view();
    return { ...view, brokers: view.brokers.map((b) => structuredClone(b)), topics: view.topics.map((t) => structuredClone(t)) };
  }

  /** snapshot() as JSON, without its copies (which cost more than the encoding for a large state). */
  snapshotJson(): string {
    return JSON.stringify(this.view());
  }

  /** The snapshot's shape over the live records: read at once, never kept. */
  private view(): MetadataSnapshot {
    const view: MetadataSnapshot = {
      clusterId: this.clusterId,
      brokers: this.allBrokers(),
      topics: this.allTopics(),
      nextProducerId: this.nextProducerIdValue,
    };
    if (this.brokerConfigs.size > 0) view.brokerConfigs = Object.fromEntries([...this.brokerConfigs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    if (this.leavingBrokers.size > 0) view.leaving = this.leavingBrokerIds();
    if (this.scram.size > 0) view.scram = this.scram.records();
    if (this.aclBindings.size > 0) view.acls = [...this.aclBindings.values()].sort(compareBindings);
    if (this.removedBrokers.size > 0) view.removed = [...this.removedBrokers].sort((a, b) => a[0] - b[0]).map(([nodeId, storageId]) => ({ nodeId, storageId }));
    return view;
  }

  private registerBroker(broker: BrokerRecord): ApplyResult {
    const removedFrom = this.removedBrokers.get(broker.nodeId);
    // A removed broker restarted on its old disk must not come back as if nothing happened: its
    // replicas' files are gone and other brokers hold its partitions. A wiped disk may register again.
    if (removedFrom !== undefined && removedFrom !== '' && removedFrom === broker.storageId) {
      return {
        ok: false,
        error: 'INVALID_REQUEST',
        message: `broker ${broker.nodeId} was removed from the cluster; start it with an empty data_dir to join again`,
      };
    }
    this.removedBrokers.delete(broker.nodeId);
    this.brokers.set(broker.nodeId, structuredClone(broker));
    return { ok: true };
  }

  private removeBroker(nodeId: number): ApplyResult {
    const broker = this.brokers.get(nodeId);
    if (!broker) return { ok: false, error: 'INVALID_REQUEST', message: `broker ${nodeId} is not registered` };
    const named = this.partitionsOf(nodeId);
    if (named.length > 0) {
      const first = named[0];
      return {
        ok: false,
        error: 'INVALID_REQUEST',
        message: `broker ${nodeId} still holds ${named.length} partition(s), e.g. ${first.topic.name}-${first.partition}`,
      };
    }
    this.brokers.delete(nodeId);
    this.leavingBrokers.delete(nodeId);
    this.removedBrokers.set(nodeId, broker.storageId ?? '');
    return { ok: true };
  }

  private alterConfigs(resource: ConfigResource, replace: boolean, ops: ConfigOp[]): ApplyResult {
    if (!Array.isArray(ops) || typeof resource !== 'object' || resource === null) {
      return { ok: false, error: 'INVALID_REQUEST', message: 'alterConfigs needs a resource and a list of operations' };
    }
    if (resource.type === 'topic') {
      const topic = this.topics.get(resource.name);
      if (!topic) return unknownTopic(resource.name);
      const changed = applyConfigOps(resource, topic.configs, ops, replace);
      if (!changed.ok) return { ok: false, error: 'INVALID_CONFIG', message: changed.message };
      // A new object: readers may hold the old one as a cache key.
      topic.configs = changed.configs;
      return { ok: true };
    }
    if (resource.type === 'broker') {
      const problem = brokerResourceProblem(resource.name);
      if (problem) return { ok: false, error: 'INVALID_REQUEST', message: problem };
      const changed = applyConfigOps(resource, this.brokerConfigsOf(resource.name), ops, replace);
      if (!changed.ok) return { ok: false, error: 'INVALID_CONFIG', message: changed.message };
      if (Object.keys(changed.configs).length === 0) this.brokerConfigs.delete(resource.name);
      else this.brokerConfigs.set(resource.name, changed.configs);
      return { ok: true };
    }
    return { ok: false, error: 'INVALID_REQUEST', message: `unknown config resource type ${JSON.stringify((resource as { type?: unknown }).type)}` };
  }

  private createTopic(topic: TopicRecord): ApplyResult {
    const problem = topicNameProblem(topic.name);
    if (problem) return { ok: false, error: 'INVALID_TOPIC_EXCEPTION', message: problem };
    if (this.topics.has(topic.name)) {
      return { ok: false, error: 'TOPIC_ALREADY_EXISTS', message: `topic "${topic.name}" already exists` };
    }
    const colliding = this.collidingTopic(topic.name);
    if (colliding !== undefined) {
      return {
        ok: false,
        error: 'INVALID_TOPIC_EXCEPTION',
        message: `topic "${topic.name}" collides with existing topic "${colliding}" ('.' and '_' are alike)`,
      };
    }
    if (topic.partitionCount < 1 || topic.assignments.length !== topic.partitionCount) {
      return { ok: false, error: 'INVALID_PARTITIONS', message: 'a topic needs at least one partition' };
    }
    const record = structuredClone(topic);
    // Leaders are published by the replicas once they lead, never proposed with the topic.
    delete record.leaders;
    // A new topic has no reassignment in flight.
    delete record.targets;
    delete record.cancelled;
    record.founders = record.assignments.map((replicas) => this.storageIdsOf(replicas));
    this.insertTopic(record);
    return { ok: true };
  }

  /** The storage ids of these brokers ('' for one that registered none). */
  private storageIdsOf(replicas: number[]): string[] {
    return replicas.map((id) => this.brokers.get(id)?.storageId ?? '');
  }

  private deleteTopic(name: string): ApplyResult {
    const topic = this.topics.get(name);
    if (!topic) return unknownTopic(name);
    this.topics.delete(name);
    this.topicsById.delete(topic.topicId);
    this.collisionKeys.delete(collisionKey(name));
    return { ok: true };
  }

  private createPartitions(name: string, assignments: number[][]): ApplyResult {
    const topic = this.topics.get(name);
    if (!topic) return unknownTopic(name);
    if (assignments.length === 0) {
      return { ok: false, error: 'INVALID_PARTITIONS', message: 'no partitions to add' };
    }
    topic.assignments.push(...assignments.map((replicas) => [...replicas]));
    if (topic.targets) while (topic.targets.length < topic.assignments.length) topic.targets.push(null);
    if (topic.founders) topic.founders.push(...assignments.map((replicas) => this.storageIdsOf(replicas)));
    topic.partitionCount = topic.assignments.length;
    return { ok: true };
  }

  /** See the alterReassignment command. */
  private alterReassignment(name: string, partition: number, replicas: number[] | null): ApplyResult {
    const topic = this.topics.get(name);
    if (!topic) return unknownTopic(name);
    if (!Number.isSafeInteger(partition) || partition < 0 || partition >= topic.partitionCount) {
      return { ok: false, error: 'UNKNOWN_TOPIC_OR_PARTITION', message: `topic "${name}" has no partition ${String(partition)}` };
    }
    if (replicas === null) {
      const target = topic.targets?.[partition];
      if (!Array.isArray(target)) {
        return { ok: false, error: 'NO_REASSIGNMENT_IN_PROGRESS', message: `partition ${name}-${partition} has no reassignment in flight` };
      }
      topic.targets![partition] = null;
      // The brokers the target added may be voters of the group by now: they host on until the
      // group is back to the assignment (TopicRecord.cancelled).
      const added = [...cancelledOf(topic, partition), ...target].filter((id, i, all) => !topic.assignments[partition].includes(id) && all.indexOf(id) === i);
      setCancelled(topic, partition, added);
      return { ok: true };
    }
    const problem = replicaListProblem(replicas, (id) => this.brokers.has(id) && (!this.leavingBrokers.has(id) || topic.assignments[partition].includes(id)));
    if (problem) return { ok: false, error: 'INVALID_REPLICA_ASSIGNMENT', message: `replicas of ${name}-${partition}: ${problem}` };
    if (!Array.isArray(topic.targets)) topic.targets = [];
    while (topic.targets.length < topic.partitionCount) topic.targets.push(null);
    // A target equal to the assignment (the same brokers, the same order) has nothing to move.
    topic.targets[partition] = sameList(replicas, topic.assignments[partition]) ? null : [...replicas];
    return { ok: true };
  }

  /** See the completeReassignment command. */
  private completeReassignment(topicId: string, partition: number, replicas: number[]): ApplyResult {
    const topic = this.topicsById.get(topicId);
    const target = topic?.targets?.[partition];
    if (topic && !Array.isArray(target) && Array.isArray(replicas) && cancelledOf(topic, partition).length > 0) {
      // A cancel is done: the group is its assignment again.
      if (!sameList(topic.assignments[partition], replicas)) {
        return { ok: false, error: 'NO_REASSIGNMENT_IN_PROGRESS', message: `partition ${topic.name}-${partition} is not assigned [${String(replicas)}]` };
      }
      setCancelled(topic, partition, []);
      return { ok: true };
    }
    if (!topic || !Array.isArray(target) || !Array.isArray(replicas) || !sameList(target, replicas)) {
      return {
        ok: false,
        error: 'NO_REASSIGNMENT_IN_PROGRESS',
        message: `no reassignment of topic id ${topicId} partition ${String(partition)} to [${String(replicas)}] is in flight`,
      };
    }
    topic.assignments[partition] = [...target];
    topic.targets![partition] = null;
    // The group is exactly the target: a broker an earlier cancel left is no member any more.
    setCancelled(topic, partition, []);
    // The group exists and has run under other members since it was founded: nobody founds it
    // again. Founders named by position would otherwise let a broker that held the partition
    // once, at the same position, found a second group from an empty directory.
    if (topic.founders?.[partition]) topic.founders[partition] = target.map(() => '');
    return { ok: true };
  }

  /** See the recoverAssignment command. */
  private recoverAssignment(topicId: string, partition: number, replicas: number[]): ApplyResult {
    const topic = this.topicsById.get(topicId);
    if (!topic || !Number.isSafeInteger(partition) || partition < 0 || partition >= topic.partitionCount) {
      return { ok: false, error: 'UNKNOWN_TOPIC_OR_PARTITION', message: `topic id ${String(topicId)} has no partition ${String(partition)}` };
    }
    const assigned = topic.assignments[partition];
    if (!Array.isArray(replicas) || replicas.length === 0 || new Set(replicas).size !== replicas.length || !replicas.every((id) => assigned.includes(id))) {
      return {
        ok: false,
        error: 'INVALID_REQUEST',
        message: `recoverAssignment.replicas must be a non-empty part of [${assigned.join(', ')}] without repeats`,
      };
    }
    topic.assignments[partition] = [...replicas];
    // The group has run under other members since it was founded: nobody founds it again. A
    // founder entry naming a lost broker's old storage id by position must not let that disk,
    // back with an empty partition directory, found a second group.
    if (topic.founders?.[partition]) topic.founders[partition] = replicas.map(() => '');
    // A reassignment in flight may name the lost brokers: it ends; the operator starts a new one.
    if (Array.isArray(topic.targets?.[partition])) topic.targets![partition] = null;
    setCancelled(topic, partition, []);
    return { ok: true };
  }

  /** See the publishLeaders command. Entries that do not apply are skipped; the command still succeeds. */
  private publishLeaders(leaders: LeaderPublication[]): ApplyResult {
    if (!Array.isArray(leaders) || leaders.length > PUBLISHED_LEADERS_PER_COMMAND_MAX) {
      return {
        ok: false,
        error: 'INVALID_REQUEST',
        message: `publishLeaders.leaders must be an array of at most ${PUBLISHED_LEADERS_PER_COMMAND_MAX} entries`,
      };
    }
    for (const entry of leaders) {
      if (!isPublication(entry)) continue;
      const topic = this.topicsById.get(entry.topicId);
      if (!topic || entry.partition >= topic.partitionCount) continue;
      // Restored from a snapshot as it was read: a damaged record starts over.
      if (!Array.isArray(topic.leaders)) topic.leaders = [];
      const leadersOf = topic.leaders;
      while (leadersOf.length < topic.partitionCount) leadersOf.push(null);
      const recorded = leadersOf[entry.partition];
      // Raft elects at most one leader per term, so an equal epoch is the same leader again.
      if (recorded && Number(recorded.leaderEpoch) >= entry.leaderEpoch) continue;
      leadersOf[entry.partition] = { leaderId: entry.leaderId, leaderEpoch: entry.leaderEpoch };
    }
    return { ok: true };
  }

  /** See the createAcls command. */
  private createAcls(bindings: AclBinding[]): ApplyResult {
    if (!Array.isArray(bindings) || bindings.length > ACLS_PER_COMMAND_MAX) {
      return { ok: false, error: 'INVALID_REQUEST', message: `createAcls.bindings must be an array of at most ${ACLS_PER_COMMAND_MAX} bindings` };
    }
    const added = new Map<string, AclBinding>();
    for (const binding of bindings) {
      const problem = bindingProblem(binding);
      if (problem) return { ok: false, error: 'INVALID_REQUEST', message: problem };
      const key = bindingKey(binding);
      if (!this.aclBindings.has(key)) added.set(key, binding);
    }
    if (this.aclBindings.size + added.size > ACL_BINDINGS_MAX) {
      return { ok: false, error: 'INVALID_REQUEST', message: `the cluster holds at most ${ACL_BINDINGS_MAX} ACL bindings` };
    }
    if (added.size === 0) return { ok: true };
    for (const [key, binding] of added) this.aclBindings.set(key, copyBinding(binding));
    this.aclVersionValue++;
    return { ok: true };
  }

  /** See the deleteAcls command. */
  private deleteAcls(filters: AclFilter[]): ApplyResult {
    if (!Array.isArray(filters) || filters.length > ACLS_PER_COMMAND_MAX) {
      return { ok: false, error: 'INVALID_REQUEST', message: `deleteAcls.filters must be an array of at most ${ACLS_PER_COMMAND_MAX} filters` };
    }
    for (const filter of filters) {
      const problem = filterProblem(filter);
      if (problem) return { ok: false, error: 'INVALID_REQUEST', message: problem };
    }
    let deleted = 0;
    for (const [key, binding] of this.aclBindings) {
      if (!filters.some((f) => filterMatches(f, binding))) continue;
      this.aclBindings.delete(key);
      deleted++;
    }
    if (deleted > 0) this.aclVersionValue++;
    return { ok: true };
  }

  private insertTopic(topic: TopicRecord): void {
    this.topics.set(topic.name, topic);
    this.topicsById.set(topic.topicId, topic);
    this.collisionKeys.set(collisionKey(topic.name), topic.name);
  }
}

const EMPTY: Readonly<Record<string, string>> = Object.freeze({});

/** The binding's own fields only: a command parsed from JSON may carry more. */
function copyBinding(b: AclBinding): AclBinding {
  return {
    resourceType: b.resourceType,
    resourceName: b.resourceName,
    patternType: b.patternType,
    principal: b.principal,
    host: b.host,
    operation: b.operation,
    permission: b.permission,
  };
}

function isPublication(entry: unknown): entry is LeaderPublication {
  if (typeof entry !== 'object' || entry === null) return false;
  const e = entry as Record<string, unknown>;
  return (
    typeof e.topicId === 'string' &&
    Number.isSafeInteger(e.partition) &&
    (e.partition as number) >= 0 &&
    Number.isSafeInteger(e.leaderId) &&
    (e.leaderId as number) > 0 &&
    Number.isSafeInteger(e.leaderEpoch) &&
    (e.leaderEpoch as number) > 0
  );
}

/**
 * The brokers that host a replica of the partition: its assignment and, while a reassignment is
 * in flight, the target's brokers not in it yet: KIP-455's full replica set, as Metadata reports
 * it (the target first, then those being removed).
 */
export function hostingReplicas(topic: TopicRecord, partition: number): number[] {
  const replicas = namedReplicas(topic, partition);
  const cancelled = cancelledOf(topic, partition);
  // Brokers a cancel left host on until the group is back to its assignment (TopicRecord.cancelled).
  return cancelled.length === 0 ? replicas : [...replicas, ...cancelled.filter((id) => !replicas.includes(id))];
}

/** The partition's assignment and the brokers of its reassignment target in flight: the group's members to be (no broker a cancel left). */
export function namedReplicas(topic: TopicRecord, partition: number): number[] {
  const assigned = topic.assignments[partition] ?? [];
  const target = topic.targets?.[partition];
  return Array.isArray(target) ? [...target, ...assigned.filter((id) => !target.includes(id))] : assigned;
}

/** The brokers a cancelled reassignment of the partition added that still host a replica (a copy). */
export function cancelledOf(topic: TopicRecord, partition: number): number[] {
  const cancelled = topic.cancelled?.[partition];
  return Array.isArray(cancelled) ? [...cancelled] : [];
}

function setCancelled(topic: TopicRecord, partition: number, brokers: number[]): void {
  if (brokers.length === 0) {
    if (Array.isArray(topic.cancelled?.[partition])) topic.cancelled![partition] = null;
    return;
  }
  if (!Array.isArray(topic.cancelled)) topic.cancelled = [];
  while (topic.cancelled.length < topic.partitionCount) topic.cancelled.push(null);
  topic.cancelled[partition] = brokers;
}

/** Why a replica list cannot be a partition's, or null: non-empty, registered brokers, no id twice. */
export function replicaListProblem(replicas: unknown, registered: (id: number) => boolean): string | null {
  if (!Array.isArray(replicas) || replicas.length === 0) return 'the replica list must not be empty';
  const seen = new Set<number>();
  for (const id of replicas) {
    if (!Number.isSafeInteger(id)) return `${String(id)} is not a broker id`;
    if (seen.has(id)) return `broker ${id} is named twice`;
    if (!registered(id)) return `broker ${id} is not registered (or is leaving the cluster)`;
    seen.add(id);
  }
  return null;
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

function unknownTopic(name: string): ApplyResult {
  return { ok: false, error: 'UNKNOWN_TOPIC_OR_PARTITION', message: `topic "${name}" does not exist` };
}
