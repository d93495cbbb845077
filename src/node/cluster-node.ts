// The cluster half of a broker (cluster.enabled: true): the peer transport, the Raft host that
// drives every group, the metadata group (the controller) and the partition groups. broker-node.ts
// puts the Kafka listener and the group coordinator on top, as on a single node.
//
// Start-up order, and why:
//  1. The transport listens at once and announces this disk's storage id, so founding peers can
//     complete their identity sets (cluster bootstrap, docs/cluster-design.md item 1).
//  2. The metadata group starts when the BootstrapDecider says so: at once on a restart, after
//     every founding member is connected on a new cluster, empty on a join.
//  3. Partition groups open from the applied metadata, and follow it from then on.
//  4. `ready` resolves once the metadata group has a leader, the cluster has an id and this
//     broker's Kafka endpoint is registered, so clients never see a cluster without brokers.

import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { RunnelConfig } from '../config/index.ts';
import { Rng, type ConfChange, type RaftNode, type Snapshot } from '../raft/index.ts';
import { TcpTransport } from '../transport/tcp.ts';
import { parseAddress } from '../transport/tcp-peers.ts';
import { readPeerTls } from './peer-tls.ts';
import { DEFAULT_TRANSPORT_LIMITS } from '../transport/types.ts';
import { ClusterReplicaManager } from '../partition/cluster-replica-manager.ts';
import { LeaderPublisher } from '../partition/leader-publisher.ts';
import { describeRaftGroup } from '../partition/group-names.ts';
import type { ReplicaRegistry } from '../partition/replica-identity.ts';
import { nextMetadataChange } from '../controller/metadata-membership.ts';
import type { ProducerLimits } from '../partition/partition-producers.ts';
import type { FlushMode } from '../partition/partition.ts';
import type { TopicConfigDefaults } from '../metadata/topic-configs.ts';
import { BrokerLeave } from './broker-leave.ts';
import { BootstrapDecider, recommendedSettleMs, type BootstrapDecision } from './bootstrap.ts';
import { MetadataGroup, metadataGroupName } from '../controller/metadata-group.ts';
import { MetadataLogStorage } from '../controller/metadata-log-storage.ts';
import { PUBLISHED_LEADERS_PER_COMMAND_MAX, type BrokerRecord, type KafkaEndpoints } from '../metadata/metadata-state.ts';
import type { LeaveOutcome } from '../http/cluster-leave.ts';
import { reconcilePartitionGroups, type CompleteReassignment } from '../partition/reconcile-round.ts';
import { newClusterId, type NodeStore } from '../controller/node-store.ts';
import { RaftHost } from '../raft-host/raft-host.ts';
import { LogDamagedError } from '../storage/errors.ts';
import { handoffTarget } from '../raft-host/leadership-handoff.ts';
import { createDiscovery, ManualDiscovery, SEED_POLL_INTERVAL_MS, type Discovery } from '../discovery/index.ts';
import { LogOnce } from '../log/index.ts';
import { AdminRequestError } from '../http/cluster-join.ts';
import type { GroupStatus } from '../raft-host/group-status.ts';
import type { UnsafeRecoverOutcome, UnsafeRecoverRequest } from '../http/cluster-unsafe-recover.ts';
import { UnsafeRecoverer } from './unsafe-recoverer.ts';
import { ClusterBalancer } from '../controller/cluster-balancer.ts';

/** How long a metadata proposal may take before the caller is told (and may retry). */
const METADATA_PROPOSAL_TIMEOUT_MS = 10_000;
/** How often a leader checks whether its partitions' preferred replicas should lead again. */
const LEADER_REBALANCE_INTERVAL_MS = 5_000;
/**
 * The window in which partitions this broker started to lead are published in the metadata
 * group together (LeaderPublisher): after a restart many change leader at once, and one
 * command per window carries them all (up to PUBLISHED_LEADERS_PER_COMMAND_MAX). It is also
 * how long a published leader lags the real one at most, besides the metadata commit.
 */
const LEADER_PUBLISH_INTERVAL_MS = 100;
/** How often replicas whose open failed (a full disk refused their files) are opened again. */
const REPLICA_OPEN_RETRY_INTERVAL_MS = 2_000;
/**
 * How often each group's leader takes the next step towards the members the metadata wants
 * (reconcileGroups): the controller's metadata membership (brokers to add or promote), a member
 * back with a new disk, a reassignment's learner, promotion, removal.
 */
const RECONCILE_INTERVAL_MS = 1_000;
/** At most this many reassignments the controller starts per round for leaving brokers (each is one metadata command). */
const LEAVE_MOVES_PER_ROUND_MAX = 100;
/** How often the "waiting for the founding members" line is repeated. */
const BOOTSTRAP_LOG_INTERVAL_MS = 10_000;
/** Pause between attempts to name the cluster or register this broker while they fail. */
const REGISTER_RETRY_MS = 200;

export interface ClusterNodeOptions {
  config: RunnelConfig;
  store: NodeStore;
  storageId: string;
  dataDir: string;
  topicDefaults: TopicConfigDefaults;
  flush: { mode: FlushMode; intervalMs: number };
  /** Bounds on each partition's idempotent-producer state (config limits). */
  producers?: ProducerLimits;
  logger: Logger;
}

export class ClusterNode {
  readonly nodeId: number;
  readonly transport: TcpTransport;
  readonly host: RaftHost;
  readonly metadata: MetadataGroup;
  readonly replicas: ClusterReplicaManager;
  /** Publishes the partitions led here in the metadata group, for brokers that host no replica. */
  readonly leaders: LeaderPublisher;
  private readonly options: ClusterNodeOptions;
  private readonly logger: Logger;
  private readonly decider: BootstrapDecider;
  /** Replaced when its log finds damage while running (repairMetadataReplica). */
  private metadataStorage: MetadataLogStorage;
  /** Where this node looks for the cluster while it is not registered (cluster.discovery). */
  readonly discovery: Discovery;
  private seedLookup = false;
  private readonly logOnce: LogOnce;
  /** The metadata group started empty to be added (decision 'join'): it must not name the cluster. */
  private joining = false;
  private started = false;
  private stopped = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private failStart: (err: Error) => void = () => undefined;
  private groupStarted!: Promise<void>;
  private markGroupStarted: () => void = () => undefined;
  /** Partition groups whose reassignment completion is being proposed. */
  private readonly completing = new Set<string>();
  /** Leave and force-leave: marking, draining and removing leaving brokers (broker-leave.ts). */
  private readonly leaving: BrokerLeave;
  /** `<group> <broker>` pairs already logged as back with a fenced disk (bounded by groups × brokers). */
  private readonly fencedLogged = new Set<string>();
  private readonly recoverer: UnsafeRecoverer;
  /** The replica balancers (restore, spread); they act on the controller only. */
  private readonly balancer: ClusterBalancer;

  private constructor(options: ClusterNodeOptions) {
    const { config, store, storageId, logger } = options;
    this.options = options;
    this.logger = logger;
    this.nodeId = config.cluster.node_id;
    const cluster = config.cluster;
    this.discovery = createDiscovery(cluster, logger);
    this.logOnce = new LogOnce(logger, { intervalMs: 60_000, now: () => Date.now() });

    this.transport = new TcpTransport({
      nodeId: this.nodeId,
      ...listenAddress(cluster.raft_address),
      peers: this.peerAddresses(),
      clusterSecret: cluster.secret,
      storageId,
      logger,
      // cluster.tls: every peer connection over TLS with the broker's certificate (docs/security.md, "Between brokers").
      tls: readPeerTls(config),
      // A restarted peer must be redialed within about one election timeout, or a failover in
      // that window cannot elect anyone (issue 9; docs/transport.md, reconnection).
      limits: { reconnectMaxMs: Math.max(DEFAULT_TRANSPORT_LIMITS.reconnectBaseMs, cluster.election_rtt * cluster.rtt_ms) },
    });
    this.host = new RaftHost({
      nodeId: this.nodeId,
      transport: this.transport,
      logger,
      tickMs: cluster.rtt_ms,
      // A full disk freezes the groups whose writes it refused, not the broker (chaos bug B1).
      isolateStorageFailures: true,
      onUnhosted: (from, group, msg) => {
        // Before the metadata group runs, its messages tell the decider that a peer already
        // holds the group's log (so this node must join, not found it).
        if (group === metadataGroupName && !this.started) this.decide(this.decider.groupMessage(from, msg.term, performance.now()));
      },
    });

    // The metadata group's directory may be lost while runnel.db keeps the node's identity
    // (cluster.data_dir on a replaced disk): the record says the group was here (issue 9 item 2).
    this.metadataStorage = MetadataLogStorage.open(
      join(cluster.data_dir, 'metadata'),
      { load: () => store.loadMetadataSnapshot(), save: (snapshot) => store.saveMetadataSnapshot(snapshot) },
      { storageId, logger, sendableBytesMax: this.transport.limits.maxFrameBytes, known: store.holdsReplica(metadataGroupName) },
    );
    store.recordReplica(metadataGroupName);
    this.metadata = new MetadataGroup({
      nodeId: this.nodeId,
      clusterId: '',
      snapshot: this.metadataStorage.snapshot(),
      logger,
      proposalTimeoutMs: METADATA_PROPOSAL_TIMEOUT_MS,
      kick: () => this.host.kick(),
      // A broker that is not a member yet hears from no controller: it hands its registration to
      // the members it reached (only the controller appends it). Members keep NOT_CONTROLLER.
      relays: () => (this.isMetadataMember() ? [] : [...this.connectedPeers()]),
    });
    // Its Raft state lost, the group's state is older than what this broker acted on: see run().
    if (this.metadataStorage.lostReason !== null) this.metadata.holdListeners(true);
    this.replicas = new ClusterReplicaManager(
      {
        nodeId: this.nodeId,
        storageId,
        dataDir: options.dataDir,
        topicDefaults: options.topicDefaults,
        flush: options.flush,
        producers: options.producers,
        host: this.host,
        raft: { electionTicks: cluster.election_rtt, heartbeatTicks: cluster.heartbeat_rtt, checkQuorum: cluster.check_quorum },
        random: Math.random,
        registry: partitionRegistry(store),
      },
      logger,
    );
    this.leaders = new LeaderPublisher({
      nodeId: this.nodeId,
      led: () => this.replicas.ledPartitions(),
      state: () => this.metadata.state,
      propose: (command) => this.metadata.propose(command),
      batchMax: PUBLISHED_LEADERS_PER_COMMAND_MAX,
      logger,
    });
    this.leaving = new BrokerLeave({
      nodeId: this.nodeId,
      metadata: this.metadata,
      host: this.host,
      metadataGroupName,
      logger,
      connectedPeers: () => this.connectedPeers(),
      movesPerRoundMax: LEAVE_MOVES_PER_ROUND_MAX,
      leaderlessMsMax: 2 * cluster.election_rtt * cluster.rtt_ms,
    });
    this.recoverer = new UnsafeRecoverer({
      nodeId: this.nodeId,
      host: this.host,
      replicas: this.replicas,
      metadata: this.metadata,
      metadataGroupName,
      logger,
      pollMs: cluster.rtt_ms,
      waitMsMax: METADATA_PROPOSAL_TIMEOUT_MS,
      running: () => !this.stopped,
    });
    this.balancer = new ClusterBalancer({
      nodeId: this.nodeId,
      restoreAfterMs: cluster.replica_restore_after_ms,
      spread: cluster.balance_replicas,
      inflightMax: config.limits.max_balance_reassignments,
      state: () => this.metadata.state,
      connected: () => this.connectedPeers(),
      isController: () => this.host.group(metadataGroupName)?.state === 'leader',
      propose: (command) => this.metadata.propose(command),
      logger,
    });
    this.metadata.onApplied((command, state) => {
      this.replicas.onMetadata(command, state);
      this.leaving.noteApplied(command);
      // Brokers added after the founding know each other from their registrations.
      if (command.type === 'registerBroker') this.transport.setPeers(this.peerAddresses());
    });
    this.metadata.onRestored((state) => {
      this.replicas.onMetadataReplaced(state);
      this.transport.setPeers(this.peerAddresses());
    });

    const storageEmpty = this.metadataStorage.lastIndex() === 0 && this.metadataStorage.getHardState().term === 0;
    const founding = cluster.initial_members.length > 0 ? cluster.initial_members.map((m) => m.node_id) : [this.nodeId];
    this.decider = new BootstrapDecider({
      group: metadataGroupName,
      nodeId: this.nodeId,
      storageId: this.metadataStorage.storageId,
      foundingMembers: founding,
      metadataVoters: cluster.metadata_voters,
      initialClusterState: cluster.initial_cluster_state,
      storageEmpty,
      // Lost now, or earlier and not added back yet (its own id is not the node's): never found.
      lostState:
        this.metadataStorage.lostReason ?? (this.metadataStorage.storageId !== storageId ? 'it lost its state before and was not added back yet' : null),
      settleMs: founding.length === 1 ? 0 : recommendedSettleMs(cluster.rtt_ms, cluster.election_rtt, cluster.heartbeat_rtt),
      maxWaitMs: cluster.bootstrap_timeout_ms,
      logIntervalMs: BOOTSTRAP_LOG_INTERVAL_MS,
      nowMs: performance.now(),
    });
  }

  /** Opens the node's storage; nothing runs until run(). */
  static create(options: ClusterNodeOptions): ClusterNode {
    return new ClusterNode(options);
  }

  /**
   * Starts the transport and the groups; resolves once this broker is registered in a named
   * cluster under `kafkaEndpoint` (see the file comment). The caller closes the node on failure.
   */
  async run(kafkaEndpoint: KafkaEndpoints): Promise<void> {
    this.groupStarted = new Promise<void>((resolve, reject) => {
      this.markGroupStarted = resolve;
      this.failStart = reject;
    });
    // close() rejects it to end the wait below; when run() failed before that wait (the transport
    // could not listen), nothing awaits it, and the rejection must not end the process.
    this.groupStarted.catch(() => undefined);
    this.transport.onPeerIdentity((peer, storageId) => {
      if (this.stopped) return;
      // A peer whose connection closed has most likely stopped: the groups it led here need not
      // wait out an election timeout to replace it (issue 9: coordinator failover under 1 s).
      if (storageId === null) this.host.reportConnectionLost(peer);
      if (this.started) return;
      const now = performance.now();
      this.decide(storageId === null ? this.decider.peerDisconnected(peer, now) : this.decider.peerConnected(peer, storageId, now));
    });
    await this.transport.start();
    this.host.start();
    await this.discovery.register?.({ nodeId: this.nodeId, raftAddress: this.options.config.cluster.raft_address });
    this.every(SEED_POLL_INTERVAL_MS, () => this.seek());
    this.seek();
    this.every(this.options.config.cluster.rtt_ms, () => {
      if (!this.started) this.decide(this.decider.tick(performance.now()));
    });
    this.decide(this.decider.decision);
    await this.groupStarted;
    // A broker that lost its metadata Raft state starts from an older state (its last snapshot,
    // or none) than the one its partition logs were made under: opening replicas from it would
    // remove logs of topics created since, and acting on the commands it replays from the
    // leader would delete and re-found the logs of topics deleted and created again. So it
    // first catches up, past a registration of its own, and only then reads the state once.
    const behind = this.metadataStorage.lostReason !== null;
    if (behind) {
      this.logger.warn({ group: metadataGroupName }, "metadata state is older than this broker's partition logs: opening them once the metadata caught up");
      this.every(RECONCILE_INTERVAL_MS, () => this.reconcileGroups());
      await this.registerSelf(kafkaEndpoint, true);
      this.metadata.holdListeners(false);
      this.transport.setPeers(this.peerAddresses());
    }
    await this.replicas.start(this.metadata.state);
    if (this.options.config.cluster.balance_leaders) {
      this.every(LEADER_REBALANCE_INTERVAL_MS, () =>
        this.replicas.rebalanceLeadership(this.metadata.state, this.options.config.limits.max_leader_transfers_per_round),
      );
    }
    this.every(REPLICA_OPEN_RETRY_INTERVAL_MS, () => this.replicas.retryUnopened());
    this.every(LEADER_PUBLISH_INTERVAL_MS, () => this.leaders.tick());
    this.every(this.options.config.cluster.rtt_ms, () => {
      if (!this.stopped) this.leaving.stopIfDeparted();
    });
    if (!behind) {
      this.every(RECONCILE_INTERVAL_MS, () => this.reconcileGroups());
      await this.registerSelf(kafkaEndpoint, false);
    }
  }

  /** Acts on the bootstrap decision: start the metadata group, keep waiting, or give up. */
  private decide(decision: BootstrapDecision): void {
    for (const line of this.decider.takeLogs()) this.logger[line.level](line.fields, line.msg);
    if (this.started || this.stopped) return;
    switch (decision.kind) {
      case 'wait':
        return;
      case 'refuse':
        this.failStart(new Error(decision.reason));
        return;
      case 'bootstrap':
        this.metadataStorage.bootstrap(decision.confState);
        this.startMetadataGroup(true);
        return;
      case 'restart':
        this.startMetadataGroup(false);
        return;
      case 'join':
        this.joining = true;
        this.startMetadataGroup(false);
        return;
    }
  }

  private startMetadataGroup(founded: boolean): void {
    this.started = true;
    const node = this.runMetadataNode();
    // The lowest founding voter campaigns at once, so a new cluster has a controller within a
    // round trip instead of an election timeout.
    if (founded && this.metadataStorage.confStateAt(this.metadataStorage.lastIndex()).voters[0]?.id === this.nodeId) node.campaign();
    this.logger.info({ group: metadataGroupName, founded }, 'metadata group started');
    this.markGroupStarted();
  }

  /** Runs the metadata group's Raft node over metadataStorage in the host, watching its log for damage. */
  private runMetadataNode(): RaftNode {
    const cluster = this.options.config.cluster;
    const config = {
      id: this.nodeId,
      electionTicks: cluster.election_rtt,
      heartbeatTicks: cluster.heartbeat_rtt,
      checkQuorum: cluster.check_quorum,
      preVote: true,
      // A snapshot of the metadata state every snapshot_entries applied entries; the log is
      // compacted behind it, keeping compaction_overhead entries (MetadataLogStorage).
      snapshotEntries: cluster.snapshot_entries,
      compactionOverhead: cluster.compaction_overhead,
    };
    const rng = () => new Rng(Math.floor(Math.random() * 0x1_0000_0000));
    let node: RaftNode;
    try {
      node = this.metadata.startNode(this.metadataStorage, config, rng());
    } catch (err) {
      if (!(err instanceof LogDamagedError)) throw err;
      // The replay of the entries after the stored snapshot (at start) read damage. What it
      // applied before is committed, but older than what this broker acted on before it stopped:
      // as after state lost at open, listeners wait until the group caught up (run(): `behind`).
      this.logger.error(
        { group: metadataGroupName, ...err.damage },
        'the metadata log is damaged (its replay at start read it): the replica starts over under a new storage id and is repaired from its peers',
      );
      this.metadata.holdListeners(true);
      const applied = this.metadata.appliedSnapshot(this.metadataStorage.confStateAt(this.metadata.appliedThrough));
      this.reopenMetadataStorage(applied);
      node = this.metadata.startNode(this.metadataStorage, config, rng());
    }
    // The state may have grown while it was replayed (no listener saw it): peers from it now;
    // replicas follow it in run() (replicas.start).
    this.transport.setPeers(this.peerAddresses());
    this.host.addGroup(metadataGroupName, node, this.metadataStorage, this.metadata);
    // Damage its scrub finds in the metadata log (B6) stops the group on this node at once (a Raft
    // read that finds it does the same, in the host); the replica then starts over in-process.
    const unsubscribe = this.metadataStorage.inner.onDamage((damage) => {
      this.host.stopGroup(metadataGroupName, new LogDamagedError(damage));
      this.logger.error(
        { group: metadataGroupName, ...damage },
        'the metadata log is damaged: this node stopped its metadata replica; it starts over under a new storage id and is repaired from its peers',
      );
      // Not inside the read that found it (the Raft core may be on the stack).
      setImmediate(() => {
        unsubscribe();
        this.repairMetadataReplica();
      });
    });
    return node;
  }

  /**
   * The metadata replica after its log found damage (issue 9 item 3), as a partition replica's
   * (ClusterReplicaManager): the group leaves the host, and its storage is opened again over the
   * same log, which takes the lost-state path (a new storage id, so it never votes as its old
   * self; the log restarted after a snapshot of the state applied here). A new node runs from
   * there; the controller replaces the old member with it (metadata-membership.ts) and the leader
   * sends it what it lacks. The state and its listeners stay as they were: it only goes forward.
   */
  private repairMetadataReplica(): void {
    if (this.stopped) return;
    this.host.removeGroup(metadataGroupName);
    const applied = this.metadata.detach();
    try {
      this.reopenMetadataStorage(applied);
      this.runMetadataNode();
    } catch (err) {
      // A full disk refused the snapshot or the new state: the restart path does the same later.
      this.logger.error(
        { group: metadataGroupName, err: String(err) },
        'the metadata replica could not start over; restart the broker to repair it from its peers',
      );
    }
  }

  /** Opens the damaged metadata log's storage again, starting over after `applied` (MetadataLogStorage.reopenAfterDamage). */
  private reopenMetadataStorage(applied: Snapshot): void {
    this.metadataStorage = this.metadataStorage.reopenAfterDamage(applied, {
      storageId: this.options.storageId,
      logger: this.logger,
      sendableBytesMax: this.transport.limits.maxFrameBytes,
    });
    this.logger.warn(
      { group: metadataGroupName, storageId: this.metadataStorage.storageId, appliedIndex: applied.index },
      'metadata replica started over after damage to its log',
    );
  }

  /** Names the cluster (first controller only) and registers this broker's endpoints, retrying until done. */
  /**
   * Registers this broker. With `barrier`, a registration is proposed and applied here even when
   * the state already shows it: once it applied, the state holds everything committed before.
   */
  private async registerSelf(endpoint: KafkaEndpoints, barrier: boolean): Promise<void> {
    const wanted: BrokerRecord = {
      nodeId: this.nodeId,
      host: endpoint.host,
      port: endpoint.port,
      listeners: endpoint.listeners,
      rack: null,
      storageId: this.options.storageId,
      raftAddress: this.options.config.cluster.raft_address,
    };
    let waitedLogged = false;
    let appliedHere = !barrier;
    // Bounded by the bootstrap timeout: a cluster that never gets a quorum must not hang silently.
    const deadline = performance.now() + this.options.config.cluster.bootstrap_timeout_ms;
    while (!this.stopped) {
      const state = this.metadata.state;
      const registered = state.broker(this.nodeId);
      if (appliedHere && state.clusterId !== '' && registered && sameBroker(registered, wanted)) return;
      if (performance.now() > deadline) throw new Error('the metadata group did not accept this broker within cluster.bootstrap_timeout_ms (no quorum?)');
      try {
        // A joiner's empty state has no cluster id either, but the cluster it joins is named.
        if (state.clusterId === '' && !this.joining) await this.metadata.propose({ type: 'initCluster', clusterId: newClusterId() });
        else appliedHere = (await this.metadata.propose({ type: 'registerBroker', broker: wanted })).ok || appliedHere;
      } catch (err) {
        if (!waitedLogged) this.logger.info({ reason: (err as Error).message }, 'waiting for the metadata group to register this broker');
        waitedLogged = true;
        await sleep(REGISTER_RETRY_MS);
      }
    }
  }

  /**
   * Once a second, every group led here takes its one next membership change (Raft thesis §4.1:
   * one server at a time; the next waits for this one to commit): the metadata group towards the
   * registered brokers (metadata-membership.ts), each partition group towards its reassignment
   * target or else its assignment (partition-reconciler.ts; both replace a member whose disk
   * changed, docs/cluster.md "Replica identity"). One loop, so two reconcilers never race on one group.
   */
  private reconcileGroups(): void {
    if (this.stopped || !this.started) return;
    const announced = new Map(
      this.transport
        .peerStatus()
        .filter((p) => p.connected && p.storageId)
        .map((p) => [p.nodeId, p.storageId!]),
    );
    // Promotions before removals: a departed voter is removed only once its replacement votes.
    const metadataChanged = this.reconcileMetadataMembers(announced) || this.leaving.removeDepartedMetadataMembers();
    const partitionsChanged = this.reconcilePartitions(announced);
    if (metadataChanged || partitionsChanged) this.host.kick();
    this.leaving.drain();
    this.balancer.tick(performance.now());
  }

  /** POST /cluster/leave and /cluster/force-leave (broker-leave.ts). */
  leave(node: number | undefined, force: boolean): Promise<LeaveOutcome> {
    return this.leaving.leave(node, force);
  }

  /** Called once this broker was removed from the cluster (a completed leave) and is no voter of __metadata: the process should stop. */
  onLeft(listener: () => void): void {
    this.leaving.onLeft(listener);
  }

  /** One step of every partition group led here (reconcile-round.ts); whether a change was proposed. */
  private reconcilePartitions(announced: ReadonlyMap<number, string>): boolean {
    return reconcilePartitionGroups(
      { state: this.metadata.state, replicas: this.replicas, announced, learnerLagEntriesMax: this.options.config.limits.max_learner_lag_entries },
      {
        changed: (group, change, reason) =>
          this.logger.info({ group, change: change.type, broker: change.nodeId, storageId: change.storageId, reason }, 'partition membership change'),
        refused: (group, change, fenced) => this.noteFenced(group, change, fenced),
        transferred: (group, to, reason) => this.logger.info({ group, to, reason }, 'handing leadership over before leaving the partition'),
        complete: (group, command) => this.completeReassignment(group, command),
      },
    );
  }

  /** Proposes a reassignment's completion, one proposal per group at a time (a timeout is retried next round). */
  private completeReassignment(group: string, command: CompleteReassignment): void {
    if (this.completing.has(group)) return;
    this.completing.add(group);
    this.metadata
      .propose(command)
      // Applied or refused (a cancel came first), every broker logs the outcome as it applies.
      .catch((err: unknown) => this.logger.info({ group, reason: (err as Error).message }, 'completing a reassignment failed; retrying'))
      .finally(() => this.completing.delete(group));
  }

  /**
   * On the controller: the next change of the metadata group's members (metadata-membership.ts):
   * every registered broker a member, up to metadata_voters of them voters. True if proposed.
   */
  private reconcileMetadataMembers(announced: ReadonlyMap<number, string>): boolean {
    const node = this.host.group(metadataGroupName);
    if (node?.state !== 'leader') return false;
    const cluster = this.options.config.cluster;
    const step = nextMetadataChange({
      status: node.status(),
      wanted: this.metadata.state.allBrokers().map((b) => b.nodeId),
      announced,
      metadataVoters: cluster.metadata_voters,
      replacementFor: (id) => this.metadataStorage.inner.replacementFor(id),
      departed: (id) => this.metadata.state.isRemoved(id),
    });
    if (!step) return false;
    const { change, why } = step;
    const proposed = node.proposeConfChange(change);
    if (!proposed.ok) {
      this.noteFenced(metadataGroupName, change, node.status().config.fenced);
      return false;
    }
    const fields = { group: metadataGroupName, broker: change.nodeId, change: change.type, storageId: change.storageId };
    if (why === 'identity') this.logger.warn({ ...fields, announced: announced.get(change.nodeId) }, 'replacing a member whose disk changed');
    else
      this.logger.info(
        fields,
        why === 'join' ? 'adding a broker to the metadata group as a learner' : 'promoting a caught-up learner of the metadata group to voter',
      );
    return true;
  }

  /**
   * A broker lost in an unsafe recovery is back with its old disk: its storage id is fenced, so it
   * is never added again (raft.md, the fence). Said once per group and broker.
   */
  private noteFenced(group: string, change: ConfChange, fenced: readonly string[] | undefined): void {
    if (!fenced?.includes(change.storageId) || this.fencedLogged.has(`${group} ${change.nodeId}`)) return;
    this.fencedLogged.add(`${group} ${change.nodeId}`);
    this.logger.error(
      { group, broker: change.nodeId, storageId: change.storageId },
      'a broker fenced by an unsafe recovery is back with its old data: it is not added again; stop it and start it with an empty data directory',
    );
  }

  /**
   * Unsafe recovery (docs/cluster.md): the groups the request names that lost a majority of
   * their voters for good continue with this broker as their only voter (unsafe-recoverer.ts).
   */
  async unsafeRecover(request: UnsafeRecoverRequest): Promise<UnsafeRecoverOutcome> {
    if (!this.started || this.stopped) return { status: 503, body: { error: `the metadata group is not running on broker ${this.nodeId}` } };
    return this.recoverer.recover(request);
  }

  /** Every Raft group's state on this broker (metadata first); partition groups as `<topic>-<partition>` with their topic id. */
  groupStatuses(): GroupStatus[] {
    return this.host
      .statuses()
      .map((s) => ({ ...s, ...describeRaftGroup(s.group) }))
      .sort((a, b) => (a.group === metadataGroupName ? -1 : b.group === metadataGroupName ? 1 : a.group < b.group ? -1 : 1));
  }

  /**
   * Asks the discovery provider for seeds and dials them, while this node looks for the cluster:
   * it is not a founding member (a joiner: static seeds are the founders of its initial_members,
   * manual ones come from POST /cluster/join) and its own registration is not in its metadata yet.
   * Once registered, every member knows its Raft address and the lower id of each pair dials.
   * One lookup at a time; a failed one is logged once a minute and tried again next period.
   */
  private seek(): void {
    if (this.stopped || this.seedLookup || !this.looking()) return;
    this.seedLookup = true;
    const own = this.options.config.cluster.raft_address;
    this.discovery
      .seeds()
      .then(
        (seeds) => {
          if (this.stopped || !this.looking()) return;
          const addresses = seeds.map((s) => s.address).filter((a) => a !== own);
          if (addresses.length === 0 && this.discovery.type !== 'manual') {
            this.logOnce.warn(
              'no-seeds',
              { discovery: this.discovery.type },
              'discovery names no member to dial: this node cannot find the cluster (static: list the running members in cluster.initial_members)',
            );
          }
          this.transport.dialSeeds(addresses);
        },
        (err: unknown) => this.logOnce.warn('seeds', { discovery: this.discovery.type, err: (err as Error).message }, 'discovery found no seeds; asking again'),
      )
      .finally(() => {
        this.seedLookup = false;
      });
  }

  /**
   * Whether this node still looks for the cluster (see seek()): its registration is not in its
   * metadata, and it joins (empty, `existing`), or is none of its own initial_members. A founder
   * of a new cluster does not: its peers know its address from their own initial_members.
   */
  private looking(): boolean {
    const cluster = this.options.config.cluster;
    if (this.metadata.state.broker(this.nodeId)?.raftAddress === cluster.raft_address) return false;
    return this.joining || !cluster.initial_members.some((m) => m.node_id === this.nodeId);
  }

  /**
   * POST /cluster/join: a node in manual discovery mode gets a member's Raft address to dial.
   * Throws AdminRequestError (an operator's mistake) when the node is not in manual mode or the
   * address is bad; answers whether it is a member already (nothing left to do).
   */
  join(address: string): { member: boolean } {
    if (!(this.discovery instanceof ManualDiscovery)) {
      throw new AdminRequestError(
        `cluster.discovery.type is "${this.discovery.type}": this node finds the cluster by itself; POST /cluster/join is for a node started with "manual"`,
        409,
      );
    }
    try {
      parseAddress(address);
    } catch (err) {
      throw new AdminRequestError(`address: ${(err as Error).message}`, 400);
    }
    if (address === this.options.config.cluster.raft_address) throw new AdminRequestError(`address: ${address} is this node's own cluster.raft_address`, 400);
    if (!this.looking()) return { member: true };
    try {
      this.discovery.join(address);
    } catch (err) {
      throw new AdminRequestError((err as Error).message, 400);
    }
    this.seek();
    return { member: false };
  }

  private isMetadataMember(): boolean {
    const node = this.host.group(metadataGroupName);
    if (!node) return false;
    const { voters, learners } = node.status().config;
    return voters.some((m) => m.id === this.nodeId) || learners.some((m) => m.id === this.nodeId);
  }

  connectedPeers(): Set<number> {
    return new Set(
      this.transport
        .peerStatus()
        .filter((p) => p.connected)
        .map((p) => p.nodeId),
    );
  }

  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    this.failStart(new Error('stopped before the metadata group started'));
    if (this.started) await this.handOffLeadership();
    await this.host.close();
    await this.replicas.close();
    await this.metadataStorage.close();
    await this.transport.close();
    await this.discovery.close?.();
  }

  /**
   * Transfers every group led here to a caught-up voter (leadership-handoff.ts) and waits until
   * each of them names another leader, for at most two election timeouts (the core abandons a
   * transfer whose target is not caught up within one; the followers then elect as after a
   * crash, and a transferee that got TimeoutNow campaigns on its own). Not stepping
   * down is not enough: this node steps down on the transferee's vote request, and its vote
   * must still reach the transferee, or the election waits for the third replica's fsync.
   */
  private async handOffLeadership(): Promise<void> {
    const { rtt_ms: rttMs, election_rtt: electionRtt } = this.options.config.cluster;
    const started = performance.now();
    const handing: string[] = [];
    for (const name of this.host.groupNames()) {
      const node = this.host.group(name);
      const to = node ? handoffTarget(node.status()) : 0;
      if (to !== 0 && node!.transferLeadership(to)) handing.push(name);
    }
    if (handing.length === 0) return;
    this.host.kick();
    const leading = () =>
      handing.filter((name) => {
        const lead = this.host.group(name)?.lead ?? 0;
        return lead === 0 || lead === this.nodeId;
      }).length;
    // Bounded by the deadline; each pass sleeps a fraction of a tick.
    const deadline = started + 2 * electionRtt * rttMs;
    while (leading() > 0 && performance.now() < deadline) await sleep(Math.max(1, Math.min(10, rttMs)));
    this.logger.info(
      { groups: handing.length, withoutNewLeader: leading(), ms: Math.round(performance.now() - started) },
      'handed leadership over before stopping',
    );
  }

  private every(ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms);
    timer.unref();
    this.timers.push(timer);
  }

  /** Peers: the founding members plus every broker that registered a Raft address. */
  private peerAddresses(): Map<number, string> {
    const peers = new Map<number, string>();
    for (const m of this.options.config.cluster.initial_members) if (m.node_id !== this.nodeId) peers.set(m.node_id, m.address);
    // `metadata` is not built yet while the constructor creates the transport.
    for (const b of this.metadata?.state.allBrokers() ?? []) {
      if (b.nodeId !== this.nodeId && b.raftAddress) peers.set(b.nodeId, b.raftAddress);
    }
    return peers;
  }
}

/** The node store's record of partition groups (the metadata group's record is the cluster node's). */
function partitionRegistry(store: NodeStore): ReplicaRegistry {
  return {
    holds: (group) => store.holdsReplica(group),
    record: (group) => store.recordReplica(group),
    forget: (group) => store.forgetReplica(group),
    recorded: () => store.recordedReplicas().filter((group) => group !== metadataGroupName),
  };
}

function sameBroker(a: BrokerRecord, b: BrokerRecord): boolean {
  return (
    a.host === b.host &&
    a.port === b.port &&
    a.rack === b.rack &&
    a.storageId === b.storageId &&
    a.raftAddress === b.raftAddress &&
    JSON.stringify(a.listeners) === JSON.stringify(b.listeners)
  );
}

/** The transport's listen address from cluster.raft_address (validated by the config schema). */
function listenAddress(address: string): { listenHost: string; listenPort: number } {
  const { host, port } = parseAddress(address);
  return { listenHost: host, listenPort: port };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
