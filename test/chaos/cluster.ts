// The chaos runner's brokers: three or five real `./broker` processes, each in its own
// network namespace (lab.ts) with the same ports (Kafka 9092, HTTP 8080, Raft 9192) on its own
// address. It knows which brokers it stopped on purpose, so a broker that exits on its own is
// a crash the run reports. It depends on the broker only through its process, its config,
// its log and the Kafka protocol.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBroker, type BrokerHandle } from '../helpers/broker-process.ts';
import { RawClient } from '../../bench/lib/raw-client.ts';
import { PAGE_CACHE_KILL_SIGNAL, POWER_LOSS_ENV, POWER_LOSS_SEED_ENV, SKIP_FSYNC_ENV } from '../../src/cli/power-loss-mode.ts';
import type { Lab } from './lab.ts';

export const KAFKA_PORT = 9092;
export const HTTP_PORT = 8080;
export const RAFT_PORT = 9192;
/** cluster.metadata_voters, set explicitly: faults that may lose a disk must spare a majority of these. */
export const METADATA_VOTERS = 3;
/** A broker (re)start under load may take long: forming the cluster waits for every founder. */
const START_TIMEOUT_MS = 120_000;
/** How long one metadata question to one broker may take before we ask another. */
const METADATA_TIMEOUT_MS = 3_000;
/** Log lines kept per crash report, and characters per line. */
const CRASH_TAIL_LINES = 15;
const CRASH_LINE_CHARS = 400;
/** How long a broker in power-loss mode may take to act on the page-cache kill signal before it gets a plain SIGKILL. */
const PAGE_CACHE_KILL_TIMEOUT_MS = 5_000;
const PAGE_CACHE_KILL_POLL_MS = 20;

export interface ClusterOptions {
  size: number;
  /** Where data dirs and config files go. */
  root: string;
  rttMs?: number;
  /** Extra environment for every broker (for a test-only broker mode such as power loss). */
  env?: Record<string, string>;
  /** A broker whose data dir is a tmpfs of this size, for the full-disk fault. */
  tmpfs?: { nodeId: number; sizeMiB: number };
  /**
   * Brokers in the test-only power-loss mode (src/cli/power-loss-mode.ts), tearing with a seed
   * derived from `seed` and the node id; `skipFsync` is the broken build the self-check runs.
   * Every broker but the tmpfs one: the mode holds writes in memory until a sync, so a full
   * disk would fail the sync instead of the write, which is not what the full-disk fault tests.
   */
  powerLoss?: { seed: number; skipFsync: boolean };
  /** Says what happens, for the run's log. */
  note?(msg: string): void;
}

/** The power-loss mode's tearing seed of broker `nodeId` in a run with seed `runSeed`. */
export function powerLossSeed(runSeed: number, nodeId: number): number {
  return (Math.imul(runSeed ^ 0x2545f491, 0x9e3779b1) + nodeId * 0x85ebca6b) >>> 0;
}

function powerLossEnv(p: NonNullable<ClusterOptions['powerLoss']>, nodeId: number): Record<string, string> {
  return { [POWER_LOSS_ENV]: '1', [POWER_LOSS_SEED_ENV]: String(powerLossSeed(p.seed, nodeId)), ...(p.skipFsync ? { [SKIP_FSYNC_ENV]: '1' } : {}) };
}

export interface ChaosNode {
  readonly nodeId: number;
  readonly ip: string;
  readonly dataDir: string;
  readonly configFile: string;
  /** On the tmpfs node: a file beside the data dir on the same tmpfs, which the full-disk fault grows. */
  readonly fillerFile: string | null;
  /** Runs in the power-loss mode (ClusterOptions.powerLoss). */
  readonly powerLoss: boolean;
  handle: BrokerHandle | null;
  /** Stopped by the runner (kill -9) and not restarted yet. */
  down: boolean;
  /** SIGSTOPped by the runner. */
  paused: boolean;
}

export interface Crash {
  nodeId: number;
  /** What ended it: an exit nobody asked for, or a fatal line in its log. */
  what: string;
  tail: string;
}

export interface ClusterView {
  controllerId: number;
  /** partition → leader node id (absent or -1 when none). */
  leaders: Map<number, number>;
}

export class ChaosCluster {
  readonly nodes: ChaosNode[];
  readonly crashes: Crash[] = [];
  /** Fatal lines the runner expected (a broker refusing a disk it damaged on purpose). */
  private readonly excused = new Set<string>();

  private constructor(
    private readonly lab: Lab,
    nodes: ChaosNode[],
    private readonly options: ClusterOptions,
  ) {
    this.nodes = nodes;
  }

  static async start(lab: Lab, options: ClusterOptions): Promise<ChaosCluster> {
    const ids = Array.from({ length: options.size }, (_, i) => i + 1);
    const members = ids.map((id) => ({ node_id: id, address: `${lab.nodeIp(id)}:${RAFT_PORT}` }));
    const nodes: ChaosNode[] = [];
    for (const id of ids) {
      const onTmpfs = options.tmpfs?.nodeId === id;
      const diskDir = join(options.root, onTmpfs ? `node${id}-tmpfs` : `node${id}`);
      const dataDir = onTmpfs ? join(diskDir, 'data') : diskDir;
      const configFile = join(options.root, `node${id}.json`);
      if (onTmpfs) await lab.mountTmpfs(diskDir, options.tmpfs!.sizeMiB);
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(
        configFile,
        JSON.stringify({
          cluster: {
            enabled: true,
            node_id: id,
            raft_address: `${lab.nodeIp(id)}:${RAFT_PORT}`,
            initial_members: members,
            ...(options.rttMs === undefined ? {} : { rtt_ms: options.rttMs }),
            // Internal topics (__consumer_offsets) on every broker too: see run.ts on why.
            replication_factor: options.size,
            metadata_voters: METADATA_VOTERS,
            secret: 'chaos-cluster-secret',
          },
        }),
      );
      nodes.push({
        nodeId: id,
        ip: lab.nodeIp(id),
        dataDir,
        configFile,
        fillerFile: onTmpfs ? join(diskDir, 'filler') : null,
        powerLoss: options.powerLoss !== undefined && !onTmpfs,
        handle: null,
        down: true,
        paused: false,
      });
    }
    const cluster = new ChaosCluster(lab, nodes, options);
    // Founders form the cluster only once all of them are up, so they start together.
    const started = await Promise.allSettled(nodes.map((n) => cluster.startNode(n)));
    const failed = started.find((s) => s.status === 'rejected') as PromiseRejectedResult | undefined;
    if (failed) {
      await cluster.stopAll();
      throw failed.reason;
    }
    return cluster;
  }

  node(id: number): ChaosNode {
    const n = this.nodes.find((x) => x.nodeId === id);
    if (!n) throw new Error(`no broker ${id}`);
    return n;
  }

  get bootstrap(): string[] {
    return this.nodes.map((n) => `${n.ip}:${KAFKA_PORT}`);
  }

  /** The metadata group's voters: the lowest node ids (the rest follow it as learners). */
  get metadataVoters(): number[] {
    return this.nodes
      .map((n) => n.nodeId)
      .sort((a, b) => a - b)
      .slice(0, METADATA_VOTERS);
  }

  /** Brokers running and not paused. */
  /** Some brokers run in the power-loss mode: `kill` keeps their page cache, `powerOff` loses it. */
  get powerLossMode(): boolean {
    return this.nodes.some((n) => n.powerLoss);
  }

  /** The brokers run with fsync disabled (the self-check). */
  get fsyncDisabled(): boolean {
    return this.options.powerLoss?.skipFsync === true;
  }

  get serving(): ChaosNode[] {
    return this.nodes.filter((n) => !n.down && !n.paused && n.handle?.alive());
  }

  private async startNode(n: ChaosNode): Promise<void> {
    if (n.handle) {
      await n.handle.restart();
    } else {
      n.handle = await startBroker({
        configFile: n.configFile,
        dataDir: n.dataDir,
        keepDataDir: true,
        host: n.ip,
        port: KAFKA_PORT,
        httpPort: HTTP_PORT,
        wrapper: ['ip', 'netns', 'exec', this.lab.netns(n.nodeId)],
        env: { ...(n.powerLoss ? powerLossEnv(this.options.powerLoss!, n.nodeId) : {}), ...this.options.env },
        startTimeoutMs: START_TIMEOUT_MS,
      });
    }
    n.down = false;
    n.paused = false;
  }

  /**
   * kill -9 of the process while the machine stays up (a stopped broker dies too): what it wrote
   * survives in the page cache, synced or not. In power-loss mode the broker is asked to write
   * its unsynced writes back and SIGKILL itself (PAGE_CACHE_KILL_SIGNAL); one that does not
   * within PAGE_CACHE_KILL_TIMEOUT_MS gets a plain SIGKILL, a power loss, and the run's log says so.
   */
  async kill(ids: number[]): Promise<void> {
    await this.stop(ids, 'page-cache');
  }

  /**
   * A power loss: a plain SIGKILL, which loses whatever a broker in power-loss mode had not
   * fsynced (a broker not in the mode keeps it all: for it this is a kill -9).
   */
  async powerOff(ids: number[]): Promise<void> {
    await this.stop(ids, 'sigkill');
  }

  private async stop(ids: number[], how: 'page-cache' | 'sigkill'): Promise<void> {
    await Promise.all(
      ids.map(async (id) => {
        const n = this.node(id);
        n.down = true;
        const handle = n.handle;
        if (handle && how === 'page-cache' && n.powerLoss && handle.alive()) {
          if (n.paused) process.kill(handle.pid, 'SIGCONT');
          process.kill(handle.pid, PAGE_CACHE_KILL_SIGNAL);
          const deadline = Date.now() + PAGE_CACHE_KILL_TIMEOUT_MS;
          while (handle.alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, PAGE_CACHE_KILL_POLL_MS));
          if (handle.alive())
            this.options.note?.(`broker ${id} ignored ${PAGE_CACHE_KILL_SIGNAL} for ${PAGE_CACHE_KILL_TIMEOUT_MS} ms; plain SIGKILL (a power loss)`);
        }
        if (handle) await handle.kill9();
        n.paused = false;
      }),
    );
  }

  /** Starts killed brokers again; resolves with the error of each one that would not start. */
  async restart(ids: number[]): Promise<Map<number, Error>> {
    const errors = new Map<number, Error>();
    await Promise.all(
      ids.map(async (id) => {
        try {
          await this.startNode(this.node(id));
        } catch (err) {
          errors.set(id, err as Error);
        }
      }),
    );
    return errors;
  }

  pause(id: number): void {
    const n = this.node(id);
    if (!n.handle?.alive()) return;
    process.kill(n.handle.pid, 'SIGSTOP');
    n.paused = true;
  }

  resume(id: number): void {
    const n = this.node(id);
    n.paused = false;
    if (n.handle?.alive()) process.kill(n.handle.pid, 'SIGCONT');
  }

  /**
   * Records brokers that exited although the runner did not stop them, and marks them down so
   * healing restarts them. Call it often (it only checks process state).
   */
  noticeCrashes(): void {
    for (const n of this.nodes) {
      if (n.down || !n.handle || n.handle.alive()) continue;
      n.down = true;
      n.paused = false;
      const tail = n.handle
        .logs()
        .slice(-CRASH_TAIL_LINES)
        .map((l) => l.slice(0, CRASH_LINE_CHARS));
      this.crashes.push({ nodeId: n.nodeId, what: 'exited on its own', tail: tail.join('\n') });
    }
  }

  /** Broker `id`'s fatal log lines so far. */
  fatalLines(id: number): string[] {
    return (this.node(id).handle?.logs() ?? []).filter(isFatalLine);
  }

  /**
   * Marks fatal lines as expected: a broker may refuse to start from a disk the runner damaged
   * (that refusal is the detection working), and scanLogs must not call it a crash.
   */
  excuse(lines: string[]): void {
    for (const l of lines) this.excused.add(l);
  }

  /** Fatal log lines and broken invariants in every broker's log (a crash even if it kept running). */
  scanLogs(): Crash[] {
    const found: Crash[] = [];
    for (const n of this.nodes) {
      const lines = n.handle?.logs() ?? [];
      const bad = lines.filter((l) => isFatalLine(l) && !this.excused.has(l));
      if (bad.length > 0)
        found.push({
          nodeId: n.nodeId,
          what: `${bad.length} fatal log line(s)`,
          tail: bad
            .slice(0, 5)
            .map((l) => l.slice(0, CRASH_LINE_CHARS))
            .join('\n'),
        });
    }
    return found;
  }

  /** The controller and each partition's leader as broker `nodeId` sees them (throws if it does not answer). */
  viewFrom(nodeId: number, topic: string): Promise<ClusterView> {
    return withTimeout(metadataOf(this.node(nodeId).ip, topic), METADATA_TIMEOUT_MS);
  }

  /** The controller and each partition's leader, as the first broker that answers tells it. */
  async view(topic: string): Promise<ClusterView | null> {
    for (const n of shuffled(this.serving)) {
      try {
        return await withTimeout(metadataOf(n.ip, topic), METADATA_TIMEOUT_MS);
      } catch {
        // Ask the next one.
      }
    }
    return null;
  }

  async stopAll(): Promise<void> {
    for (const n of this.nodes) if (n.paused) this.resume(n.nodeId);
    await Promise.all(this.nodes.map((n) => n.handle?.stop(10_000)));
    for (const n of this.nodes) n.down = true;
  }
}

/** pino writes level names in JSON logs; an InvariantError (src/base/invariant.ts) crashes the process with its stack. */
export function isFatalLine(line: string): boolean {
  return /"level":"fatal"|"level":60\b|InvariantError|invariant broken/.test(line);
}

async function metadataOf(host: string, topic: string): Promise<ClusterView> {
  const client = await RawClient.connect({ host, port: KAFKA_PORT, clientId: 'runnel-chaos-view', connectTimeoutMs: METADATA_TIMEOUT_MS });
  try {
    const meta = await client.metadata([topic]);
    const leaders = new Map<number, number>();
    const t = meta.topics.find((x: { name: string }) => x.name === topic);
    for (const p of t?.partitions ?? []) leaders.set(p.partitionIndex, p.errorCode === 0 ? p.leaderId : -1);
    return { controllerId: meta.controllerId ?? -1, leaders };
  } finally {
    client.close();
  }
}

export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function shuffled<T>(xs: T[]): T[] {
  // Order does not need to be seeded: it only spreads questions over the brokers.
  return [...xs].sort(() => Math.random() - 0.5);
}
