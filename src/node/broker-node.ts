// Wires one broker node together from its config: node store, metadata, partition logs, the Kafka
// listener, the group coordinator, HTTP and the timers. The only place that knows every layer.
// Both modes go through the same lines; what differs (controller, replicas, registration, the
// cluster's status and admin routes, teardown of the replicas) is the BrokerMode (broker-mode.ts).

import type { Logger } from 'pino';
import { resolve } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { effectiveListeners, type RunnelConfig } from '../config/index.ts';
import { NodeStore } from '../controller/node-store.ts';
import { clusterMode, singleNodeMode } from './broker-mode.ts';
import type { NodeStatus } from '../http/status.ts';
import { startHttpServer, type HttpServerHandle } from '../http/server.ts';
import { BrokerMetrics } from '../http/metrics.ts';
import { timedHandlers } from '../broker/broker-counters.ts';
import { learnersCatchingUp, memberStatuses } from '../http/members.ts';
import { reassignmentsInFlight } from '../http/reassignments.ts';
import { metadataGroupName } from '../controller/metadata-group.ts';
import { ADMIN_ADDRESS_CONFIG } from '../client/admin-address.ts';
import { createHandlers } from '../broker/handlers/index.ts';
import { KafkaServer } from '../broker/server.ts';
import { TlsFiles } from '../broker/tls-files.ts';
import { usesTls } from '../security/session.ts';
import type { BrokerServices } from '../broker/services.ts';
import type { TopicConfigDefaults } from '../metadata/topic-configs.ts';
import { GroupCoordinator, defaultCoordinatorLimits } from '../broker/group/coordinator.ts';
import { defaultGroupLimits } from '../broker/group/group.ts';
import { OFFSETS_TOPIC } from '../broker/group/offsets-topic.ts';
import { OffsetsFollowers } from '../broker/group/offsets-follower.ts';
import { ProducerIdAllocator } from '../partition/producer-id-allocator.ts';
import type { LogRing } from '../log/log-ring.ts';
import { hostingReplicas } from '../metadata/metadata-state.ts';
import type { TailRoutes } from '../http/ws-routes.ts';
import { saslEnvironment, startBootstrapUser } from './sasl-wiring.ts';
import { createAuthorizer } from '../broker/authorizer.ts';
import { httpSecurity, scramPasswordCheck } from './http-security.ts';
import { credentialFromPassword, verifyPassword, type StoredScramCredential } from '../security/credentials.ts';
import { randomBytes } from 'node:crypto';

/** How often empty groups' offsets are checked for expiry (Kafka's offsets.retention.check.interval.ms). */
const OFFSETS_RETENTION_CHECK_INTERVAL_MS = 600_000;

export interface BrokerNode {
  nodeId: number;
  clusterId: string;
  /** The first listener's bound address. */
  host: string;
  port: number;
  /** Every listener's bound address, in config order. */
  listeners: readonly BoundListener[];
  services: BrokerServices;
  close(): Promise<void>;
  /** The HTTP server (admin API, /metrics) when http.enabled: its bound port, and the app for inject() in tests. */
  readonly http: HttpServerHandle | null;
  /** Cluster mode: called once this broker left the cluster (a completed leave); the process should stop then. */
  onLeft(listener: () => void): void;
}

export interface BoundListener {
  name: string;
  securityProtocol: string;
  host: string;
  port: number;
}

export interface BrokerNodeOptions {
  /** The ring the logger tees its lines into (createLogger's `ring`), for log tails; without it /v1/ws/logs answers 404. */
  logRing?: LogRing;
}

/** `config.cluster.secret` must be the resolved secret (resolveClusterAuth), not only a secret_file. */
export async function startBrokerNode(config: RunnelConfig, logger: Logger, options: BrokerNodeOptions = {}): Promise<BrokerNode> {
  if (config.cluster.enabled && config.cluster.secret === null && !config.cluster.insecure) {
    // The config layer refuses this with a message for the operator; this guards other callers.
    throw new Error('cluster mode without a cluster secret: resolve it with resolveClusterAuth, or set cluster.insecure');
  }
  const listeners = effectiveListeners(config);
  // Read before anything opens: an unreadable certificate stops the start with the field's name.
  const tlsFiles = listeners.some((l) => usesTls(l.securityProtocol)) ? openTlsFiles(config, logger) : null;
  // The HTTP server's certificate and token files, read before anything opens: a wrong path stops the start at once.
  // Basic auth checks passwords against the SASL users' stored SCRAM credentials; `controller` is read only when a request comes in.
  const passwordCheck = scramPasswordCheck((user, mechanism) => controller.state.scramCredential(user, mechanism), verifyPassword, decoyCredential());
  const httpSecurityOptions = config.http.enabled ? httpSecurity(config, logger, passwordCheck) : null;
  const startedAt = performance.now();
  // How long the event loop was blocked while the partitions load: logged once they have. The
  // histogram only measures from its first tick on, so the synchronous start before the first
  // turn of the event loop is timed on its own.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  let firstTurnMs = 0;
  setImmediate(() => (firstTurnMs = performance.now() - startedAt));
  const dataDir = resolve(config.data_dir);
  const nodeId = config.cluster.node_id;
  const store = NodeStore.open(dataDir);
  const identity = store.identity(nodeId);

  const topicDefaults: TopicConfigDefaults = {
    retentionMs: config.retention_time_ms,
    retentionBytes: config.retention_bytes,
    segmentBytes: config.segment_size,
    maxMessageBytes: config.limits.max_batch_bytes,
  };
  const flush = { mode: config.flush.mode, intervalMs: config.flush.interval_ms };
  const producers = { producersMax: config.limits.max_producers_per_partition, expirationMs: config.limits.producer_id_expiration_ms };
  // Every replica of a __consumer_offsets partition keeps its groups' state, snapshots it here and
  // trims the log behind it; in cluster mode the state also rides in the partition's Raft snapshots.
  const offsetsFollowers = new OffsetsFollowers(
    {
      load: (partition) => store.loadGroupSnapshot(partition),
      save: (partition, coveredOffset, data) => store.saveGroupSnapshot(partition, coveredOffset, data),
    },
    logger,
  );
  const modeOptions = {
    config,
    store,
    storageId: identity.storageId,
    clusterId: identity.clusterId,
    dataDir,
    topicDefaults,
    flush,
    producers,
    offsetsFollowers,
    logger,
  };
  const mode = config.cluster.enabled ? clusterMode(modeOptions) : await singleNodeMode(modeOptions);
  const { controller, replicas } = mode;

  const groups = new GroupCoordinator(
    {
      nodeId,
      metadata: () => controller.state,
      offsetsPartition: (index) => mode.offsetsPartition(index),
      isLeader: (index) => mode.coordinates(index),
      leaderEpoch: (index) => replicas.leaderEpoch(OFFSETS_TOPIC, index),
      now: () => Date.now(),
      logger,
      offsetsState: (index) => offsetsFollowers.get(index),
    },
    {
      ...defaultGroupLimits,
      ...defaultCoordinatorLimits,
      initialRebalanceDelayMs: config.groups.initial_rebalance_delay_ms,
      sessionTimeoutMsMin: config.groups.min_session_timeout_ms,
      sessionTimeoutMsMax: config.groups.max_session_timeout_ms,
      membersMax: config.groups.max_size,
      offsetsRetentionMs: config.groups.offsets_retention_ms,
    },
  );
  // Rebuild groups and committed offsets from __consumer_offsets before the first client arrives.
  groups.loadAll();

  mode.attachGroups(groups);

  const services: BrokerServices = {
    nodeId,
    dataDir,
    get clusterId() {
      return controller.state.clusterId;
    },
    listeners: listeners.map((l) => ({ name: l.name, host: l.advertisedHost, port: l.advertisedPort ?? l.port, securityProtocol: l.securityProtocol })),
    autoCreateTopics: config.auto_create_topics,
    defaultPartitions: config.default_partitions,
    defaultReplicationFactor: config.cluster.replication_factor,
    topicDefaults,
    limits: {
      frameBytesMax: config.limits.max_frame_bytes,
      batchBytesMax: config.limits.max_batch_bytes,
      uncompressedBatchBytesMax: config.limits.max_uncompressed_batch_bytes,
      inflightRequestsMax: config.limits.max_inflight_requests_per_connection,
      connectionsMax: config.limits.max_connections,
      fetchWaitMsMax: config.limits.fetch_max_wait_ms,
      fetchBytesMax: config.limits.fetch_max_bytes,
      fetchSessionSlotsMax: config.limits.max_incremental_fetch_session_cache_slots,
      fetchSessionEvictionMs: config.limits.min_incremental_fetch_session_eviction_ms,
      topicPartitionsMax: config.max_topic_partitions,
      producerStateWaitMsMax: config.limits.producer_state_wait_ms,
    },
    controller,
    replicas,
    groups,
    producerIds: new ProducerIdAllocator(controller, nodeId),
    logger,
    brokerConfigs: brokerConfigView(config),
    authorizer: createAuthorizer(config.authorizer.enabled, { metadata: () => controller.state, superUsers: config.authorizer.super_users, logger }),
  };

  if (services.authorizer.enabled) {
    logger.info(
      { superUsers: config.authorizer.super_users, acls: controller.state.acls().length },
      'authorizer enabled: every request is checked against the ACLs',
    );
  }

  // GET /metrics: counted only when there is an HTTP server to show them.
  const metrics = config.http.enabled ? new BrokerMetrics({ services, mode: mode.kind, raftGroups: () => mode.peers().groups }) : undefined;
  if (metrics) {
    services.counters = metrics;
    mode.countRaft?.(metrics);
    mode.countLogSyncs?.((seconds) => metrics.logFsync(seconds));
  }
  const sasl = saslEnvironment(config, controller, logger);
  const handlers = metrics ? timedHandlers(createHandlers(services), metrics) : createHandlers(services);
  // One server per listener; all share the handlers, and each gives its connections its own Session.
  const servers = listeners.map(
    (listener) =>
      new KafkaServer(
        handlers,
        {
          listener: listener.name,
          securityProtocol: listener.securityProtocol,
          sasl,
          host: listener.host,
          port: listener.port,
          frameBytesMax: config.limits.max_frame_bytes,
          inflightRequestsMax: config.limits.max_inflight_requests_per_connection,
          connectionsMax: config.limits.max_connections,
          partitionsPerRequestMax: config.limits.max_partitions_per_request,
          idleMs: config.limits.connections_max_idle_ms,
          ...(tlsFiles && usesTls(listener.securityProtocol) && { tls: { material: tlsFiles.material, clientAuth: config.tls.client_auth } }),
        },
        logger,
      ),
  );
  if (tlsFiles) {
    tlsFiles.onReload((material) => {
      for (const server of servers) server.setSecureContext(material);
    });
    tlsFiles.start(config.tls.reload_interval_ms);
  }
  // The first listener is the broker's address for peers, tools and status (BrokerRecord host/port).
  let listening: { host: string; port: number } = { host: listeners[0]!.host, port: listeners[0]!.port };
  const bound: BoundListener[] = [];
  let http: HttpServerHandle | null = null;
  const status = (): NodeStatus => {
    const { connected, groups, transport } = mode.peers();
    return {
      nodeId,
      clusterId: controller.state.clusterId,
      mode: mode.kind,
      controllerId: controller.controllerId,
      kafka: { host: services.listeners[0]!.host, port: services.listeners[0]!.port },
      brokers: controller.state
        .allBrokers()
        .map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, connected: b.nodeId === nodeId || connected.has(b.nodeId) })),
      groups,
      members: memberStatuses(
        controller.state.allBrokers(),
        nodeId,
        connected,
        groups.find((g) => g.group === metadataGroupName),
      ),
      learners: learnersCatchingUp(groups),
      ...reassignmentsInFlight(controller.state),
      ...(transport && { transport }),
    };
  };
  // One teardown for a start that failed and for close(): clients first, then the groups, the
  // replicas (the mode's) and the store under them.
  const releaseAll = async (): Promise<void> => {
    await http?.close();
    tlsFiles?.close();
    await Promise.all(servers.map((server) => server.close()));
    groups.close();
    offsetsFollowers.close();
    await mode.close();
    store.close();
  };
  try {
    for (const [position, server] of servers.entries()) {
      const address = await server.listen();
      const listener = listeners[position]!;
      bound.push({ name: listener.name, securityProtocol: listener.securityProtocol, host: address.host, port: address.port });
      // With port 0 the OS picks the port; clients must be told the real one.
      if (listener.advertisedPort === null) services.listeners[position]!.port = address.port;
    }
    listening = { host: bound[0]!.host, port: bound[0]!.port };
    // Before the cluster starts, so `./broker status` shows a node waiting for its founders.
    if (httpSecurityOptions) {
      http = await startHttpServer(
        { host: config.http.host, port: config.http.port },
        status,
        logger,
        {
          ...mode.adminOps,
          services,
          metrics,
          tails: { ...tailRoutes(config, nodeId, controller, replicas, options.logRing ?? null), authorizer: services.authorizer },
        },
        httpSecurityOptions,
      );
      // `runnel` finds the admin API from a Kafka address through DescribeConfigs (BROKER).
      services.brokerConfigs[ADMIN_ADDRESS_CONFIG] = adminAddress(config, http.port);
    }
    await mode.register({ host: services.listeners[0]!.host, port: services.listeners[0]!.port, listeners: services.listeners });
  } catch (err) {
    await releaseAll();
    throw err;
  }

  const retentionTimer = setInterval(() => replicas.runRetention(Date.now()), config.retention_check_interval_ms);
  retentionTimer.unref();
  const offsetsExpiryTimer = setInterval(() => {
    groups.expireOffsets().catch((err: unknown) => logger.warn({ err }, 'offset expiry failed'));
  }, OFFSETS_RETENTION_CHECK_INTERVAL_MS);
  offsetsExpiryTimer.unref();
  let snapshotting = false;
  const offsetsSnapshotTimer = setInterval(() => {
    if (snapshotting) return;
    snapshotting = true;
    offsetsFollowers
      .snapshot(config.groups.offsets_snapshot_records_min)
      .catch((err: unknown) => logger.warn({ err }, 'consumer-group snapshots failed'))
      .finally(() => (snapshotting = false));
  }, config.groups.offsets_snapshot_interval_ms);
  offsetsSnapshotTimer.unref();

  logger.info(
    {
      host: listening.host,
      port: listening.port,
      advertised: `${services.listeners[0]!.host}:${services.listeners[0]!.port}`,
      listeners: services.listeners.map((l) => `${l.name}://${l.host}:${l.port}`),
      nodeId,
      clusterId: controller.state.clusterId,
      dataDir,
      mode: mode.kind,
    },
    'listening',
  );
  const stopBootstrapUser = startBootstrapUser(config, services);
  void replicas.producerStatesLoaded().then(() => {
    loopDelay.disable();
    logger.info(
      { ms: Math.round(performance.now() - startedAt), eventLoopDelayMaxMs: Math.round(Math.max(firstTurnMs, loopDelay.max / 1e6)) },
      'partitions loaded',
    );
  });

  let closing: Promise<void> | undefined;
  return {
    nodeId,
    clusterId: controller.state.clusterId,
    host: listening.host,
    port: listening.port,
    listeners: bound,
    services,
    http,
    onLeft(listener) {
      mode.onLeft(listener);
    },
    close() {
      closing ??= (async () => {
        clearInterval(retentionTimer);
        clearInterval(offsetsExpiryTimer);
        clearInterval(offsetsSnapshotTimer);
        stopBootstrapUser();
        loopDelay.disable();
        await releaseAll();
        logger.info({ nodeId }, 'broker stopped');
      })();
      return closing;
    },
  };
}

/** The TLS listeners' files, paths relative to the working directory as every path in the config. */
function openTlsFiles(config: RunnelConfig, logger: Logger): TlsFiles {
  const { cert_file: certFile, key_file: keyFile, ca_file: caFile } = config.tls;
  // The config layer refuses a TLS listener without these (checkListeners); this guards other callers.
  if (certFile === null || keyFile === null) throw new Error('a TLS listener needs tls.cert_file and tls.key_file');
  return new TlsFiles({ certFile: resolve(certFile), keyFile: resolve(keyFile), caFile: caFile === null ? null : resolve(caFile) }, logger);
}

/** What the WebSocket tails read: this broker's replicas (led or not) and the topics in the metadata. */
function tailRoutes(
  config: RunnelConfig,
  nodeId: number,
  controller: BrokerServices['controller'],
  replicas: BrokerServices['replicas'],
  logRing: LogRing | null,
): TailRoutes {
  return {
    source: {
      nodeId,
      partitionCount: (topic) => controller.state.topic(topic)?.partitionCount,
      committedReader: (topic, index) => replicas.committedReader(topic, index),
      hosts: (topic, index) => {
        const record = controller.state.topic(topic);
        return record ? hostingReplicas(record, index) : [];
      },
    },
    logRing,
    tls: config.http.tls,
    limits: {
      connectionsMax: config.limits.max_tail_connections,
      bufferBytesMax: config.limits.tail_buffer_bytes,
      messagesPerSecondMax: config.limits.tail_messages_per_second,
      keyBytesMax: config.limits.max_tail_key_bytes,
      uncompressedBytesMax: config.limits.max_uncompressed_batch_bytes,
    },
  };
}

/** Where clients reach the HTTP server: its own host, or the advertised host when it binds every interface; https://... over TLS. */
function adminAddress(config: RunnelConfig, port: number): string {
  const host = ['', '0.0.0.0', '::', '[::]'].includes(config.http.host) ? config.server.advertised_host : config.http.host;
  const address = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
  // Over TLS the full URL, so a client knows to speak HTTPS (statusUrl and wsUrl take either form).
  return config.http.tls ? `https://${address}` : address;
}

/** The broker settings DescribeConfigs shows, under the Kafka names clients know. */
function brokerConfigView(config: RunnelConfig): Record<string, string> {
  return {
    'log.dirs': resolve(config.data_dir),
    'log.segment.bytes': String(config.segment_size),
    'log.retention.ms': String(config.retention_time_ms),
    'log.retention.bytes': String(config.retention_bytes),
    'message.max.bytes': String(config.limits.max_batch_bytes),
    'socket.request.max.bytes': String(config.limits.max_frame_bytes),
    'auto.create.topics.enable': String(config.auto_create_topics),
    'num.partitions': String(config.default_partitions),
    'default.replication.factor': String(config.cluster.replication_factor),
  };
}

/** A credential no password matches: an unknown user's check costs what a known one's does. */
function decoyCredential(): StoredScramCredential {
  return credentialFromPassword('SCRAM-SHA-512', randomBytes(24).toString('base64'), randomBytes(16), 4096);
}
