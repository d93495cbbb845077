// The one table of configuration fields a file (or the environment) may set.
// The JSON schema, the normaliser and the environment typing are all derived
// from it, so a field cannot be accepted by one and forgotten by another.
// Defaults live in defaults.ts; meanings live in docs/configuration.md (a test
// checks that every key here is documented there).

export type FieldKind =
  | { type: 'string' }
  /** A string, or null; "" also means null (Go Queue writes "log_file": ""). */
  | { type: 'optional-string' }
  | { type: 'boolean' }
  | { type: 'integer'; min: number; max?: number }
  /** An integer 0..65535, or the same as a string of digits (Go Queue writes "port": "9092"). */
  | { type: 'port' }
  /** Milliseconds as a number, or a Go duration string; -1 allowed when `forever`. */
  | { type: 'duration'; min: number; forever?: boolean }
  /** Bytes as a number, or a string such as "128MiB"; -1 allowed when `unlimited`. */
  | { type: 'size'; min: number; unlimited?: boolean }
  | { type: 'enum'; values: readonly string[] }
  /** "host:port". */
  | { type: 'address' }
  /** Go Queue's list of "host:port" (node id = position + 1), or "id@host:port", or {node_id, address}. */
  | { type: 'members' }
  /** A list of "http(s)://host:port" URLs (`url`) or of DNS server addresses "ip" / "ip:port" (`dns-server`). */
  | { type: 'list'; item: 'url' | 'dns-server' | 'principal'; max: number }
  /** The Kafka listeners: a list of {name, host, port, advertised_host, advertised_port, security_protocol} (listeners.ts). */
  | { type: 'listeners'; max: number }
  /** A list of distinct names out of `values` (at least one). */
  | { type: 'enum-list'; values: readonly string[] }
  /** A Go Queue field Runnel accepts so old files load, but does not use. */
  | { type: 'ignored'; schema: Record<string, unknown>; reason: string };

export interface FieldSpec {
  /** Dotted path in the file, e.g. "server.port". */
  key: string;
  /** Dotted path in RunnelConfig when it differs from `key`. */
  target?: string;
  kind: FieldKind;
  /** True when the name comes from Go Queue's config. */
  goQueue?: boolean;
}

const INT32_MAX = 2_147_483_647;

// More DNS servers or etcd endpoints than this is a mistake, not a deployment.
const DISCOVERY_LIST_MAX = 16;

// One listener per security protocol and interface is a handful; dozens would be a mistake.
const LISTENERS_MAX = 16;

// More super users than this is a mistake: grant ACLs to a group of principals instead.
const SUPER_USERS_MAX = 100;

// The smallest possible RecordBatch: a v2 batch header is 61 bytes.
const RECORD_BATCH_HEADER_BYTES = 61;

const COMPRESSION_REASON =
  'Kafka clients compress record batches themselves and Runnel stores batches exactly as they arrive, so broker-side compression does not apply';
const DEDUPLICATION_REASON = "Runnel deduplicates with Kafka's idempotent producer (producer id and sequence numbers, KIP-98), not by hashing message contents";

export const FIELDS: readonly FieldSpec[] = [
  { key: 'data_dir', kind: { type: 'string' }, goQueue: true },
  { key: 'max_topic_partitions', kind: { type: 'integer', min: 1, max: 1_000_000 }, goQueue: true },
  { key: 'segment_size', kind: { type: 'size', min: 1024 }, goQueue: true },
  { key: 'retention_time', target: 'retention_time_ms', kind: { type: 'duration', min: 0, forever: true }, goQueue: true },
  // Accepted so that a normalised config written back to a file loads again.
  { key: 'retention_time_ms', kind: { type: 'duration', min: 0, forever: true } },
  { key: 'retention_bytes', kind: { type: 'size', min: 0, unlimited: true } },
  { key: 'retention_check_interval_ms', kind: { type: 'duration', min: 1 } },
  { key: 'auto_create_topics', kind: { type: 'boolean' } },
  { key: 'default_partitions', kind: { type: 'integer', min: 1, max: 1_000_000 } },

  { key: 'flush.mode', kind: { type: 'enum', values: ['group', 'interval', 'none'] } },
  { key: 'groups.initial_rebalance_delay_ms', kind: { type: 'duration', min: 0 } },
  { key: 'groups.min_session_timeout_ms', kind: { type: 'duration', min: 1 } },
  { key: 'groups.max_session_timeout_ms', kind: { type: 'duration', min: 1 } },
  { key: 'groups.max_size', kind: { type: 'integer', min: 1 } },
  { key: 'groups.offsets_retention_ms', kind: { type: 'duration', min: 1 } },
  { key: 'groups.offsets_snapshot_interval_ms', kind: { type: 'duration', min: 1 } },
  { key: 'groups.offsets_snapshot_records_min', kind: { type: 'integer', min: 1 } },
  { key: 'flush.interval_ms', kind: { type: 'duration', min: 1 } },

  { key: 'server.host', kind: { type: 'string' } },
  { key: 'server.port', kind: { type: 'port' }, goQueue: true },
  { key: 'server.advertised_host', kind: { type: 'string' } },
  { key: 'server.log_file', kind: { type: 'optional-string' }, goQueue: true },
  { key: 'server.log_level', kind: { type: 'enum', values: ['trace', 'debug', 'info', 'warn', 'error'] } },
  { key: 'server.log_format', kind: { type: 'enum', values: ['json', 'pretty', 'auto'] } },

  // Kafka listeners and their TLS (docs/security.md); absent listeners = one PLAINTEXT listener from server.*.
  { key: 'listeners', kind: { type: 'listeners', max: LISTENERS_MAX } },
  { key: 'tls.cert_file', kind: { type: 'optional-string' } },
  { key: 'tls.key_file', kind: { type: 'optional-string' } },
  { key: 'tls.ca_file', kind: { type: 'optional-string' } },
  { key: 'tls.client_auth', kind: { type: 'enum', values: ['none', 'requested', 'required'] } },
  { key: 'tls.reload_interval', target: 'tls.reload_interval_ms', kind: { type: 'duration', min: 0 } },
  // Accepted so that a normalised config written back to a file loads again.
  { key: 'tls.reload_interval_ms', kind: { type: 'duration', min: 0 } },

  { key: 'http.enabled', kind: { type: 'boolean' } },
  { key: 'http.host', kind: { type: 'string' } },
  { key: 'http.port', kind: { type: 'port' } },
  // The operations surface's TLS and authentication (docs/security.md, "Operations surface").
  { key: 'http.tls', kind: { type: 'boolean' } },
  { key: 'http.auth.mode', kind: { type: 'enum', values: ['none', 'token', 'basic'] } },
  { key: 'http.auth.token_file', kind: { type: 'optional-string' } },
  { key: 'http.auth.metrics_open', kind: { type: 'boolean' } },

  { key: 'limits.max_frame_bytes', kind: { type: 'size', min: 1024 } },
  { key: 'limits.max_batch_bytes', kind: { type: 'size', min: RECORD_BATCH_HEADER_BYTES } },
  { key: 'limits.max_uncompressed_batch_bytes', kind: { type: 'size', min: 1024 } },
  { key: 'limits.max_connections', kind: { type: 'integer', min: 1 } },
  { key: 'limits.max_inflight_requests_per_connection', kind: { type: 'integer', min: 1 } },
  { key: 'limits.fetch_max_wait_ms', kind: { type: 'duration', min: 0 } },
  { key: 'limits.fetch_max_bytes', kind: { type: 'size', min: 1 } },
  { key: 'limits.max_incremental_fetch_session_cache_slots', kind: { type: 'integer', min: 0 } },
  { key: 'limits.min_incremental_fetch_session_eviction_ms', kind: { type: 'duration', min: 0 } },
  { key: 'limits.max_partitions_per_request', kind: { type: 'integer', min: 1 } },
  { key: 'limits.connections_max_idle_ms', kind: { type: 'duration', min: 0 } },
  { key: 'limits.raft_max_inflight_msgs', kind: { type: 'integer', min: 1 } },
  { key: 'limits.raft_max_msg_bytes', kind: { type: 'size', min: 1024 } },
  { key: 'limits.max_producers_per_partition', kind: { type: 'integer', min: 1 } },
  { key: 'limits.producer_id_expiration_ms', kind: { type: 'duration', min: 1 } },
  { key: 'limits.producer_state_wait_ms', kind: { type: 'duration', min: 0 } },
  { key: 'limits.max_learner_lag_entries', kind: { type: 'integer', min: 0 } },
  { key: 'limits.max_balance_reassignments', kind: { type: 'integer', min: 1 } },
  { key: 'limits.max_leader_transfers_per_round', kind: { type: 'integer', min: 1 } },
  { key: 'limits.max_tail_connections', kind: { type: 'integer', min: 0 } },
  { key: 'limits.tail_buffer_bytes', kind: { type: 'size', min: 1024 } },
  { key: 'limits.tail_messages_per_second', kind: { type: 'integer', min: 1 } },
  { key: 'limits.max_tail_key_bytes', kind: { type: 'integer', min: 1 } },
  { key: 'limits.log_ring_lines', kind: { type: 'integer', min: 0 } },
  { key: 'limits.max_log_line_bytes', kind: { type: 'size', min: 256 } },

  { key: 'cluster.enabled', kind: { type: 'boolean' }, goQueue: true },
  { key: 'cluster.node_id', kind: { type: 'integer', min: 1, max: INT32_MAX }, goQueue: true },
  { key: 'cluster.raft_address', kind: { type: 'address' }, goQueue: true },
  { key: 'cluster.initial_members', kind: { type: 'members' }, goQueue: true },
  { key: 'cluster.data_dir', kind: { type: 'optional-string' }, goQueue: true },
  { key: 'cluster.rtt_ms', kind: { type: 'duration', min: 1 } },
  { key: 'cluster.election_rtt', kind: { type: 'integer', min: 1 }, goQueue: true },
  { key: 'cluster.heartbeat_rtt', kind: { type: 'integer', min: 1 }, goQueue: true },
  { key: 'cluster.check_quorum', kind: { type: 'boolean' }, goQueue: true },
  { key: 'cluster.snapshot_entries', kind: { type: 'integer', min: 0 }, goQueue: true },
  { key: 'cluster.compaction_overhead', kind: { type: 'integer', min: 0 }, goQueue: true },
  { key: 'cluster.metadata_voters', kind: { type: 'integer', min: 1, max: 9 } },
  { key: 'cluster.replication_factor', kind: { type: 'integer', min: 1, max: 9 } },
  { key: 'cluster.secret', kind: { type: 'optional-string' } },
  { key: 'cluster.secret_file', kind: { type: 'optional-string' } },
  { key: 'cluster.insecure', kind: { type: 'boolean' } },
  // TLS on peer connections with the broker's tls.* certificate (src/transport/tcp-tls.ts).
  { key: 'cluster.tls', kind: { type: 'boolean' } },
  { key: 'cluster.initial_cluster_state', kind: { type: 'enum', values: ['new', 'existing'] } },
  { key: 'cluster.bootstrap_timeout_ms', kind: { type: 'duration', min: 1 } },
  // The balancers the controller runs (src/controller/replica-balance.ts); -1: never restore.
  { key: 'cluster.replica_restore_after_ms', kind: { type: 'duration', min: 0, forever: true } },
  { key: 'cluster.balance_replicas', kind: { type: 'boolean' } },
  { key: 'cluster.balance_leaders', kind: { type: 'boolean' } },
  // How a node that is not a member yet finds the cluster (src/discovery/).
  { key: 'cluster.discovery.type', kind: { type: 'enum', values: ['static', 'manual', 'dns', 'etcd'] } },
  { key: 'cluster.discovery.name', kind: { type: 'optional-string' } },
  { key: 'cluster.discovery.port', kind: { type: 'port' } },
  { key: 'cluster.discovery.servers', kind: { type: 'list', item: 'dns-server', max: DISCOVERY_LIST_MAX } },
  { key: 'cluster.discovery.endpoints', kind: { type: 'list', item: 'url', max: DISCOVERY_LIST_MAX } },
  { key: 'cluster.discovery.prefix', kind: { type: 'string' } },
  // etcd grants leases in whole seconds; a day is far beyond any sensible liveness window.
  { key: 'cluster.discovery.lease_ttl_s', kind: { type: 'integer', min: 2, max: 86_400 } },

  // SASL (src/broker/sasl-authenticator.ts; docs/security.md, "SASL").
  { key: 'sasl.mechanisms', kind: { type: 'enum-list', values: ['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN'] } },
  { key: 'sasl.session_lifetime', target: 'sasl.session_lifetime_ms', kind: { type: 'duration', min: 0 } },
  { key: 'sasl.session_lifetime_ms', kind: { type: 'duration', min: 0 } },
  { key: 'sasl.bootstrap_user', kind: { type: 'optional-string' } },
  // The authorizer (ACLs, src/broker/authorizer.ts): off by default, as in Kafka.
  { key: 'authorizer.enabled', kind: { type: 'boolean' } },
  { key: 'authorizer.super_users', kind: { type: 'list', item: 'principal', max: SUPER_USERS_MAX } },

  // Go Queue fields with a Runnel equivalent under another name.
  { key: 'flush_interval', target: 'flush.interval_ms', kind: { type: 'duration', min: 1 }, goQueue: true },
  { key: 'cleanup_interval', target: 'retention_check_interval_ms', kind: { type: 'duration', min: 1 }, goQueue: true },
  { key: 'max_message_size', target: 'limits.max_batch_bytes', kind: { type: 'size', min: RECORD_BATCH_HEADER_BYTES }, goQueue: true },

  // Go Queue fields that load but do nothing here; the loader reports them so the broker can log them.
  {
    key: 'max_storage_size',
    goQueue: true,
    kind: {
      type: 'ignored',
      schema: { type: 'integer', minimum: 0 },
      reason:
        "Go Queue's cap on the whole broker's storage has no Kafka equivalent; Runnel bounds disk use per partition with retention_bytes, and spreading a total over partitions would delete data the operator meant to keep",
    },
  },
  { key: 'compression_enabled', goQueue: true, kind: { type: 'ignored', schema: { type: 'boolean' }, reason: COMPRESSION_REASON } },
  {
    key: 'compression_type',
    goQueue: true,
    // Go Queue's code reads a number; its quick-start guide writes a name such as "gzip".
    kind: { type: 'ignored', schema: { type: ['integer', 'string'] }, reason: COMPRESSION_REASON },
  },
  { key: 'compression_threshold', goQueue: true, kind: { type: 'ignored', schema: { type: 'integer', minimum: 0 }, reason: COMPRESSION_REASON } },
  { key: 'deduplication_enabled', goQueue: true, kind: { type: 'ignored', schema: { type: 'boolean' }, reason: DEDUPLICATION_REASON } },
  {
    key: 'deduplication_config',
    goQueue: true,
    kind: {
      type: 'ignored',
      schema: {
        type: ['object', 'null'],
        properties: {
          hash_type: { type: 'integer' },
          max_entries: { type: 'integer' },
          ttl: { type: 'string' },
          enabled: { type: 'boolean' },
        },
        additionalProperties: false,
      },
      reason: DEDUPLICATION_REASON,
    },
  },
  {
    key: 'enable_follower_read',
    goQueue: true,
    kind: {
      type: 'ignored',
      schema: { type: 'boolean' },
      reason: 'consumers read from partition leaders; fetching from followers (KIP-392) is not implemented',
    },
  },
];

/** The normalised path a field writes to. */
export function targetOf(spec: FieldSpec): string {
  return spec.target ?? spec.key;
}

const BY_KEY = new Map(FIELDS.map((spec) => [spec.key, spec]));

export function fieldByKey(key: string): FieldSpec | undefined {
  return BY_KEY.get(key);
}
