// The controller of a single-node cluster: it applies metadata commands to the state machine at
// once and saves a snapshot to the node store before it reports success, so a topic that was
// reported created survives a crash. In cluster mode the metadata Raft group takes this role; both
// expose the same `propose` so the Kafka handlers do not care which one runs.

import type { Logger } from 'pino';
import type { MetadataState, ApplyResult, MetadataCommand } from '../metadata/metadata-state.ts';
import type { NodeStore } from './node-store.ts';
import { MetadataNotSavedError, type Controller, type MetadataListener } from '../metadata/controller.ts';

export class LocalController implements Controller {
  readonly state: MetadataState;
  readonly controllerId: number;
  private readonly store: NodeStore;
  private readonly logger: Logger;
  private readonly listeners: MetadataListener[] = [];

  constructor(state: MetadataState, store: NodeStore, logger: Logger, nodeId: number) {
    this.state = state;
    this.controllerId = nodeId;
    this.store = store;
    this.logger = logger;
  }

  onApplied(listener: MetadataListener): void {
    this.listeners.push(listener);
  }

  async propose(command: MetadataCommand): Promise<ApplyResult> {
    const before = this.state.snapshot();
    const result = this.state.apply(command);
    if (!result.ok) return result;
    try {
      this.store.saveMetadata(this.state.snapshot());
    } catch (err) {
      // Not saved means not done: a change that would vanish at the next restart must not be
      // seen now either (a full disk is the usual cause). The caller answers with a storage error.
      this.state.restore(before);
      throw new MetadataNotSavedError(err);
    }
    for (const listener of this.listeners) listener(command, this.state);
    logMetadataCommand(this.logger, command);
    return result;
  }
}

/** One info line per applied metadata change, the same on a single node and in a cluster. */
export function logMetadataCommand(logger: Logger, command: MetadataCommand): void {
  switch (command.type) {
    case 'initCluster':
      logger.info({ clusterId: command.clusterId }, 'cluster named');
      break;
    case 'createTopic':
      logger.info({ topic: command.topic.name, partitions: command.topic.partitionCount, configs: command.topic.configs }, 'topic created');
      break;
    case 'deleteTopic':
      logger.info({ topic: command.name }, 'topic deleted');
      break;
    case 'createPartitions':
      logger.info({ topic: command.name, added: command.assignments.length }, 'partitions added');
      break;
    case 'registerBroker':
      logger.info({ broker: command.broker }, 'broker registered');
      break;
    case 'allocateProducerIds':
      logger.info({ nodeId: command.nodeId, firstId: command.firstId, count: command.count }, 'producer ids allocated');
      break;
    case 'alterConfigs':
      logger.info({ resource: command.resource, replace: command.replace, ops: command.ops }, 'configs altered');
      break;
    case 'publishLeaders':
      // Every leader change publishes one: the replicas' 'became leader' lines are the ones to read.
      logger.debug({ partitions: command.leaders.length }, 'partition leaders published');
      break;
    case 'alterReassignment':
      logger.info(
        { topic: command.topic, partition: command.partition, replicas: command.replicas },
        command.replicas === null ? 'reassignment cancelled' : 'reassignment started',
      );
      break;
    case 'leaveBroker':
      logger.info({ broker: command.nodeId }, 'broker leaving the cluster: its partitions move to other brokers');
      break;
    case 'removeBroker':
      logger.info({ broker: command.nodeId }, 'broker removed from the cluster');
      break;
    case 'alterScramCredentials':
      // Names only: salts and keys stay out of the log.
      logger.info(
        { deleted: command.deletions.map((d) => `${d.user}/${d.mechanism}`), set: command.upsertions.map((u) => `${u.user}/${u.mechanism}`) },
        'SCRAM credentials altered',
      );
      break;
    case 'createAcls':
      logger.info({ acls: command.bindings }, 'ACLs created');
      break;
    case 'deleteAcls':
      logger.info({ filters: command.filters }, 'ACLs deleted');
      break;
    case 'completeReassignment':
      logger.info({ topicId: command.topicId, partition: command.partition, replicas: command.replicas }, 'reassignment completed');
      break;
  }
}
