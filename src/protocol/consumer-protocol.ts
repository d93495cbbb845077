// The "consumer" embedded protocol (Kafka's clients/src/main/resources/common/message/
// ConsumerProtocolSubscription.json and ConsumerProtocolAssignment.json, versions 0-3, never
// flexible). Group members put a Subscription in JoinGroup's protocol metadata and the leader
// hands each member an Assignment through SyncGroup. Both travel as an INT16 version followed
// by the message at that version (Kafka's ConsumerProtocol.serialize*).
//
// ConsumerProtocolSubscription => topics [STRING], user_data NULLABLE_BYTES,
//   owned_partitions [topic STRING, partitions [INT32]] (v1+, KIP-429),
//   generation_id INT32 (v2+, default -1, KIP-792), rack_id NULLABLE_STRING (v3+, KIP-881)
// ConsumerProtocolAssignment => assigned_partitions [topic STRING, partitions [INT32]],
//   user_data NULLABLE_BYTES (v1-v3 add nothing on the wire; they mark what the subscription can carry)
//
// The broker keeps its own small reader of the topics (src/broker/group/consumer-protocol.ts);
// this codec is the client's, complete.

import { DecodeError, Reader } from './primitives.ts';
import { array, bytes, decode, encode, field, int32, message, string, struct, type MessageValue } from './schema.ts';

export const CONSUMER_PROTOCOL_TYPE = 'consumer';
export const CONSUMER_PROTOCOL_VERSION_MAX = 3;

const topicPartitions = array(struct([field('topic', string, { versions: '0+' }), field('partitions', array(int32), { versions: '0+' })]));

const subscriptionSchema = message({
  name: 'ConsumerProtocolSubscription',
  validVersions: '0-3',
  flexibleVersions: 'none',
  fields: [
    field('topics', array(string), { versions: '0+' }),
    field('userData', bytes, { versions: '0+', nullableVersions: '0+', default: null }),
    field('ownedPartitions', topicPartitions, { versions: '1+' }),
    field('generationId', int32, { versions: '2+', default: -1 }),
    field('rackId', string, { versions: '3+', nullableVersions: '3+', default: null }),
  ],
});

const assignmentSchema = message({
  name: 'ConsumerProtocolAssignment',
  validVersions: '0-3',
  flexibleVersions: 'none',
  fields: [
    field('assignedPartitions', topicPartitions, { versions: '0+' }),
    field('userData', bytes, { versions: '0+', nullableVersions: '0+', default: null }),
  ],
});

export type ConsumerSubscription = MessageValue<typeof subscriptionSchema>;
export type ConsumerAssignment = MessageValue<typeof assignmentSchema>;
export type TopicPartitions = ConsumerAssignment['assignedPartitions'];

function encodeVersioned<T>(schema: typeof subscriptionSchema | typeof assignmentSchema, version: number, value: T): Buffer {
  if (!Number.isInteger(version) || version < 0 || version > CONSUMER_PROTOCOL_VERSION_MAX) {
    throw new RangeError(`${schema.name} version ${version} is not one of 0-${CONSUMER_PROTOCOL_VERSION_MAX}`);
  }
  // biome-ignore lint/suspicious/noExplicitAny: the two schemas share this framing; each caller passes its own value type
  return Buffer.concat([Buffer.from([version >> 8, version & 0xff]), encode(schema as any, version, value as any).toBuffer()]);
}

/** The version to read a message at: a newer one is read as the newest we know, since versions only append fields (Kafka's checkSubscriptionVersion). */
function readVersion(name: string, reader: Reader): number {
  const version = reader.int16();
  if (version < 0) throw new DecodeError(`${name}: version ${version} is negative`);
  return Math.min(version, CONSUMER_PROTOCOL_VERSION_MAX);
}

export function encodeSubscription(value: Partial<ConsumerSubscription> & { topics: string[] }, version = CONSUMER_PROTOCOL_VERSION_MAX): Buffer {
  return encodeVersioned(subscriptionSchema, version, value);
}

/** Reads a subscription; throws DecodeError naming the field when the bytes are not one. */
export function decodeSubscription(buf: Buffer): ConsumerSubscription & { version: number } {
  const reader = new Reader(buf);
  const version = readVersion(subscriptionSchema.name, reader);
  return { ...decode(subscriptionSchema, version, reader), version };
}

export function encodeAssignment(
  value: Partial<ConsumerAssignment> & { assignedPartitions: TopicPartitions },
  version = CONSUMER_PROTOCOL_VERSION_MAX,
): Buffer {
  return encodeVersioned(assignmentSchema, version, value);
}

/** Reads an assignment; an empty buffer is the empty assignment (what a coordinator sends a member the leader gave nothing). */
export function decodeAssignment(buf: Buffer): ConsumerAssignment & { version: number } {
  if (buf.length === 0) return { assignedPartitions: [], userData: null, version: 0 };
  const reader = new Reader(buf);
  const version = readVersion(assignmentSchema.name, reader);
  return { ...decode(assignmentSchema, version, reader), version };
}
