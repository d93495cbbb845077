// GET /metrics: the broker's metrics in the Prometheus text format, with prom-client
// (docs/operations.md lists every name). Two kinds:
// - counted as things happen, through the small counter interfaces of the layers below
//   (BrokerCounters: requests and records in/out per topic, kept in plain Maps by
//   hot-metrics.ts because the data path pays for them; RaftHostCounters: fsyncs, elections,
//   snapshots, in prom-client), per request or per batch, never per record;
// - read at scrape time from state the broker keeps anyway (Raft groups, replicas, logs,
//   consumer groups), so they cost nothing between scrapes.
// The process metrics (event-loop lag, GC time, memory, CPU) are prom-client's defaults, one
// set per process however many brokers a test runs in it.

import { consumerLag } from '../protocol/consumer-lag.ts';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BrokerCounters } from '../broker/broker-counters.ts';
import type { BrokerServices } from '../broker/services.ts';
import type { GroupStatus } from '../raft-host/group-status.ts';
import type { RaftHostCounters } from '../raft-host/raft-host.ts';
import type { HttpApp } from './server.ts';
import { CounterFamily, HistogramFamily } from './hot-metrics.ts';

/** Consumer-group lag series at most (one per group and partition); the sum per group is always complete. */
export const CONSUMER_LAG_SERIES_MAX = 10_000;

/** Latency buckets in seconds, from a fast in-memory answer to a long-polling Fetch. */
const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const FSYNC_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const SNAPSHOT_BUCKETS = [0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10, 60];

let processRegistry: Registry | undefined;

/** The process metrics, collected once per process (prom-client's GC observer and event-loop monitor never stop). */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, eventLoopMonitoringPrecision: 10 });
  }
  return processRegistry;
}

export interface MetricsSources {
  services: BrokerServices;
  mode: 'single' | 'cluster';
  /** The Raft groups hosted here (none on a single node). */
  raftGroups(): GroupStatus[];
}

export class BrokerMetrics implements BrokerCounters, RaftHostCounters {
  readonly registry: Registry;
  private readonly own = new Registry();
  private readonly sources: MetricsSources;
  private readonly requestSeconds = new HistogramFamily(
    'runnel_kafka_request_duration_seconds',
    'Kafka requests answered, by API, and how long they took (a long-polling Fetch includes its wait)',
    'api',
    REQUEST_BUCKETS,
  );
  private readonly requestErrors = new CounterFamily(
    'runnel_kafka_request_errors_total',
    'Kafka requests whose handler failed (the connection is closed)',
    'api',
  );
  private readonly bytesIn = new CounterFamily('runnel_topic_bytes_in_total', 'Record batch bytes appended by Produce', 'topic');
  private readonly recordsInTotal = new CounterFamily('runnel_topic_records_in_total', 'Records appended by Produce', 'topic');
  private readonly bytesOut = new CounterFamily('runnel_topic_bytes_out_total', 'Record batch bytes returned by Fetch', 'topic');
  private readonly recordsOutTotal = new CounterFamily('runnel_topic_records_out_total', 'Records returned by Fetch (whole batches)', 'topic');
  private readonly elections: Counter;
  private readonly fsyncSeconds: Histogram;
  private readonly logFsyncSeconds: Histogram;
  private readonly snapshotSeconds: Histogram;
  /** Scrapes so far: the key of the per-scrape caches. */
  private scrapes = 0;

  constructor(sources: MetricsSources) {
    this.sources = sources;
    const registers = [this.own];
    this.elections = new Counter({
      name: 'runnel_raft_elections_total',
      help: 'Elections started by Raft groups hosted here (candidacies; pre-votes excluded)',
      registers,
    });
    this.fsyncSeconds = new Histogram({
      name: 'runnel_raft_fsync_duration_seconds',
      help: "Raft Ready rounds' fsyncs (all storages of a round together)",
      buckets: FSYNC_BUCKETS,
      registers,
    });
    this.logFsyncSeconds = new Histogram({
      name: 'runnel_log_fsync_duration_seconds',
      help: "Single node: partition logs' group-commit fsync rounds (what acks=all waits for); cluster mode times them in runnel_raft_fsync_duration_seconds",
      buckets: FSYNC_BUCKETS,
      registers,
    });
    this.snapshotSeconds = new Histogram({
      name: 'runnel_raft_snapshot_duration_seconds',
      help: 'Raft snapshots taken and saved here',
      buckets: SNAPSHOT_BUCKETS,
      registers,
    });
    this.scrapeTimeGauges(registers);
    this.registry = Registry.merge([this.own, processMetrics()]);
  }

  // BrokerCounters

  request(api: string, seconds: number, failed: boolean): void {
    this.requestSeconds.observe(api, seconds);
    if (failed) this.requestErrors.inc(api, 1);
  }

  recordsIn(topic: string, bytes: number, records: number): void {
    this.bytesIn.inc(topic, bytes);
    this.recordsInTotal.inc(topic, records);
  }

  recordsOut(topic: string, bytes: number, records: number): void {
    this.bytesOut.inc(topic, bytes);
    this.recordsOutTotal.inc(topic, records);
  }

  // RaftHostCounters

  fsync(seconds: number): void {
    this.fsyncSeconds.observe(seconds);
  }

  logFsync(seconds: number): void {
    this.logFsyncSeconds.observe(seconds);
  }

  election(): void {
    this.elections.inc();
  }

  snapshot(seconds: number): void {
    this.snapshotSeconds.observe(seconds);
  }

  /** `read`, called at most once per scrape: several gauges share one walk over the same state. */
  private perScrape<T>(read: () => T): () => T {
    let cached: { value: T; scrape: number } | undefined;
    return () => {
      if (cached?.scrape !== this.scrapes) cached = { value: read(), scrape: this.scrapes };
      return cached.value;
    };
  }

  /** The text a scrape answers. Per-topic series of deleted topics go first, so the label set stays bounded by the topics. */
  async scrape(): Promise<string> {
    const state = this.sources.services.controller.state;
    const topicFamilies = [this.bytesIn, this.recordsInTotal, this.bytesOut, this.recordsOutTotal];
    for (const family of topicFamilies) for (const topic of [...family.keys()]) if (!state.topic(topic)) family.remove(topic);
    this.scrapes++;
    const hot = [this.requestSeconds, this.requestErrors, ...topicFamilies].map((f) => f.render()).join('\n');
    return `${await this.registry.metrics()}\n${hot}`;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private scrapeTimeGauges(registers: Registry[]): void {
    const { services } = this.sources;
    const mode = this.sources.mode;
    new Gauge({
      name: 'runnel_node_info',
      help: 'This broker: its node id, cluster id and mode (always 1)',
      labelNames: ['node_id', 'cluster_id', 'mode'],
      registers,
      collect() {
        this.reset();
        this.set({ node_id: String(services.nodeId), cluster_id: services.clusterId, mode }, 1);
      },
    });
    new Gauge({
      name: 'runnel_partition_replicas',
      help: 'Partition replicas hosted on this broker',
      registers,
      collect() {
        this.set(services.replicas.hostedLogs().length);
      },
    });
    new Gauge({
      name: 'runnel_partition_leaders',
      help: 'Partitions this broker leads',
      registers,
      collect() {
        let led = 0;
        for (const { topic, index } of services.replicas.hostedLogs()) if (services.replicas.partition(topic, index)) led++;
        this.set(led);
      },
    });
    new Gauge({
      name: 'runnel_under_replicated_partitions',
      help: 'Partitions led here whose in-sync replicas are fewer than their assigned replicas',
      registers,
      collect() {
        const state = services.controller.state;
        let under = 0;
        for (const { topic, index } of services.replicas.hostedLogs()) {
          if (!services.replicas.partition(topic, index)) continue;
          const assigned = state.topic(topic)?.assignments[index]?.length ?? 0;
          if (services.replicas.leaderOf(topic, index).isr.length < assigned) under++;
        }
        this.set(under);
      },
    });
    new Gauge({
      name: 'runnel_log_size_bytes',
      help: "Bytes of each hosted partition's log on disk",
      labelNames: ['topic', 'partition'],
      registers,
      collect() {
        this.reset();
        for (const { topic, index, log } of services.replicas.hostedLogs()) this.set({ topic, partition: String(index) }, log.sizeBytes);
      },
    });
    this.raftGauges(registers);
    this.consumerLagGauges(registers);
  }

  private raftGauges(registers: Registry[]): void {
    const groups = this.perScrape(() => this.sources.raftGroups());
    const perGroup = (name: string, help: string, value: (g: GroupStatus) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['group'],
        registers,
        collect() {
          this.reset();
          for (const g of groups()) this.set({ group: g.group }, value(g));
        },
      });
    };
    perGroup('runnel_raft_term', 'Current term of each Raft group hosted here', (g) => g.term);
    perGroup('runnel_raft_is_leader', '1 when this broker leads the Raft group', (g) => (g.state === 'leader' ? 1 : 0));
    perGroup(
      'runnel_raft_uncommitted_entries',
      "Entries in this replica's log not yet known committed (last index - commit index)",
      (g) => g.lastIndex - g.commit,
    );
    perGroup('runnel_raft_apply_lag', 'Committed entries this replica has not applied yet (commit index - applied index)', (g) => g.commit - g.applied);
    new Gauge({
      name: 'runnel_raft_follower_lag',
      help: "On a group's leader: entries each follower lacks relative to the leader's last index",
      labelNames: ['group', 'follower'],
      registers,
      collect() {
        this.reset();
        for (const g of groups()) for (const f of g.followers) this.set({ group: g.group, follower: String(f.id) }, f.lag);
      },
    });
  }

  private consumerLagGauges(registers: Registry[]): void {
    const { services } = this.sources;
    // Both gauges from one walk over the groups coordinated here.
    const walk = (): { perPartition: Array<[Record<string, string>, number]>; perGroup: Map<string, number> } => {
      const perPartition: Array<[Record<string, string>, number]> = [];
      const perGroup = new Map<string, number>();
      for (const { groupId } of services.groups.listGroups([])) {
        let sum = 0;
        for (const t of services.groups.fetchOffsets(groupId, null).topics) {
          for (const p of t.partitions) {
            const lag = consumerLag(services.replicas.partition(t.name, p.partitionIndex)?.highWatermark, p.committedOffset);
            if (lag === null) continue;
            sum += lag;
            if (perPartition.length < CONSUMER_LAG_SERIES_MAX) perPartition.push([{ group: groupId, topic: t.name, partition: String(p.partitionIndex) }, lag]);
          }
        }
        perGroup.set(groupId, sum);
      }
      return { perPartition, perGroup };
    };
    const lags = this.perScrape(walk);
    new Gauge({
      name: 'runnel_consumer_group_lag',
      help: `Records between a group's committed offset and the high watermark, per partition led here (at most ${CONSUMER_LAG_SERIES_MAX} series)`,
      labelNames: ['group', 'topic', 'partition'],
      registers,
      collect() {
        this.reset();
        for (const [labels, lag] of lags().perPartition) this.set(labels, lag);
      },
    });
    new Gauge({
      name: 'runnel_consumer_group_lag_sum',
      help: 'The sum of runnel_consumer_group_lag per group (complete even beyond the series limit)',
      labelNames: ['group'],
      registers,
      collect() {
        this.reset();
        for (const [group, sum] of lags().perGroup) this.set({ group }, sum);
      },
    });
  }
}

/** GET /metrics. */
export function registerMetricsRoute(app: HttpApp, metrics: BrokerMetrics): void {
  app.get('/metrics', async (_request, reply) => {
    const text = await metrics.scrape();
    return reply.header('content-type', metrics.contentType).header('cache-control', 'no-store').send(text);
  });
}
