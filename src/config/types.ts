// The normalised configuration every other module reads. Keys keep Go Queue's
// snake_case names so a Go Queue user recognises them; the only renames are
// durations, which carry their unit in the name once normalised
// (retention_time -> retention_time_ms). docs/configuration.md has the table.

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'pretty' | 'auto';
export type FlushMode = 'group' | 'interval' | 'none';

export interface ClusterMember {
  node_id: number;
  address: string;
}

export interface FlushConfig {
  mode: FlushMode;
  interval_ms: number;
}

export interface ServerConfig {
  host: string;
  port: number;
  advertised_host: string;
  log_file: string | null;
  log_level: LogLevel;
  log_format: LogFormat;
}

/** Kafka's security protocol names (a listener's `security_protocol`); src/security/session.ts re-exports them. */
export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export type SecurityProtocolName = (typeof SECURITY_PROTOCOLS)[number];

/** One Kafka listener as the file gives it; listeners.ts resolves the defaults (effectiveListeners). */
export interface ListenerConfig {
  /** Unique; what Kafka calls the listener name (`PLAINTEXT`, `SECURE`). */
  name: string;
  host: string;
  port: number;
  /** Host clients are told; null: the listener's host, or server.advertised_host when it binds a wildcard. */
  advertised_host: string | null;
  /** Port clients are told; null: the bound port. */
  advertised_port: number | null;
  security_protocol: SecurityProtocolName;
}

export type ClientAuth = 'none' | 'requested' | 'required';

/** Certificates of the TLS listeners (SSL, SASL_SSL); docs/security.md. */
export interface TlsConfig {
  cert_file: string | null;
  key_file: string | null;
  /** CAs that client certificates (mTLS) and, with cluster.tls, peers' certificates must chain to. */
  ca_file: string | null;
  client_auth: ClientAuth;
  /** How often the files' modification times are checked for a reload; 0: never. */
  reload_interval_ms: number;
}

export type HttpAuthMode = 'none' | 'token' | 'basic';

/** Who may use the HTTP server (docs/security.md, "Operations surface"). */
export interface HttpAuthConfig {
  mode: HttpAuthMode;
  /** token mode: the file holding the bearer token (relative paths from the working directory). */
  token_file: string | null;
  /** /metrics, /v1/health and /v1/ready answer without credentials (for Prometheus and probes). */
  metrics_open: boolean;
}

export interface HttpConfig {
  enabled: boolean;
  host: string;
  port: number;
  /** Serve HTTPS with tls.cert_file and tls.key_file. */
  tls: boolean;
  auth: HttpAuthConfig;
}

/** Consumer-group coordinator settings, with Kafka's broker config names in the docs. */
export interface GroupsConfig {
  initial_rebalance_delay_ms: number;
  min_session_timeout_ms: number;
  max_session_timeout_ms: number;
  max_size: number;
  offsets_retention_ms: number;
  offsets_snapshot_interval_ms: number;
  offsets_snapshot_records_min: number;
}

export interface LimitsConfig {
  max_frame_bytes: number;
  max_batch_bytes: number;
  max_uncompressed_batch_bytes: number;
  max_connections: number;
  max_inflight_requests_per_connection: number;
  fetch_max_wait_ms: number;
  fetch_max_bytes: number;
  max_incremental_fetch_session_cache_slots: number;
  min_incremental_fetch_session_eviction_ms: number;
  max_partitions_per_request: number;
  connections_max_idle_ms: number;
  raft_max_inflight_msgs: number;
  raft_max_msg_bytes: number;
  max_producers_per_partition: number;
  producer_id_expiration_ms: number;
  producer_state_wait_ms: number;
  /** Cluster mode: a partition learner is promoted to voter once its log is at most this many entries behind the commit index. */
  max_learner_lag_entries: number;
  /** Cluster mode: reassignments in flight at most before the replica balancers start another. */
  max_balance_reassignments: number;
  /** Cluster mode: leadership transfers to preferred replicas a broker starts per leader-balance round at most. */
  max_leader_transfers_per_round: number;
  /** WebSocket tails (topics and logs) open at once on one broker; more are refused. */
  max_tail_connections: number;
  /** Unsent bytes a tail's socket may hold before records for it are dropped (and counted). */
  tail_buffer_bytes: number;
  /** Messages (records, log lines) one tail is sent per second at most; more are dropped and counted. */
  tail_messages_per_second: number;
  /** Longest key filter (exact key or regex) a topic tail accepts. */
  max_tail_key_bytes: number;
  /** The broker's own log lines kept in memory for log tails. */
  log_ring_lines: number;
  /** A log line longer than this is cut in the ring (the log file keeps it whole). */
  max_log_line_bytes: number;
}

/** SASL on the SASL_PLAINTEXT and SASL_SSL listeners (docs/security.md, "SASL"). */
export interface SaslConfig {
  /** The mechanisms offered, in order: SCRAM-SHA-512, SCRAM-SHA-256, PLAIN. */
  mechanisms: Array<'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'>;
  /** KIP-368: a login holds this long, then the client must re-authenticate; 0: no expiry. */
  session_lifetime_ms: number;
  /** Created at first start (SCRAM-SHA-256 and -512) with the password in RUNNEL_BOOTSTRAP_PASSWORD, if it does not exist. */
  bootstrap_user: string | null;
}

export type DiscoveryType = 'static' | 'manual' | 'dns' | 'etcd';

/** How a node finds the members of its cluster (src/discovery; docs/configuration.md). */
export interface DiscoveryConfig {
  type: DiscoveryType;
  /** dns: the name whose SRV and A/AAAA records list the members (a headless service). */
  name: string | null;
  /** dns: the Raft port of an address from an A/AAAA record; defaults to the port of raft_address. */
  port: number;
  /** dns: the DNS servers to ask ("ip" or "ip:port"); empty: the system's resolvers. */
  servers: string[];
  /** etcd: the client URLs of the etcd cluster, tried in order. */
  endpoints: string[];
  /** etcd: the key prefix this cluster's members register under; ends with "/". */
  prefix: string;
  /** etcd: the lease of this node's key, in seconds; the key disappears this long after the node stops. */
  lease_ttl_s: number;
}

export interface ClusterConfig {
  enabled: boolean;
  node_id: number;
  raft_address: string;
  initial_members: ClusterMember[];
  data_dir: string;
  rtt_ms: number;
  election_rtt: number;
  heartbeat_rtt: number;
  check_quorum: boolean;
  snapshot_entries: number;
  compaction_overhead: number;
  metadata_voters: number;
  replication_factor: number;
  /** The shared secret given inline; see secret_file and resolveClusterAuth. */
  secret: string | null;
  /** A file holding the shared secret (relative paths from the working directory). */
  secret_file: string | null;
  /** Run cluster mode without a secret: peer connections are then not authenticated. */
  insecure: boolean;
  /** Peer connections use TLS with tls.cert_file/key_file, and check peers against tls.ca_file. */
  tls: boolean;
  initial_cluster_state: 'new' | 'existing';
  bootstrap_timeout_ms: number;
  /** A broker unseen this long has its replicas moved to live brokers; -1: never (docs/cluster.md, "Balancers"). */
  replica_restore_after_ms: number;
  /** Move replicas so that replica counts per broker differ by at most one (a broker that joined gets its share). */
  balance_replicas: boolean;
  /** Hand each partition's leadership to its preferred (first) replica once it is a caught-up voter. */
  balance_leaders: boolean;
  /** How a node that is not a member yet finds the cluster (src/discovery/). */
  discovery: DiscoveryConfig;
}

/** The authorizer (docs/security.md, "ACLs"). */
export interface AuthorizerConfig {
  /** Check every request against the ACLs; off, every request is allowed (Kafka without an authorizer). */
  enabled: boolean;
  /** Principals ("User:admin") allowed everything, whatever the ACLs say (Kafka's super.users). */
  super_users: string[];
}

export interface RunnelConfig {
  data_dir: string;
  max_topic_partitions: number;
  segment_size: number;
  retention_time_ms: number;
  retention_bytes: number;
  retention_check_interval_ms: number;
  auto_create_topics: boolean;
  default_partitions: number;
  flush: FlushConfig;
  groups: GroupsConfig;
  server: ServerConfig;
  /** Empty: one PLAINTEXT listener from server.host/port/advertised_host (effectiveListeners). */
  listeners: ListenerConfig[];
  tls: TlsConfig;
  http: HttpConfig;
  limits: LimitsConfig;
  cluster: ClusterConfig;
  sasl: SaslConfig;
  authorizer: AuthorizerConfig;
}

/** A Go Queue field that was accepted but has no effect in Runnel, and why. */
export interface IgnoredField {
  field: string;
  reason: string;
  source: string;
}

/**
 * Something in the configuration the broker can run with but the operator should hear about
 * (an unknown RUNNEL_* variable, an unauthenticated cluster). The broker logs each one as a
 * warning at every start.
 */
export interface ConfigWarning {
  message: string;
  /** The dotted field path concerned, when there is one. */
  field?: string;
  /** The environment variable concerned, when there is one. */
  variable?: string;
}
