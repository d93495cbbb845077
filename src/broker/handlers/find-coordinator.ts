// FindCoordinator (key 10): which broker coordinates a consumer group.
//
//   FindCoordinatorRequest => key(v0-3) key_type(v1+) [coordinator_keys](v4+)
//   FindCoordinatorResponse => throttle_time_ms(v1+) error_code(v0-3) error_message(v1-3)
//       node_id(v0-3) host(v0-3) port(v0-3) [coordinators](v4+)
//     coordinators => key node_id host port error_code error_message
//
// A group's coordinator is the leader of __consumer_offsets partition
// abs(hash(groupId)) % partitions (offsets-topic.ts). The topic is created on the first request,
// as Kafka does. Transactions are not implemented, so transaction coordinators (key_type 1) are
// refused with a non-retriable error instead of sending the client into a retry loop.

import { endpointOn } from '../../metadata/broker-endpoints.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { OFFSETS_TOPIC } from '../group/offsets-topic.ts';
import { partitionLeader } from '../partition-leader.ts';
import { ensureOffsetsTopic } from '../group/offsets-topic-admin.ts';
import { findCoordinator, type FindCoordinatorRequest, type FindCoordinatorResponse } from '../../protocol/apis/find-coordinator.ts';

const GROUP_KEY = 0;

interface Coordinator {
  key: string;
  nodeId: number;
  host: string;
  port: number;
  errorCode: number;
  errorMessage: string | null;
}

export function findCoordinatorHandler(services: BrokerServices): ApiHandler<FindCoordinatorRequest, FindCoordinatorResponse> {
  return {
    api: findCoordinator,
    async handle(request, context) {
      const keyType: number = request.keyType ?? GROUP_KEY;
      const keys: string[] = context.apiVersion >= 4 ? request.coordinatorKeys : [request.key];
      const coordinators: Coordinator[] = [];
      for (const key of keys) {
        // ACLs: DESCRIBE on the group, as Kafka (transactional ids are refused below anyway).
        const denied = keyType === GROUP_KEY && !services.authorizer.check(context.session, 'DESCRIBE', 'GROUP', key);
        coordinators.push(
          denied
            ? { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null }
            : await findOne(services, keyType, key, context.session.listener),
        );
      }
      if (context.apiVersion >= 4) return { throttleTimeMs: 0, coordinators };
      const c = coordinators[0];
      return { throttleTimeMs: 0, errorCode: c.errorCode, errorMessage: c.errorMessage, nodeId: c.nodeId, host: c.host, port: c.port };
    },
  };
}

/** The coordinator of `key` at its endpoint on `listener`, the listener the request came in on. */
async function findOne(services: BrokerServices, keyType: number, key: string, listener: string): Promise<Coordinator> {
  const fail = (errorCode: number, errorMessage: string | null): Coordinator => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage });
  if (keyType !== GROUP_KEY) return fail(ErrorCode.INVALID_REQUEST, 'transactions are not supported by this broker');
  if (!key) return fail(ErrorCode.INVALID_REQUEST, 'the group id is empty');
  try {
    await ensureOffsetsTopic(services);
  } catch (err) {
    services.logger.warn({ err }, `could not create ${OFFSETS_TOPIC}`);
    return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, (err as Error).message);
  }
  const partition = services.groups.partitionFor(key);
  // A broker hosting no replica of the partition names the leader published in the metadata.
  const leader = partitionLeader(services, OFFSETS_TOPIC, partition, services.controller.state.topic(OFFSETS_TOPIC)?.assignments[partition] ?? []);
  if (leader.leaderId < 0) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, null);
  if (leader.leaderId === services.nodeId) {
    const errorCode = services.groups.coordinatorError(key);
    if (errorCode !== ErrorCode.NONE && errorCode !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return fail(errorCode, null);
    // Loading is announced by the group APIs themselves (COORDINATOR_LOAD_IN_PROGRESS), not here.
    // This broker's own listeners: known before its registration reaches the metadata.
    const own = services.listeners.find((endpoint) => endpoint.name === listener);
    if (!own) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, `this broker has no listener ${listener}`);
    return { key, nodeId: services.nodeId, host: own.host, port: own.port, errorCode: ErrorCode.NONE, errorMessage: null };
  }
  const broker = services.controller.state.broker(leader.leaderId);
  const endpoint = broker && endpointOn(broker, listener);
  if (!endpoint) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, null);
  return { key, nodeId: leader.leaderId, host: endpoint.host, port: endpoint.port, errorCode: ErrorCode.NONE, errorMessage: null };
}
