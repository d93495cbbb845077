// One incarnation of a simulated broker process (replica-sim.ts): the production RaftHost with a
// ReplicatedPartition over RaftLogStorage for each partition group it hosts, opened from its disk
// as ClusterReplicaManager.open does. The simulator owns time (tick()) and the fsyncs (the disk's
// SyncGate); it never calls RaftHost.start(). A crash ends the incarnation: its transport goes
// quiet and the fsyncs it waits on never return, so nothing of it runs again.

import type { Logger } from 'pino';
import { RaftHost, type GroupStateMachine, type HostStorage } from '../../src/raft-host/raft-host.ts';
import { RaftNode, type Rng } from '../../src/raft/index.ts';
import type { ConfState, Entry, Snapshot } from '../../src/raft/types.ts';
import type { RaftLogStorage } from '../../src/partition/raft-log-storage.ts';
import { ReplicatedPartition } from '../../src/partition/replicated-partition.ts';
import { newGroupStorageId } from '../../src/partition/replica-identity.ts';
import { LoadQueue } from '../../src/partition/load-queue.ts';
import type { LogLike } from '../../src/storage/log-config.ts';
import { LogDamagedError } from '../../src/storage/errors.ts';
import { ScrubQueue } from '../../src/storage/scrub-queue.ts';
import type { ReplicaDisk } from './sim-disk.ts';
import { MetaReplica } from './meta-replica.ts';
import type { Packet } from './sim-transport.ts';
import { SimTransport } from './sim-transport.ts';
import type { SimNetwork } from './network.ts';

/** A group every node hosts, and the configuration it was founded with. */
export interface GroupPlan {
  /** A partition (ReplicatedPartition) or the metadata-like group (MetaReplica). */
  kind: 'partition' | 'meta';
  name: string;
  topic: string;
  partition: number;
  /** The founding members with their founding storage ids (the topic record's `founders`). */
  founders: ConfState;
  /** The preferred leader: it campaigns when it founds the group. */
  preferred: number;
}

export interface RaftTuning {
  electionTicks: number;
  heartbeatTicks: number;
  checkQuorum: boolean;
  maxSizePerMsg: number;
  maxInflightMsgs: number;
  maxUncommittedBytes: number;
}

/** What the simulator watches (invariants) and hears (logs, failures). */
export interface ReplicaHooks {
  /** Entries now durable in a group's log, the one before them having term `prevTerm`. */
  durable(group: string, nodeId: number, entries: readonly Entry[], prevTerm: number | undefined): void;
  /** A committed entry the host applied (after the replica did); `hash` is a metadata-like group's state after it. */
  apply(group: string, nodeId: number, entry: Entry, hosted: HostedGroup, hash?: number): void;
  restore(group: string, nodeId: number, snapshot: Snapshot): void;
  /** The host's Ready loop failed: this process is dead. */
  fatal(nodeId: number, err: unknown): void;
  log(nodeId: number, level: string, obj: object, msg?: string): void;
}

export interface HostedGroup {
  plan: GroupPlan;
  node: RaftNode;
  storage: RaftLogStorage;
  /** Set for a partition group. */
  replica: ReplicatedPartition | null;
  /** Set for the metadata-like group. */
  meta: MetaReplica | null;
}

function simLogger(nodeId: number, hooks: ReplicaHooks): Logger & LogLike {
  const at = (level: string) => (obj: object, msg?: string) => hooks.log(nodeId, level, obj, msg);
  const logger = { trace() {}, debug() {}, info: at('info'), warn: at('warn'), error: at('error'), fatal: at('fatal'), child: () => logger };
  return logger as unknown as Logger & LogLike;
}

export class ReplicaProcess {
  readonly host: RaftHost;
  readonly transport: SimTransport;
  readonly groups = new Map<string, HostedGroup>();
  /**
   * The broker's queue of background loads (producer state after a restart or a truncation). A
   * broker yields to the event loop between chunks with setImmediate; here each chunk is a
   * microtask, so loads run between the simulator's events, deterministically.
   */
  private readonly loads: LoadQueue;
  /** Groups whose new term or vote is written and waits on its fsync (where a crash hurts most). */
  readonly termsInFlight = new Set<string>();
  /** The logs' background CRC scrubs (B6): one step per tick (stepScrub), as the broker's timer-driven queue. */
  private readonly scrubs = new ScrubQueue({ manual: true });
  private killed = false;

  /**
   * Starts the process: opens every group's storage from `disk` and hosts it. Throws where the
   * broker would refuse to start (the caller keeps the node down).
   */
  constructor(
    readonly nodeId: number,
    storageId: string,
    readonly disk: ReplicaDisk,
    net: SimNetwork<Packet>,
    /** Messages go through the wire codec (sim-transport.ts codecSeed), or as copies. */
    codec: boolean,
    plans: readonly GroupPlan[],
    tuning: RaftTuning,
    rng: Rng,
    hooks: ReplicaHooks,
  ) {
    const logger = simLogger(nodeId, hooks);
    this.transport = new SimTransport(nodeId, net, codec);
    // As HostedReplicas' queue: a failed load is logged and the partition refuses idempotent produces.
    this.loads = new LoadQueue({
      schedule: (run) => queueMicrotask(run),
      onError: (_job, err) =>
        hooks.log(nodeId, 'error', { err }, 'loading producer state failed; idempotent produce to that partition is refused until it is reloaded'),
    });
    this.host = new RaftHost({ nodeId, transport: this.transport, logger, tickMs: 1, onFatal: (err) => hooks.fatal(nodeId, err) });
    try {
      for (const plan of plans) this.groups.set(plan.name, this.openGroup(plan, storageId, tuning, rng, hooks, logger));
    } catch (err) {
      this.kill();
      throw err;
    }
  }

  /** One step of the scrub queue (the simulator calls it once per tick). */
  stepScrub(): void {
    this.scrubs.runStep();
  }

  /**
   * As ClusterReplicaManager.open: found the group if the founders name this replica's storage id,
   * else start empty. With `damaged`, the group's log found damage after open (B6): the replica is
   * opened again over that log, which takes the lost-state path.
   */
  private openGroup(
    plan: GroupPlan,
    storageId: string,
    tuning: RaftTuning,
    rng: Rng,
    hooks: ReplicaHooks,
    logger: LogLike,
    damaged?: RaftLogStorage,
  ): HostedGroup {
    const { nodeId, host } = this;
    // A replica that lost its state gets a new group-level id; its suffix comes from the seed.
    const newId = () => newGroupStorageId(storageId, rng.nextU32().toString(16).padStart(8, '0'));
    let storage =
      damaged === undefined
        ? this.disk.open(plan.name, storageId, logger, newId, this.scrubs)
        : this.disk.reopen!(plan.name, damaged, storageId, logger, newId);
    // The checker reads every entry below (hooks.durable): a read of a segment not CRC-checked yet
    // that finds damage (as the scrub would, later) starts the replica over, as a broker does.
    // The entries read here are the ones handed to the checker (a second read cost 1-2 % of a run).
    let recovered: Entry[] | null = null;
    try {
      if (storage.lastIndex() >= storage.firstIndex()) recovered = storage.entries(storage.firstIndex(), storage.lastIndex() + 1, Number.MAX_SAFE_INTEGER);
    } catch (err) {
      if (!(err instanceof LogDamagedError)) throw err;
      storage = this.disk.reopen!(plan.name, storage, storageId, logger, newId);
    }
    let founded = false;
    if (storage.lastIndex() === 0 && storage.getHardState().term === 0) {
      const mine = [...plan.founders.voters, ...plan.founders.learners].find((m) => m.id === nodeId);
      if (mine !== undefined && mine.storageId === storage.storageId) {
        storage.bootstrap(plan.founders, plan.name);
        founded = true;
      }
    }
    const node = new RaftNode(
      {
        id: nodeId,
        electionTicks: tuning.electionTicks,
        heartbeatTicks: tuning.heartbeatTicks,
        checkQuorum: tuning.checkQuorum,
        preVote: true,
        snapshotEntries: 0,
        maxSizePerMsg: tuning.maxSizePerMsg,
        maxInflightMsgs: tuning.maxInflightMsgs,
        maxUncommittedBytes: tuning.maxUncommittedBytes,
      },
      storage,
      rng.fork(),
    );
    const hosted: HostedGroup = { plan, node, storage, replica: null, meta: null };
    // The checker sees entries once they are durable: what recovery kept is (it synced it);
    // what the host writes is after the next completed sync.
    if (!founded && storage.lastIndex() >= storage.firstIndex()) {
      const first = storage.firstIndex();
      hooks.durable(plan.name, nodeId, recovered ?? storage.entries(first, storage.lastIndex() + 1, Number.MAX_SAFE_INTEGER), storage.term(first - 1));
    }
    // bootstrap() made the founding durable before it returned (B5).
    if (founded) hooks.durable(plan.name, nodeId, storage.entries(1, storage.lastIndex() + 1, Number.MAX_SAFE_INTEGER), 0);
    let written: Array<{ entries: readonly Entry[]; prevTerm: number | undefined }> = [];
    // The host sees the real storage and replica; these wrappers only let the simulator watch.
    const watchedStorage: HostStorage = {
      append: (entries) => {
        if (entries.length > 0) written.push({ entries, prevTerm: node.termAt(entries[0].index - 1) });
        storage.append(entries);
      },
      setHardState: (hs) => {
        const was = storage.getHardState();
        if (hs.term !== was.term || hs.vote !== was.vote) this.termsInFlight.add(plan.name);
        storage.setHardState(hs);
      },
      applySnapshot: (snap) => storage.applySnapshot(snap),
      sync: () => {
        const covered = written;
        written = [];
        return storage.sync().then(() => {
          this.termsInFlight.delete(plan.name);
          for (const w of covered) hooks.durable(plan.name, nodeId, w.entries, w.prevTerm);
        });
      },
      logStartSnapshot: () => storage.logStartSnapshot(),
    };
    let sm: GroupStateMachine;
    if (plan.kind === 'meta') {
      let checkpoint = this.disk.nodeStore.get(plan.name);
      if (checkpoint === undefined) {
        checkpoint = { applied: 0, hash: 0 };
        this.disk.nodeStore.set(plan.name, checkpoint);
      }
      const meta = new MetaReplica(
        nodeId,
        checkpoint,
        () => host.kick(),
        (entry, hash) => hooks.apply(plan.name, nodeId, entry, hosted, hash),
      );
      hosted.meta = meta;
      meta.attach(node, storage);
      sm = {
        apply: (entry) => meta.apply(entry),
        restore: (snap) => hooks.restore(plan.name, nodeId, snap),
        onLeaderChange: (leader) => meta.onLeaderChange(leader),
      };
    } else {
      const replica = new ReplicatedPartition(plan.topic, plan.partition, storage, nodeId, () => host.kick(), { loadQueue: this.loads, logger });
      replica.attach(node);
      hosted.replica = replica;
      sm = {
        apply: (entry) => {
          replica.apply(entry);
          hooks.apply(plan.name, nodeId, entry, hosted);
        },
        restore: (snap) => hooks.restore(plan.name, nodeId, snap),
        onLeaderChange: (leader, term) => replica.onLeaderChange(leader, term),
        onPersisted: (lastIndex) => replica.onPersisted(lastIndex),
      };
    }
    // As ClusterReplicaManager: damage found after open stops the group, and the replica opens again.
    const unsubscribe = storage.onDamage((damage) => {
      const err = new LogDamagedError(damage);
      host.stopGroup(plan.name, err);
      queueMicrotask(() => {
        unsubscribe();
        if (this.killed || plan.kind === 'meta') return;
        host.removeGroup(plan.name);
        hosted.replica?.release(err);
        this.groups.set(plan.name, this.openGroup(plan, storageId, tuning, rng, hooks, logger, storage));
      });
    });
    host.addGroup(plan.name, node, watchedStorage, sm);
    if (founded && plan.preferred === nodeId) node.campaign();
    return hosted;
  }

  /** The process dies: nothing it sends arrives, and the fsyncs it waits on never return. */
  kill(): void {
    this.killed = true;
    this.transport.kill();
    this.disk.gate.forget();
    // Stops a Ready round queued but not begun (a crash between two microtasks); one waiting on
    // a forgotten fsync stays parked for good.
    void this.host.close();
    this.loads.close();
  }
}
