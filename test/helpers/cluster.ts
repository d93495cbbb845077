// Starts a cluster of real broker processes on 127.0.0.1 for cluster-mode tests: every broker
// gets its own Kafka, HTTP and Raft ports and data directory, and a config file naming the
// others as initial members. Brokers are started together because a new cluster forms only
// when every founding member is up (and each logs "listening" only once it is registered).
// Like scripts/start-cluster.sh, the harness makes a fresh secret for each cluster and the
// configs name it with cluster.secret_file (brokers refuse cluster mode without a secret).

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, startBroker, type BrokerHandle } from './broker-process.ts';
import type { NodeStatus } from '../../src/http/status.ts';

export interface ClusterOptions {
  size?: number;
  /** One Raft tick in ms (cluster.rtt_ms); by default the product default (50). */
  rttMs?: number;
  env?: Record<string, string>;
  /** More environment for one broker, given its node id and Kafka port (e.g. its own listeners); applied over `env`. */
  envFor?: (nodeId: number, port: number) => Record<string, string>;
  /** Called for each broker's data dir before it starts (a test mounts a small tmpfs there). */
  prepareDataDir?: (nodeId: number, dataDir: string) => void;
  /** Milliseconds to wait before starting each broker (by node id); by default all start at once. */
  startDelayMs?: (nodeId: number) => number;
}

export interface JoinerOptions {
  nodeId: number;
  /** cluster.discovery.type: static (the founders' list is the seed list) or manual. */
  discovery: 'static' | 'manual';
  /** Called once the joiner's HTTP server answers, before it is registered (a manual join). */
  whileStarting?: (httpPort: number) => Promise<void>;
  env?: Record<string, string>;
}

export interface ClusterMember {
  nodeId: number;
  broker: BrokerHandle;
  httpPort: number;
  raftAddress: string;
  configFile: string;
}

export class TestCluster {
  readonly members: ClusterMember[];
  private readonly root: string;

  constructor(members: ClusterMember[], root: string) {
    this.members = members;
    this.root = root;
  }

  /** All brokers' Kafka addresses, as a bootstrap list. */
  get bootstrap(): string {
    return this.members.map((m) => m.broker.bootstrap).join(',');
  }

  member(nodeId: number): ClusterMember {
    const m = this.members.find((x) => x.nodeId === nodeId);
    if (!m) throw new Error(`no broker ${nodeId}`);
    return m;
  }

  async status(nodeId: number): Promise<NodeStatus> {
    const res = await fetch(`http://127.0.0.1:${this.member(nodeId).httpPort}/status`, { signal: AbortSignal.timeout(2_000) });
    return (await res.json()) as NodeStatus;
  }

  /** The leader of a Raft group as reported by a live broker that knows one, or 0. */
  async leaderOf(group: string, exclude: number[] = []): Promise<number> {
    for (const m of this.members) {
      if (!m.broker.alive() || exclude.includes(m.nodeId)) continue;
      try {
        const g = (await this.status(m.nodeId)).groups.find((x) => x.group === group);
        if (g && g.leader > 0 && !exclude.includes(g.leader)) return g.leader;
      } catch {
        // A broker that does not answer right now (stopped, starting) tells us nothing.
      }
    }
    return 0;
  }

  /** Polls until `check` holds, every 100 ms, for at most `timeoutMs`. */
  async waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        if (await check()) return;
      } catch {
        // Not yet (a broker restarting refuses connections).
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${what}: not reached within ${timeoutMs} ms`);
  }

  /** Waits until every live broker's replica of `group` has applied the same index as its leader. */
  async waitCaughtUp(group: string, timeoutMs = 30_000): Promise<void> {
    await this.waitFor(
      `replicas of ${group} caught up`,
      async () => {
        const live = this.members.filter((m) => m.broker.alive());
        const groups = await Promise.all(live.map(async (m) => (await this.status(m.nodeId)).groups.find((g) => g.group === group)));
        if (groups.some((g) => !g || g.leader <= 0)) return false;
        const applied = groups.map((g) => g!.applied);
        return applied.every((a) => a === applied[0]) && groups.every((g) => g!.lastIndex === groups[0]!.lastIndex);
      },
      timeoutMs,
    );
  }

  /**
   * Raft §5.3 (log matching), checked on disk: waits until the replicas of each partition applied
   * the same entries, kills every broker at once and asserts their segment files are
   * byte-identical. kill -9, not a clean stop: a stopping leader hands its groups over, and the
   * new leader's first entry of its term then reaches some replicas and not others (an
   * uncommitted tail, which Raft allows). The page cache keeps what the brokers wrote.
   */
  async assertReplicasIdentical(partitions: ReadonlyArray<readonly [string, number]>): Promise<void> {
    for (const [topic, p] of partitions) await this.waitCaughtUp(`${topic}-${p}`);
    await Promise.all(this.members.filter((m) => m.broker.alive()).map((m) => m.broker.kill9()));
    for (const [topic, p] of partitions) {
      const bytes = this.members.map((m) => this.partitionBytes(m.nodeId, topic, p));
      assert.ok(bytes[0].length > 0, `${topic}-${p} has data`);
      for (let i = 1; i < bytes.length; i++) {
        assert.ok(bytes[i].equals(bytes[0]), `${topic}-${p}: broker ${this.members[i].nodeId}'s log equals broker ${this.members[0].nodeId}'s`);
      }
    }
  }

  /** The bytes of a partition's segment files on a broker, in offset order (for replica comparison). */
  partitionBytes(nodeId: number, topic: string, partition: number): Buffer {
    const dir = join(this.member(nodeId).broker.dataDir, `${topic}-${partition}`);
    if (!existsSync(dir)) return Buffer.alloc(0);
    const logs = readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .sort();
    return Buffer.concat(logs.map((f) => readFileSync(join(dir, f))));
  }

  /**
   * Ends the cluster at a test's end: every broker is killed (kill -9) and the data dirs removed.
   * Not a clean stop: nothing looks at the brokers after this, and three brokers sent SIGTERM at
   * once each wait for a leadership handoff to another that is stopping too (1 s and more per
   * cluster, at every test's end). The clean stop is what cluster-leader-handoff.test.ts tests,
   * and a test that needs one stops its broker itself (`member(id).broker.stop()`).
   */
  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m.broker.kill9()));
    rmSync(this.root, { recursive: true, force: true });
  }

  /**
   * Starts a broker that joins the running cluster (issue 11): its config is a copy of broker
   * `copyOf`'s with its own node id, ports and data dir and `initial_cluster_state: "existing"`,
   * so `initial_members` still names the founders. Resolves once it logged "listening" (it is
   * registered), and adds it to `members`.
   */
  async addJoiner(options: JoinerOptions, copyOf = this.members[0]!.nodeId): Promise<ClusterMember> {
    const [port, httpPort, raftPort] = await freePorts(3);
    const raftAddress = `127.0.0.1:${raftPort}`;
    const founder = JSON.parse(readFileSync(this.member(copyOf).configFile, 'utf8')) as { cluster: Record<string, unknown> };
    const configFile = join(this.root, `node${options.nodeId}.json`);
    writeFileSync(
      configFile,
      JSON.stringify({
        ...founder,
        cluster: {
          ...founder.cluster,
          node_id: options.nodeId,
          raft_address: raftAddress,
          initial_cluster_state: 'existing',
          discovery: { type: options.discovery },
        },
      }),
    );
    const dataDir = join(this.root, `node${options.nodeId}`);
    const started = startBroker({ configFile, dataDir, port, httpPort, env: options.env, startTimeoutMs: 60_000 });
    if (options.whileStarting) {
      // Bounded by waitFor's timeout; the broker's own start timeout bounds `started`.
      await this.waitFor(`broker ${options.nodeId} answers HTTP`, async () => (await fetch(`http://127.0.0.1:${httpPort}/health`)).ok);
      await options.whileStarting(httpPort);
    }
    const member: ClusterMember = { nodeId: options.nodeId, broker: await started, httpPort, raftAddress, configFile };
    this.members.push(member);
    return member;
  }
}

export async function startCluster(options: ClusterOptions = {}): Promise<TestCluster> {
  const size = options.size ?? 3;
  const root = mkdtempSync(join(tmpdir(), 'runnel-cluster-'));
  const ports = await freePorts(size * 3);
  const ids = Array.from({ length: size }, (_, i) => i + 1);
  const raftAddresses = ids.map((_, i) => `127.0.0.1:${ports[size * 2 + i]}`);
  const secretFile = join(root, 'cluster.secret');
  writeFileSync(secretFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  const specs = ids.map((nodeId, i) => {
    const dataDir = join(root, `node${nodeId}`);
    const configFile = join(root, `node${nodeId}.json`);
    writeFileSync(
      configFile,
      JSON.stringify({
        cluster: {
          enabled: true,
          node_id: nodeId,
          raft_address: raftAddresses[i],
          initial_members: ids.map((id, k) => ({ node_id: id, address: raftAddresses[k] })),
          ...(options.rttMs === undefined ? {} : { rtt_ms: options.rttMs }),
          secret_file: secretFile,
        },
      }),
    );
    return { nodeId, dataDir, configFile, port: ports[i], httpPort: ports[size + i], raftAddress: raftAddresses[i] };
  });
  let brokers: BrokerHandle[];
  try {
    for (const s of specs) options.prepareDataDir?.(s.nodeId, s.dataDir);
    brokers = await Promise.all(
      specs.map(async (s) => {
        const delayMs = options.startDelayMs?.(s.nodeId) ?? 0;
        if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
        return startBroker({
          configFile: s.configFile,
          dataDir: s.dataDir,
          port: s.port,
          httpPort: s.httpPort,
          env: { ...options.env, ...options.envFor?.(s.nodeId, s.port) },
          startTimeoutMs: 60_000,
        });
      }),
    );
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  return new TestCluster(
    specs.map((s, i) => ({ nodeId: s.nodeId, broker: brokers[i], httpPort: s.httpPort, raftAddress: s.raftAddress, configFile: s.configFile })),
    root,
  );
}
