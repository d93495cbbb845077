// The SDK's admin client (issue 13): topics (create, delete, describe, add partitions, configs),
// consumer groups (list, describe with lag, delete, reset offsets), records (delete before an
// offset) and the cluster's description. Every method rejects with a KafkaError naming what
// failed, or a ConnectionError when no broker answered.

import {
  createPartitions as createPartitionsApi,
  createTopics as createTopicsApi,
  deleteRecords as deleteRecordsApi,
  deleteTopics as deleteTopicsApi,
  describeCluster as describeClusterApi,
  describeConfigs as describeConfigsApi,
  incrementalAlterConfigs,
  alterUserScramCredentials as alterUserScramCredentialsApi,
  describeUserScramCredentials as describeUserScramCredentialsApi,
} from '../../protocol/apis/index.ts';
import { randomBytes } from 'node:crypto';
import { saltedPassword, scramIterationsMin, scramMechanismCode, scramMechanisms, type ScramMechanism } from '../../security/scram-crypto.ts';
import type { ApiDefinition } from '../../protocol/api.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { EncodeInput } from '../../protocol/schema.ts';
import { type BrokerInfo, Cluster, type PartitionInfo } from '../cluster.ts';
import { kafkaError } from '../errors.ts';
import type { ClientLimits } from '../limits.ts';
import { withRetries } from '../retry.ts';
import {
  type GroupDescription,
  type GroupListing,
  deleteGroupIds,
  describeGroupsWithLag,
  listAllGroups,
  type ResetTarget,
  resetGroupOffsets,
  resetOffsetsPlan,
} from './groups.ts';
import type { ConnectionSecurity } from '../security.ts';

import { createAclBindings, deleteAclBindings, describeAclBindings } from './acls.ts';
import { ANY_ACL, type AclBinding, type AclFilter } from '../../security/acl.ts';

export type { GroupDescription, GroupListing, ResetTarget };
export type { AclBinding, AclFilter };

/** `ssl` and `sasl` (KafkaJS's names) secure the connections of the Cluster made from `bootstrap`. */
export interface AdminOptions extends ConnectionSecurity {
  /** Brokers to start from, as `host:port` (used when `cluster` is not given). */
  bootstrap?: string[];
  /** A Cluster to share with other clients; the admin client then does not close it. */
  cluster?: Cluster;
  clientId?: string;
  limits?: Partial<ClientLimits>;
}

export interface NewTopic {
  name: string;
  /** Default: the broker's default (num.partitions). */
  partitions?: number;
  /** Default: the broker's default (default.replication.factor). */
  replicationFactor?: number;
  /** Topic configs, e.g. { 'retention.ms': '86400000' }. */
  configs?: Record<string, string>;
}

export interface TopicDescription {
  name: string;
  /** The topic id as 32 hex digits ('' when the broker sends none). */
  topicId: string;
  partitions: PartitionInfo[];
}

export type ConfigResource = { type: 'topic'; name: string } | { type: 'broker'; name: string };

export interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  isSensitive: boolean;
}

/** One incremental change: set a value, delete it (back to the default), or append to / subtract from a list. */
export interface ConfigChange {
  name: string;
  op: 'set' | 'delete' | 'append' | 'subtract';
  value?: string;
}

/** One change of a SASL user's SCRAM credential (KIP-554). The password is salted here; only the salted form is sent. */
export type ScramCredentialAlteration =
  | { op: 'upsert'; user: string; mechanism: ScramMechanism; password: string /** Default 4096 (Kafka's minimum). */; iterations?: number }
  | { op: 'delete'; user: string; mechanism: ScramMechanism };

export interface ScramUserDescription {
  user: string;
  mechanisms: Array<{ mechanism: ScramMechanism; iterations: number }>;
}

export interface ClusterDescription {
  clusterId: string | null;
  controllerId: number;
  brokers: BrokerInfo[];
}

const RESOURCE_TYPE = { topic: 2, broker: 4 } as const;
const CONFIG_OPERATION = { set: 0, delete: 1, append: 2, subtract: 3 } as const;
const ZERO_TOPIC_ID = '0'.repeat(32);
const CONFIG_SOURCE_DEFAULT = 5;

/**
 * Administers a cluster.
 *
 * @example
 * const admin = new Admin({ bootstrap: ['127.0.0.1:9092'] });
 * await admin.createTopics([{ name: 'orders', partitions: 6, configs: { 'retention.ms': '86400000' } }]);
 * console.log(await admin.describeGroups(['billing']));
 * await admin.close();
 */
export class Admin {
  readonly cluster: Cluster;
  private readonly ownsCluster: boolean;

  constructor(options: AdminOptions) {
    if (!options.cluster && !options.bootstrap) throw new Error('an Admin needs `bootstrap` (host:port list) or a `cluster`');
    this.ownsCluster = !options.cluster;
    this.cluster =
      options.cluster ??
      new Cluster({ bootstrap: options.bootstrap!, ssl: options.ssl, sasl: options.sasl, clientId: options.clientId, limits: options.limits });
  }

  /** Creates topics; rejects with the first topic's error (TOPIC_ALREADY_EXISTS, INVALID_REPLICATION_FACTOR, INVALID_CONFIG, …). */
  async createTopics(topics: NewTopic[], options: { validateOnly?: boolean; timeoutMs?: number } = {}): Promise<void> {
    const answer = await this.toController(createTopicsApi, {
      topics: topics.map((t) => ({
        name: t.name,
        numPartitions: t.partitions ?? -1,
        replicationFactor: t.replicationFactor ?? -1,
        assignments: [],
        configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
      })),
      timeoutMs: options.timeoutMs ?? this.cluster.limits.requestTimeoutMs,
      validateOnly: options.validateOnly ?? false,
    });
    for (const t of answer.topics) if (t.errorCode !== ErrorCode.NONE) throw kafkaError(t.errorCode, `create topic ${t.name}`, t.errorMessage);
    for (const t of topics) this.cluster.invalidate(t.name);
  }

  /** Deletes topics by name; rejects with UNKNOWN_TOPIC_OR_PARTITION for one that does not exist. */
  async deleteTopics(names: string[], options: { timeoutMs?: number } = {}): Promise<void> {
    const answer = await this.toController(deleteTopicsApi, {
      topicNames: names,
      topics: names.map((name) => ({ name, topicId: Buffer.alloc(16) })),
      timeoutMs: options.timeoutMs ?? this.cluster.limits.requestTimeoutMs,
    });
    for (const t of answer.responses) if (t.errorCode !== ErrorCode.NONE) throw kafkaError(t.errorCode, `delete topic ${t.name}`, t.errorMessage);
    for (const name of names) this.cluster.invalidate(name);
  }

  /** The names of every topic, sorted. */
  async listTopics(): Promise<string[]> {
    const meta = await this.cluster.metadata(undefined, { refresh: true });
    return meta.topics.map((t) => t.name).sort();
  }

  /** Partitions, leaders, replicas and in-sync replicas of topics (all when omitted); rejects for a topic that does not exist. */
  async describeTopics(names?: string[]): Promise<TopicDescription[]> {
    const meta = await this.cluster.metadata(names, { refresh: true });
    return meta.topics.map((t) => {
      if (t.errorCode !== ErrorCode.NONE) throw kafkaError(t.errorCode, `topic ${t.name}`);
      const hex = t.topicId.toString('hex');
      return { name: t.name, topicId: hex === ZERO_TOPIC_ID ? '' : hex, partitions: t.partitions };
    });
  }

  /** Grows `topic` to `totalCount` partitions (never shrinks: INVALID_PARTITIONS). */
  async createPartitions(topic: string, totalCount: number, options: { timeoutMs?: number } = {}): Promise<void> {
    const answer = await this.toController(createPartitionsApi, {
      topics: [{ name: topic, count: totalCount, assignments: null }],
      timeoutMs: options.timeoutMs ?? this.cluster.limits.requestTimeoutMs,
      validateOnly: false,
    });
    for (const r of answer.results) if (r.errorCode !== ErrorCode.NONE) throw kafkaError(r.errorCode, `add partitions to ${r.name}`, r.errorMessage);
    this.cluster.invalidate(topic);
  }

  /** The configs of a topic or broker (all, or `names`). */
  async describeConfigs(resource: ConfigResource, names?: string[]): Promise<ConfigEntry[]> {
    const answer = await withRetries(this.cluster.limits, () =>
      this.cluster.request(resource.type === 'broker' ? Number(resource.name) : 'any', describeConfigsApi, {
        resources: [{ resourceType: RESOURCE_TYPE[resource.type], resourceName: resource.name, configurationKeys: names ?? null }],
        includeSynonyms: false,
        includeDocumentation: false,
      }),
    );
    const r = answer.results[0]!;
    if (r.errorCode !== ErrorCode.NONE) throw kafkaError(r.errorCode, `configs of ${resource.type} ${resource.name}`, r.errorMessage);
    return r.configs
      .map((c) => ({
        name: c.name,
        value: c.value,
        readOnly: c.readOnly,
        // v0 says isDefault; v1+ says where the value comes from instead (5: DEFAULT_CONFIG).
        isDefault: c.configSource >= 0 ? c.configSource === CONFIG_SOURCE_DEFAULT : c.isDefault,
        isSensitive: c.isSensitive,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Changes configs of a topic or broker incrementally (IncrementalAlterConfigs): other configs stay as they are. */
  async alterConfigs(resource: ConfigResource, changes: ConfigChange[], options: { validateOnly?: boolean } = {}): Promise<void> {
    const answer = await withRetries(this.cluster.limits, () =>
      this.cluster.request(resource.type === 'broker' ? Number(resource.name) : 'any', incrementalAlterConfigs, {
        resources: [
          {
            resourceType: RESOURCE_TYPE[resource.type],
            resourceName: resource.name,
            configs: changes.map((c) => ({ name: c.name, configOperation: CONFIG_OPERATION[c.op], value: c.value ?? null })),
          },
        ],
        validateOnly: options.validateOnly ?? false,
      }),
    );
    for (const r of answer.responses)
      if (r.errorCode !== ErrorCode.NONE) throw kafkaError(r.errorCode, `alter configs of ${resource.type} ${resource.name}`, r.errorMessage);
  }

  /** Every consumer group with its state. */
  listGroups(): Promise<GroupListing[]> {
    return listAllGroups(this.cluster);
  }

  /** Groups with members and, per partition they committed, committed offset, high watermark and lag. */
  describeGroups(groupIds: string[]): Promise<GroupDescription[]> {
    return describeGroupsWithLag(this.cluster, groupIds);
  }

  /** Deletes groups with no members (NON_EMPTY_GROUP otherwise). */
  deleteGroups(groupIds: string[]): Promise<void> {
    return deleteGroupIds(this.cluster, groupIds);
  }

  /** Moves an empty group's offsets of `topic` to earliest, latest, a timestamp or an offset; returns the new offsets. */
  resetOffsets(groupId: string, topic: string, target: ResetTarget, partitions?: number[]): Promise<{ partition: number; offset: number }[]> {
    return resetGroupOffsets(this.cluster, groupId, topic, target, partitions);
  }

  /** The offsets `resetOffsets` would commit for these partitions of `topic`, without committing them (a dry run). */
  resetOffsetsPlan(topic: string, target: ResetTarget, partitions: number[]): Promise<Map<number, number>> {
    return resetOffsetsPlan(this.cluster, topic, partitions, target);
  }

  /** Deletes the records before `offset` in each given partition (offset -1: all); returns the new log start offsets. */
  async deleteRecords(
    topic: string,
    beforeOffsets: Record<number, number>,
    options: { timeoutMs?: number } = {},
  ): Promise<{ partition: number; lowWatermark: number }[]> {
    const partitions = Object.entries(beforeOffsets).map(([p, offset]) => ({ partition: Number(p), offset }));
    return withRetries(
      this.cluster.limits,
      async () => {
        const byLeader = new Map<number, { partitionIndex: number; offset: number }[]>();
        for (const { partition, offset } of partitions) {
          const leader = await this.cluster.leaderFor(topic, partition);
          byLeader.set(leader, [...(byLeader.get(leader) ?? []), { partitionIndex: partition, offset }]);
        }
        const out: { partition: number; lowWatermark: number }[] = [];
        for (const [leader, ps] of byLeader) {
          const answer = await this.cluster.request(leader, deleteRecordsApi, {
            topics: [{ name: topic, partitions: ps }],
            timeoutMs: options.timeoutMs ?? this.cluster.limits.requestTimeoutMs,
          });
          for (const p of answer.topics[0]?.partitions ?? []) {
            if (p.errorCode !== ErrorCode.NONE) throw kafkaError(p.errorCode, `delete records of ${topic}/${p.partitionIndex}`);
            out.push({ partition: p.partitionIndex, lowWatermark: p.lowWatermark });
          }
        }
        return out.sort((a, b) => a.partition - b.partition);
      },
      () => this.cluster.invalidate(topic),
    );
  }

  /** The cluster id, the controller and every broker. */
  async describeCluster(): Promise<ClusterDescription> {
    const answer = await withRetries(this.cluster.limits, () => this.cluster.request('any', describeClusterApi, { includeClusterAuthorizedOperations: false }));
    if (answer.errorCode !== ErrorCode.NONE) throw kafkaError(answer.errorCode, 'DescribeCluster', answer.errorMessage);
    return {
      clusterId: answer.clusterId,
      controllerId: answer.controllerId,
      brokers: answer.brokers.map((b) => ({ nodeId: b.brokerId, host: b.host, port: b.port })).sort((a, b) => a.nodeId - b.nodeId),
    };
  }

  /**
   * Sets and deletes SASL users' SCRAM credentials; rejects with the first user's error
   * (RESOURCE_NOT_FOUND for a credential to delete that is not there, UNACCEPTABLE_CREDENTIAL for
   * iterations outside 4096..16384, DUPLICATE_RESOURCE for a user and mechanism named twice).
   */
  async alterUserScramCredentials(alterations: ScramCredentialAlteration[]): Promise<void> {
    const deletions = alterations.flatMap((a) => (a.op === 'delete' ? [{ name: a.user, mechanism: scramMechanismCode[a.mechanism] }] : []));
    const upsertions = alterations.flatMap((a) => {
      if (a.op !== 'upsert') return [];
      const salt = randomBytes(32);
      const iterations = a.iterations ?? scramIterationsMin;
      return [
        {
          name: a.user,
          mechanism: scramMechanismCode[a.mechanism],
          iterations,
          salt,
          saltedPassword: saltedPassword(a.mechanism, a.password, salt, iterations),
        },
      ];
    });
    await this.toController(alterUserScramCredentialsApi, { deletions, upsertions }, (answer) => {
      for (const r of answer.results)
        if (r.errorCode !== ErrorCode.NONE) throw kafkaError(r.errorCode, `alter SCRAM credentials of user ${r.user}`, r.errorMessage);
    });
  }

  /** The users with SCRAM credentials (all of them without `users`); rejects with RESOURCE_NOT_FOUND for a named user without one. */
  async describeUserScramCredentials(users?: string[]): Promise<ScramUserDescription[]> {
    const answer = await withRetries(this.cluster.limits, () =>
      this.cluster.request('any', describeUserScramCredentialsApi, { users: users === undefined ? null : users.map((name) => ({ name })) }),
    );
    if (answer.errorCode !== ErrorCode.NONE) throw kafkaError(answer.errorCode, 'DescribeUserScramCredentials', answer.errorMessage);
    return answer.results.map((r) => {
      if (r.errorCode !== ErrorCode.NONE) throw kafkaError(r.errorCode, `describe SCRAM credentials of user ${r.user}`, r.errorMessage);
      return {
        user: r.user,
        mechanisms: r.credentialInfos.flatMap((c) => {
          const mechanism = scramMechanisms.find((m) => scramMechanismCode[m] === c.mechanism);
          return mechanism ? [{ mechanism, iterations: c.iterations }] : [];
        }),
      };
    });
  }

  /** Closes the connections (unless the Cluster was passed in). */
  async close(): Promise<void> {
    if (this.ownsCluster) await this.cluster.close();
  }

  /**
   * Topic changes go to the controller (any broker when none is known), asked again after
   * NOT_CONTROLLER; `check` throws an answer's error inside the attempt, so a retriable one
   * (NOT_CONTROLLER in a result) is asked again too.
   */
  private toController<Req, Res>(api: ApiDefinition<Req, Res>, body: EncodeInput<Req>, check: (answer: Res) => void = () => {}): Promise<Res> {
    return withRetries(
      this.cluster.limits,
      async () => {
        const meta = await this.cluster.metadata([]);
        const target = meta.controllerId >= 0 && meta.brokers.some((b) => b.nodeId === meta.controllerId) ? meta.controllerId : 'any';
        const answer = await this.cluster.request(target, api, body);
        check(answer);
        return answer;
      },
      () => void this.cluster.metadata([], { refresh: true }).catch(() => {}),
    );
  }

  /** Creates ACL bindings (CreateAcls); an existing one is no error. Needs ALTER on the cluster. */
  createAcls(bindings: AclBinding[]): Promise<void> {
    return createAclBindings(this.cluster, bindings);
  }

  /** The ACL bindings a filter matches (DescribeAcls); every binding when omitted. Needs DESCRIBE on the cluster. */
  describeAcls(filter: AclFilter = ANY_ACL): Promise<AclBinding[]> {
    return describeAclBindings(this.cluster, filter);
  }

  /** Deletes the bindings any filter matches (DeleteAcls); returns them. Needs ALTER on the cluster. */
  deleteAcls(filters: AclFilter[]): Promise<AclBinding[]> {
    return deleteAclBindings(this.cluster, filters);
  }
}
