// Built-in defaults: `./broker` with no flags runs a single node on exactly
// these. Why each value was chosen is in docs/configuration.md.
import type { RunnelConfig } from './types.ts';

/**
 * The defaults before derived fields are filled in (cluster.data_dir follows data_dir,
 * cluster.discovery.port the port of cluster.raft_address).
 */
export type BaseDefaults = Omit<RunnelConfig, 'cluster'> & {
  cluster: Omit<RunnelConfig['cluster'], 'data_dir' | 'discovery'> & {
    data_dir: string | null;
    discovery: Omit<RunnelConfig['cluster']['discovery'], 'port'> & { port: number | null };
  };
};

const MIB = 1024 * 1024;

export function baseDefaults(): BaseDefaults {
  return {
    data_dir: './data',
    max_topic_partitions: 1000,
    segment_size: 128 * MIB,
    retention_time_ms: 168 * 3_600_000,
    retention_bytes: -1,
    retention_check_interval_ms: 300_000,
    auto_create_topics: true,
    default_partitions: 1,
    flush: { mode: 'group', interval_ms: 1000 },
    // Kafka's defaults except the initial rebalance delay (3 s in Kafka): 300 ms still gathers
    // members that start together into one generation and keeps a rebalance under a second.
    groups: {
      initial_rebalance_delay_ms: 300,
      min_session_timeout_ms: 6_000,
      max_session_timeout_ms: 1_800_000,
      max_size: 1_000,
      offsets_retention_ms: 7 * 24 * 3_600_000,
      offsets_snapshot_interval_ms: 30_000,
      offsets_snapshot_records_min: 10_000,
    },
    server: {
      host: '0.0.0.0',
      port: 9092,
      advertised_host: '127.0.0.1',
      log_file: null,
      log_level: 'info',
      log_format: 'auto',
    },
    listeners: [],
    tls: { cert_file: null, key_file: null, ca_file: null, client_auth: 'none', reload_interval_ms: 30_000 },
    // Open by default as before; docs/security.md says how to close it.
    http: { enabled: true, host: '0.0.0.0', port: 8080, tls: false, auth: { mode: 'none', token_file: null, metrics_open: true } },
    limits: {
      max_frame_bytes: 100 * MIB, // Kafka's socket.request.max.bytes.
      max_batch_bytes: 1_048_588, // Kafka's message.max.bytes.
      // A compressed batch of max_batch_bytes at zstd's ratio on repetitive JSON (about 10-30x).
      max_uncompressed_batch_bytes: 32 * MIB,
      max_connections: 10_000,
      max_inflight_requests_per_connection: 100,
      fetch_max_wait_ms: 30_000,
      fetch_max_bytes: 50 * MIB, // The Java consumer's fetch.max.bytes.
      max_incremental_fetch_session_cache_slots: 1000, // Kafka's max.incremental.fetch.session.cache.slots.
      min_incremental_fetch_session_eviction_ms: 120_000, // Kafka's min.incremental.fetch.session.eviction.ms.
      max_partitions_per_request: 10_000,
      connections_max_idle_ms: 600_000, // Kafka's connections.max.idle.ms.
      raft_max_inflight_msgs: 256, // etcd's usual MaxInflightMsgs.
      raft_max_msg_bytes: 1 * MIB, // etcd's usual MaxSizePerMsg.
      max_producers_per_partition: 10_000,
      producer_id_expiration_ms: 86_400_000, // Kafka's producer.id.expiration.ms.
      producer_state_wait_ms: 5_000,
      // A learner this close to the commit index catches up within a heartbeat or two once it votes.
      max_learner_lag_entries: 100,
      // A few moves at a time: each copies a partition's log to a new broker while produce goes on.
      max_balance_reassignments: 10,
      // Per broker per 5-s round: a restart's leader moves spread over rounds instead of one burst of elections.
      max_leader_transfers_per_round: 50,
      // WebSocket tails (/v1/ws/...): each holds a socket, a read loop and up to tail_buffer_bytes.
      max_tail_connections: 64,
      // A tail whose socket holds this much unsent is behind: its records are dropped and counted.
      tail_buffer_bytes: 1 * MIB,
      // Each record sent costs the broker a decode and a JSON encoding (about 6 µs, docs/tailing.md):
      // 1000 a second is more than anyone reads and keeps a tail's cost under 1 % of a core.
      tail_messages_per_second: 1000,
      // Long enough for an exact key or a simple pattern; a long regex is a cost per record.
      max_tail_key_bytes: 256,
      // The broker's recent log lines kept for `runnel logs --follow` (a new subscriber sees these first).
      log_ring_lines: 1000,
      // A line with a long stack fits; a runaway field does not hold megabytes in the ring.
      max_log_line_bytes: 16 * 1024,
    },
    // SCRAM only: PLAIN sends the password itself, so an operator turns it on for SASL_SSL listeners.
    sasl: { mechanisms: ['SCRAM-SHA-512', 'SCRAM-SHA-256'], session_lifetime_ms: 0, bootstrap_user: null },
    authorizer: { enabled: false, super_users: [] },
    cluster: {
      enabled: false,
      node_id: 1,
      raft_address: '127.0.0.1:9192',
      initial_members: [],
      data_dir: null,
      rtt_ms: 50,
      election_rtt: 10,
      heartbeat_rtt: 1,
      check_quorum: true,
      snapshot_entries: 10_000,
      compaction_overhead: 5_000,
      metadata_voters: 3,
      replication_factor: 3,
      secret: null,
      secret_file: null,
      insecure: false,
      tls: false,
      initial_cluster_state: 'new',
      bootstrap_timeout_ms: 600_000,
      // Autoclean is opt-in (as EMQX has it): a broker down for maintenance keeps its replicas.
      replica_restore_after_ms: -1,
      balance_replicas: false,
      balance_leaders: true,
      discovery: {
        type: 'static',
        name: null,
        port: null,
        servers: [],
        endpoints: ['http://127.0.0.1:2379'],
        prefix: '/runnel/',
        lease_ttl_s: 10,
      },
    },
  };
}
