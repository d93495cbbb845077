// Unsafe recovery, the acting part (docs/cluster.md, "Unsafe recovery"): forces the groups a
// request names onto this broker alone (RaftNode.forceConfiguration), the metadata group first,
// then makes each recovered partition's assignment name this broker only. What to recover and
// what to say about losses is decided in unsafe-recovery.ts.

import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { RaftNode } from '../raft/index.ts';
import type { RaftHost } from '../raft-host/raft-host.ts';
import type { ClusterReplicaManager } from '../partition/cluster-replica-manager.ts';
import type { ReplicatedPartition } from '../partition/replicated-partition.ts';
import { describeRaftGroup } from '../partition/group-names.ts';
import type { MetadataGroup } from '../controller/metadata-group.ts';
import type { GroupRecovery, UnsafeRecoverOutcome, UnsafeRecoverRequest } from '../http/cluster-unsafe-recover.ts';
import { lossStatement, METADATA_GROUP_DISPLAY, planUnsafeRecovery, type RecoverableGroup } from './unsafe-recovery.ts';

export interface UnsafeRecovererOptions {
  nodeId: number;
  host: RaftHost;
  replicas: ClusterReplicaManager;
  metadata: MetadataGroup;
  /** The metadata group's wire name. */
  metadataGroupName: string;
  logger: Logger;
  /** How often to look whether the recovered metadata group leads (one Raft tick). */
  pollMs: number;
  /** How long to wait for that at most (the metadata proposal timeout). */
  waitMsMax: number;
  /** False once the node stops: waits end. */
  running: () => boolean;
}

type HostedGroup = RecoverableGroup & { node: RaftNode; replica?: ReplicatedPartition };

export class UnsafeRecoverer {
  constructor(private readonly o: UnsafeRecovererOptions) {}

  async recover(request: UnsafeRecoverRequest): Promise<UnsafeRecoverOutcome> {
    const plan = planUnsafeRecovery(request, this.hostedGroups(), this.o.nodeId);
    if ('error' in plan) return { status: plan.status, body: { error: plan.error } };
    const groups: GroupRecovery[] = [];
    for (const { group, skip } of plan.targets) {
      groups.push(skip !== undefined ? { group: group.display, outcome: 'skipped', reason: skip } : await this.recoverGroup(group));
    }
    const report = { node: this.o.nodeId, groups };
    if (groups.some((g) => g.outcome === 'recovered')) return { status: 200, body: report };
    return { status: 409, body: { error: groups.map((g) => `${g.group}: ${g.reason}`).join('; '), ...report } };
  }

  private hostedGroups(): HostedGroup[] {
    const out: HostedGroup[] = [];
    const meta = this.o.host.group(this.o.metadataGroupName);
    if (meta) out.push({ name: this.o.metadataGroupName, display: METADATA_GROUP_DISPLAY, isMetadata: true, status: meta.status(), node: meta });
    for (const replica of this.o.replicas.allReplicas()) {
      const node = replica.raft;
      if (!node) continue;
      const name = this.o.replicas.groupNameOf(replica);
      out.push({ name, display: describeRaftGroup(name).group, isMetadata: false, status: node.status(), node, replica });
    }
    return out;
  }

  private async recoverGroup(group: HostedGroup): Promise<GroupRecovery> {
    const { node, replica, display } = group;
    const self = this.o.nodeId;
    const before = node.status();
    const base: GroupRecovery = {
      group: display,
      outcome: 'failed',
      votersBefore: before.config.voters.map((m) => m.id),
      lastIndex: before.lastIndex,
      commitIndex: before.commit,
      // Kafka offsets, as clients know them (issue 12).
      ...(replica && { highWatermark: replica.kafka.highWatermark, logEndOffset: replica.kafka.logEndOffset }),
    };
    if (!group.isMetadata && (this.o.host.group(this.o.metadataGroupName)?.lead ?? 0) === 0) {
      return { ...base, reason: `the metadata group has no leader: recover "${METADATA_GROUP_DISPLAY}" first (metadata, then partitions)` };
    }
    const alreadyAlone = before.config.voters.length === 1 && before.config.voters[0].id === self && (before.config.fenced?.length ?? 0) > 0;
    if (alreadyAlone && replica) {
      // Forced before, but the assignment did not follow (the metadata group had no leader then).
      return {
        ...base,
        outcome: 'recovered',
        reason: 'already recovered; assignment checked',
        voters: [self],
        fenced: before.config.fenced,
        assignment: await this.recoverAssignment(replica, display),
      };
    }
    const forced = node.forceConfiguration([self]);
    if (!forced.ok) return { ...base, reason: forced.detail };
    this.o.host.kick();
    const report: GroupRecovery = {
      ...base,
      outcome: 'recovered',
      voters: forced.voters,
      fenced: forced.fenced,
      forcedIndex: forced.index,
      term: forced.term,
      mayBeLost: lossStatement({
        lastIndex: forced.lastIndexBefore,
        commitIndex: forced.commitBefore,
        highWatermark: base.highWatermark,
        logEndOffset: base.logEndOffset,
      }),
    };
    this.o.logger.warn(report, 'unsafe recovery: this broker is now the only voter of the group');
    if (group.isMetadata) {
      if (!(await this.waitUntilLeading(node, forced.index))) report.reason = 'forced, but not leading yet: metadata proposals may fail until it does';
    } else if (replica) {
      report.assignment = await this.recoverAssignment(replica, display);
    }
    return report;
  }

  /** Whether `node` leads and committed an entry of its own term after `index`, within waitMsMax. */
  private async waitUntilLeading(node: RaftNode, index: number): Promise<boolean> {
    const deadline = performance.now() + this.o.waitMsMax;
    while (this.o.running() && performance.now() < deadline) {
      if (node.state === 'leader' && node.commit > index) return true;
      await new Promise((resolve) => setTimeout(resolve, this.o.pollMs));
    }
    return false;
  }

  /** Makes this broker the partition's only assigned replica in the metadata; says how it went. */
  private async recoverAssignment(replica: ReplicatedPartition, display: string): Promise<string> {
    const self = this.o.nodeId;
    const topicId = describeRaftGroup(this.o.replicas.groupNameOf(replica)).topicId ?? '';
    try {
      const result = await this.o.metadata.propose({ type: 'recoverAssignment', topicId, partition: replica.index, replicas: [self] });
      if (result.ok) return `updated: [${self}]`;
      const assigned = this.o.metadata.state.topicById(topicId)?.assignments[replica.index];
      return assigned?.length === 1 && assigned[0] === self ? `already [${self}]` : `not updated: ${result.message}`;
    } catch (err) {
      return `not updated: ${(err as Error).message}; run {"group": "${display}"} again once the metadata group leads`;
    }
  }
}
