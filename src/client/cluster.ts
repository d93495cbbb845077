// Routing for the SDK (issue 13): which broker gets a request, over which connection, at which
// version. Bootstrap from any of several addresses (skipping dead ones), negotiate API versions
// once per connection (ApiVersions), cache metadata up to a maximum age, find partition leaders
// and group coordinators, forget what a NOT_LEADER_OR_FOLLOWER answer made stale, and reconnect
// to a failed broker only after an exponential backoff. Everything above (producer, consumer,
// admin) asks this class instead of holding connections of its own.

import type { ApiDefinition } from '../protocol/api.ts';
import { findCoordinator, metadata as metadataApi, type MetadataResponse } from '../protocol/apis/index.ts';
import { ErrorCode } from '../protocol/errors.ts';
import type { EncodeInput } from '../protocol/schema.ts';
import { ConnectionError, type KafkaConnection } from './connection.ts';
import { KafkaError, kafkaError } from './errors.ts';
import { backoffMs, type ClientLimits, resolveLimits } from './limits.ts';
import { openConnection } from './open-connection.ts';
import type { ApiVersionRanges } from './sasl-login.ts';
import { checkSecurity, type ConnectionSecurity, type ResolvedSecurity } from './security.ts';

/** TLS (`ssl`) and SASL (`sasl`) with KafkaJS's option names, for every connection the client opens (src/client/security.ts). */
export interface ClusterOptions extends ConnectionSecurity {
  /** Brokers to ask first, as `host:port`; any one that answers is enough. */
  bootstrap: string[];
  /** Sent in every request header; brokers log it. */
  clientId?: string;
  limits?: Partial<ClientLimits>;
  /** Let a Metadata request create a topic that does not exist (when the broker allows it); off by default. */
  allowAutoTopicCreation?: boolean;
  /** Milliseconds now; tests pass a fake clock (metadata age and backoff are measured with it). */
  now?: () => number;
  /** Waits `ms`; tests pass one that advances their fake clock. */
  sleep?: (ms: number) => Promise<void>;
}

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
}

export interface PartitionInfo {
  partition: number;
  /** -1 while the partition has no leader. */
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  /** NONE (0), or e.g. LEADER_NOT_AVAILABLE while an election runs. */
  errorCode: number;
}

export interface TopicInfo {
  name: string;
  /** 16 bytes; all zero when the broker does not send topic ids (Metadata below v10). */
  topicId: Buffer;
  partitions: PartitionInfo[];
  /** NONE (0), or e.g. UNKNOWN_TOPIC_OR_PARTITION; topics with an error are not cached. */
  errorCode: number;
}

export interface ClusterMetadata {
  brokers: BrokerInfo[];
  topics: TopicInfo[];
  clusterId: string | null;
  controllerId: number;
}

/** A connection with the versions its broker speaks (apiKey → highest version), negotiated once. */
interface Link {
  connection: KafkaConnection;
  versions: ApiVersionRanges;
}

/**
 * Which connection to a broker a request takes. A broker answers one connection's requests in
 * order, so a group's requests (join, heartbeat, commit) get their own connection, as in the Java
 * client: on the main one they would wait behind a Fetch long poll to the same broker.
 */
export type Lane = 'main' | 'group';

/** Consecutive connect failures of one address and when it may be tried again. */
interface Health {
  failures: number;
  retryAtMs: number;
}

const ZERO_UUID = Buffer.alloc(16);
/** A Metadata request whose connection broke is sent again (to another broker) at most this often in all. */
const METADATA_ATTEMPTS_MAX = 3;

/** Routes requests to brokers by metadata; one per client (producer, consumer, admin may share one). */
export class Cluster {
  readonly limits: ClientLimits;
  private readonly bootstrap: string[];
  private readonly clientId: string;
  private readonly allowAutoTopicCreation: boolean;
  private readonly security: ResolvedSecurity;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** By address and lane (linkKey): a connection being opened (after its backoff) or open. */
  private readonly links = new Map<string, Promise<Link>>();
  /** By address and lane (linkKey): the connections that are open, so 'any' never waits for one still in backoff. */
  private readonly ready = new Map<string, Link>();
  private readonly health = new Map<string, Health>();
  private readonly brokers = new Map<number, BrokerInfo>();
  private readonly topics = new Map<string, { info: TopicInfo; fetchedAtMs: number }>();
  /** When the whole topic list was last fetched (metadata() without topics); -Infinity when never. */
  private allTopicsFetchedAtMs = Number.NEGATIVE_INFINITY;
  private clusterId: string | null = null;
  private controllerId = -1;
  /** Topics the last Metadata answer gave an error for; never served from cache. */
  private missing = new Map<string, TopicInfo>();
  private readonly metadataInflight = new Map<string, Promise<void>>();
  private readonly coordinators = new Map<string, number>();
  private closed = false;

  constructor(options: ClusterOptions) {
    if (!Array.isArray(options.bootstrap) || options.bootstrap.length === 0) {
      throw new Error('bootstrap must list at least one broker as host:port (e.g. 127.0.0.1:9092)');
    }
    this.bootstrap = [...options.bootstrap];
    this.clientId = options.clientId ?? 'runnel-sdk';
    this.limits = resolveLimits(options.limits);
    this.security = checkSecurity(options);
    this.allowAutoTopicCreation = options.allowAutoTopicCreation ?? false;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * Sends to broker `nodeId` (or any live broker when 'any'), at the highest version both sides
   * speak (ApiVersions negotiated once per connection). A broker that failed is reconnected to
   * after a backoff that doubles per failure (limits.retryBackoffMsMin..Max). Rejects with a
   * ConnectionError when no broker could be reached or the connection broke, and with a
   * KafkaError UNSUPPORTED_VERSION when the broker speaks no version of `api` that we do.
   */
  async request<Req, Res>(nodeId: number | 'any', api: ApiDefinition<Req, Res>, body: EncodeInput<Req>, lane: Lane = 'main'): Promise<Res> {
    const { link, address } = nodeId === 'any' ? await this.anyLink() : await this.nodeLink(nodeId, lane);
    const version = this.versionFor(link, api, address);
    try {
      return await link.connection.request(api, body, version);
    } catch (err) {
      if (err instanceof ConnectionError) this.dropLink(linkKey(address, nodeId === 'any' ? 'main' : lane), link);
      throw err;
    }
  }

  /** As request(), for a request the broker does not answer (Produce with acks=0); resolves once written. */
  async sendWithoutAnswer<Req>(nodeId: number | 'any', api: ApiDefinition<Req, unknown>, body: EncodeInput<Req>): Promise<void> {
    const { link, address } = nodeId === 'any' ? await this.anyLink() : await this.nodeLink(nodeId);
    try {
      link.connection.sendWithoutAnswer(api, body, this.versionFor(link, api, address));
    } catch (err) {
      if (err instanceof ConnectionError) this.dropLink(address, link);
      throw err;
    }
  }

  /** The version of `api` a request to broker `nodeId` would use (connecting when needed). */
  async versionOf(nodeId: number | 'any', api: ApiDefinition): Promise<number> {
    const { link, address } = nodeId === 'any' ? await this.anyLink() : await this.nodeLink(nodeId);
    return this.versionFor(link, api, address);
  }

  /** Cached metadata for these topics (all when omitted); `refresh` forces a new Metadata request. */
  async metadata(topics?: string[], options: { refresh?: boolean } = {}): Promise<ClusterMetadata> {
    const now = this.now();
    const fresh = (fetchedAtMs: number) => now - fetchedAtMs < this.limits.metadataMaxAgeMs;
    const cached = topics ? topics.map((t) => this.topics.get(t)) : null;
    const hit = !options.refresh && this.brokers.size > 0 && (cached ? cached.every((c) => c && fresh(c.fetchedAtMs)) : fresh(this.allTopicsFetchedAtMs));
    if (!hit) await this.fetchMetadata(topics);
    const wanted = topics ?? [...this.topics.keys()].sort();
    return {
      brokers: [...this.brokers.values()].sort((a, b) => a.nodeId - b.nodeId),
      topics: wanted.map((name) => this.topics.get(name)?.info ?? this.missing.get(name) ?? unknownTopic(name)),
      clusterId: this.clusterId,
      controllerId: this.controllerId,
    };
  }

  /**
   * The leader's node id for a partition from the cache, refreshing once when the topic is not
   * cached, is stale, or the partition has no leader. Rejects with a retriable KafkaError
   * (UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE) when the refreshed metadata has none.
   */
  async leaderFor(topic: string, partition: number): Promise<number> {
    const cachedLeader = this.cachedLeader(topic, partition);
    if (cachedLeader !== undefined) return cachedLeader;
    const meta = await this.metadata([topic], { refresh: true });
    const info = meta.topics[0]!;
    if (info.errorCode !== ErrorCode.NONE) throw kafkaError(info.errorCode, `topic ${topic}`);
    const p = info.partitions.find((x) => x.partition === partition);
    if (!p) throw kafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${topic} has no partition ${partition} (it has ${info.partitions.length})`);
    if (p.leader < 0) throw kafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `${topic}/${partition}`);
    return p.leader;
  }

  /**
   * The partition count of a topic from fresh cached metadata, without waiting; undefined when
   * it must be asked (not cached, stale, or the topic had an error). The producer's per-record
   * path: metadata() builds a whole answer each call.
   */
  cachedPartitionCount(topic: string): number | undefined {
    const cached = this.topics.get(topic);
    if (!cached || this.now() - cached.fetchedAtMs >= this.limits.metadataMaxAgeMs) return undefined;
    return cached.info.errorCode === ErrorCode.NONE ? cached.info.partitions.length : undefined;
  }

  /** Marks what a NOT_LEADER_OR_FOLLOWER / UNKNOWN_TOPIC_OR_PARTITION / LEADER_NOT_AVAILABLE answer made stale. */
  invalidate(topic: string): void {
    this.topics.delete(topic);
    this.allTopicsFetchedAtMs = Number.NEGATIVE_INFINITY;
  }

  /**
   * The group coordinator's node id (FindCoordinator, cached). Rejects with a KafkaError
   * (COORDINATOR_NOT_AVAILABLE and the like are retriable) when the broker names none.
   */
  async coordinator(groupId: string): Promise<number> {
    const cached = this.coordinators.get(groupId);
    if (cached !== undefined) return cached;
    // v4 asks in a batch (coordinatorKeys), v0-3 one key; both fields are sent and the encoder keeps the one of the version.
    const answer = await this.request('any', findCoordinator, { key: groupId, keyType: 0, coordinatorKeys: [groupId] });
    const entry = answer.coordinators.length > 0 ? answer.coordinators.find((c) => c.key === groupId) : answer;
    if (!entry) throw kafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `coordinator of group ${groupId}`, 'the answer names no coordinator for it');
    if (entry.errorCode !== ErrorCode.NONE) throw kafkaError(entry.errorCode, `coordinator of group ${groupId}`, entry.errorMessage);
    // The coordinator may not be in the metadata we hold yet; its address comes with the answer.
    this.brokers.set(entry.nodeId, { nodeId: entry.nodeId, host: entry.host, port: entry.port });
    this.coordinators.set(groupId, entry.nodeId);
    return entry.nodeId;
  }

  /** Forgets the coordinator of `groupId`, after NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE or a broken connection. */
  invalidateCoordinator(groupId: string): void {
    this.coordinators.delete(groupId);
  }

  /** Closes every connection; requests in flight reject with a ConnectionError. */
  async close(): Promise<void> {
    this.closed = true;
    const links = [...this.links.values()];
    this.links.clear();
    this.ready.clear();
    for (const pending of links) {
      const link = await pending.catch(() => null);
      link?.connection.close();
    }
  }

  private cachedLeader(topic: string, partition: number): number | undefined {
    const cached = this.topics.get(topic);
    if (!cached || this.now() - cached.fetchedAtMs >= this.limits.metadataMaxAgeMs) return undefined;
    const p = cached.info.partitions.find((x) => x.partition === partition);
    return p && p.leader >= 0 ? p.leader : undefined;
  }

  /** One Metadata request per set of topics at a time: callers asking the same thing share the answer. */
  private fetchMetadata(topics: string[] | undefined): Promise<void> {
    const key = topics ? JSON.stringify([...topics].sort()) : '*';
    const inflight = this.metadataInflight.get(key);
    if (inflight) return inflight;
    const fetching = this.fetchMetadataOnce(topics).finally(() => this.metadataInflight.delete(key));
    this.metadataInflight.set(key, fetching);
    return fetching;
  }

  private async fetchMetadataOnce(topics: string[] | undefined): Promise<void> {
    const body = {
      topics: topics ? topics.map((name) => ({ name, topicId: ZERO_UUID })) : null,
      allowAutoTopicCreation: this.allowAutoTopicCreation,
      includeTopicAuthorizedOperations: false,
    };
    // A connection that broke is dropped by request(); the next try goes to another broker.
    for (let attempt = 1; ; attempt++) {
      try {
        this.absorb(await this.request('any', metadataApi, body), topics === undefined);
        return;
      } catch (err) {
        if (!(err instanceof ConnectionError) || attempt >= METADATA_ATTEMPTS_MAX) throw err;
      }
    }
  }

  private absorb(answer: MetadataResponse, allTopics: boolean): void {
    const now = this.now();
    this.brokers.clear();
    for (const b of answer.brokers) this.brokers.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port });
    this.clusterId = answer.clusterId;
    this.controllerId = answer.controllerId;
    this.missing = new Map();
    if (allTopics) {
      this.topics.clear();
      this.allTopicsFetchedAtMs = now;
    }
    for (const t of answer.topics) {
      if (t.name === null) continue;
      const info: TopicInfo = {
        name: t.name,
        topicId: t.topicId ?? ZERO_UUID,
        errorCode: t.errorCode,
        partitions: t.partitions
          .map((p) => ({
            partition: p.partitionIndex,
            leader: p.leaderId,
            leaderEpoch: p.leaderEpoch,
            replicas: p.replicaNodes,
            isr: p.isrNodes,
            errorCode: p.errorCode,
          }))
          .sort((a, b) => a.partition - b.partition),
      };
      if (t.errorCode === ErrorCode.NONE) this.topics.set(t.name, { info, fetchedAtMs: now });
      else {
        this.topics.delete(t.name);
        this.missing.set(t.name, info);
      }
    }
  }

  private versionFor(link: Link, api: ApiDefinition, address: string): number {
    const theirs = link.versions.get(api.apiKey);
    const version = theirs ? Math.min(theirs.max, api.maxVersion) : -1;
    if (!theirs || version < Math.max(theirs.min, api.minVersion)) {
      const range = theirs ? `${theirs.min}-${theirs.max}` : 'none';
      throw new KafkaError(
        ErrorCode.UNSUPPORTED_VERSION,
        `broker ${address} speaks ${api.name} versions ${range}, this client ${api.minVersion}-${api.maxVersion}: UNSUPPORTED_VERSION`,
      );
    }
    return version;
  }

  /** A link to broker `nodeId`, learning its address from metadata when not known yet. */
  private async nodeLink(nodeId: number, lane: Lane = 'main'): Promise<{ link: Link; address: string }> {
    if (!this.brokers.has(nodeId)) await this.fetchMetadata([]);
    const broker = this.brokers.get(nodeId);
    if (!broker) throw new ConnectionError(`broker ${nodeId} is not in the cluster's metadata (brokers: ${[...this.brokers.keys()].join(', ') || 'none'})`);
    const address = formatAddress(broker.host, broker.port);
    return { link: await this.linkTo(address, lane), address };
  }

  /**
   * A link to any broker: an open one if there is one, else each known broker and bootstrap
   * address in turn, those not in backoff first, until one answers.
   */
  private async anyLink(): Promise<{ link: Link; address: string }> {
    for (const [address, link] of this.ready) {
      if (link.connection.isOpen && !isGroupLane(address)) return { link, address };
    }
    const known = [...this.brokers.values()].map((b) => formatAddress(b.host, b.port));
    const candidates = [...new Set([...known, ...this.bootstrap])];
    const readyAt = (address: string) => this.health.get(address)?.retryAtMs ?? 0;
    candidates.sort((a, b) => readyAt(a) - readyAt(b));
    const failures: string[] = [];
    for (const address of candidates) {
      try {
        return { link: await this.linkTo(address), address };
      } catch (err) {
        if (!(err instanceof ConnectionError)) throw err;
        failures.push(err.message);
      }
    }
    throw new ConnectionError(`no broker answered (tried ${candidates.join(', ')}): ${failures.join('; ')}`);
  }

  /** The open link to `address` on `lane`, or a new one after the address's backoff has passed. */
  private linkTo(address: string, lane: Lane = 'main'): Promise<Link> {
    if (this.closed) return Promise.reject(new ConnectionError('the client is closed'));
    const key = linkKey(address, lane);
    const open = this.ready.get(key);
    if (open && !open.connection.isOpen) this.dropLink(key, open);
    const existing = this.links.get(key);
    if (existing) return existing;
    const opening = this.open(address);
    this.links.set(key, opening);
    opening.then(
      (link) => {
        this.health.delete(address);
        if (this.links.get(key) === opening) this.ready.set(key, link);
      },
      () => {
        if (this.links.get(key) === opening) this.links.delete(key);
        const failures = (this.health.get(address)?.failures ?? 0) + 1;
        this.health.set(address, { failures, retryAtMs: this.now() + backoffMs(failures, this.limits) });
      },
    );
    return opening;
  }

  private async open(address: string): Promise<Link> {
    const waitMs = (this.health.get(address)?.retryAtMs ?? 0) - this.now();
    if (waitMs > 0) await this.sleep(waitMs);
    if (this.closed) throw new ConnectionError('the client is closed');
    const link = await openConnection(address, { clientId: this.clientId, limits: this.limits, security: this.security, now: this.now });
    if (this.closed) {
      link.connection.close();
      throw new ConnectionError('the client is closed');
    }
    return link;
  }

  private dropLink(key: string, link: Link): void {
    if (this.ready.get(key) === link) {
      this.ready.delete(key);
      this.links.delete(key);
    }
    link.connection.close();
  }
}

const GROUP_LANE_SUFFIX = '#group';

/** The key of a connection in `links` and `ready`: the address, marked for the group lane. */
function linkKey(address: string, lane: Lane): string {
  return lane === 'main' ? address : `${address}${GROUP_LANE_SUFFIX}`;
}

function isGroupLane(key: string): boolean {
  return key.endsWith(GROUP_LANE_SUFFIX);
}

function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function unknownTopic(name: string): TopicInfo {
  return { name, topicId: ZERO_UUID, partitions: [], errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
}
