// The records of the internal __consumer_offsets topic, in Kafka's own binary format (the key and
// value schemas of Kafka's GroupMetadataManager), so the log reads like Kafka's and a Kafka tool
// that decodes __consumer_offsets would understand it. docs/consumer-groups.md describes them.
//
//   OffsetCommitKey (version 1)   => group STRING, topic STRING, partition INT32
//   OffsetCommitValue (version 3) => offset INT64, leader_epoch INT32, metadata STRING,
//                                    commit_timestamp INT64
//   GroupMetadataKey (version 2)  => group STRING
//   GroupMetadataValue (version 3)=> protocol_type STRING, generation INT32,
//                                    protocol NULLABLE_STRING, leader NULLABLE_STRING,
//                                    current_state_timestamp INT64, [members]
//     members => member_id STRING, group_instance_id NULLABLE_STRING, client_id STRING,
//                client_host STRING, rebalance_timeout INT32, session_timeout INT32,
//                subscription BYTES, assignment BYTES
//
// Every key and value starts with its INT16 version. A null value is a tombstone: the offset, or
// the whole group, was deleted. STRING is an INT16 length and UTF-8 bytes (-1 for null), BYTES an
// INT32 length, arrays an INT32 count.

import type { GroupRecord } from './group.ts';

export const OFFSET_KEY_VERSION = 1;
export const OFFSET_VALUE_VERSION = 3;
export const GROUP_KEY_VERSION = 2;
export const GROUP_VALUE_VERSION = 3;

export interface CommittedOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestampMs: number;
}

export type OffsetsRecord =
  | { kind: 'offset'; group: string; topic: string; partition: number; value: CommittedOffset | null }
  | { kind: 'group'; group: string; value: GroupRecord | null };

class Writer {
  private readonly parts: Buffer[] = [];
  int16(v: number): this {
    const b = Buffer.allocUnsafe(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }
  int32(v: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }
  int64(v: number): this {
    const b = Buffer.allocUnsafe(8);
    b.writeBigInt64BE(BigInt(v));
    this.parts.push(b);
    return this;
  }
  string(v: string | null): this {
    if (v === null) return this.int16(-1);
    const bytes = Buffer.from(v, 'utf8');
    if (bytes.length > 0x7fff) throw new RangeError(`string of ${bytes.length} bytes is too long for an INT16 length`);
    this.int16(bytes.length);
    this.parts.push(bytes);
    return this;
  }
  bytes(v: Buffer): this {
    this.int32(v.length);
    this.parts.push(v);
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new RangeError(`record field runs past the end (${this.pos}+${n} > ${this.buf.length})`);
  }
  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  int64(): number {
    this.need(8);
    const v = Number(this.buf.readBigInt64BE(this.pos));
    this.pos += 8;
    return v;
  }
  nullableString(): string | null {
    const n = this.int16();
    if (n < 0) return null;
    this.need(n);
    const v = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  string(): string {
    const v = this.nullableString();
    if (v === null) throw new RangeError('null where a string is required');
    return v;
  }
  bytes(): Buffer {
    const n = this.int32();
    if (n < 0) return Buffer.alloc(0);
    this.need(n);
    const v = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return v;
  }
}

export function offsetKey(group: string, topic: string, partition: number): Buffer {
  return new Writer().int16(OFFSET_KEY_VERSION).string(group).string(topic).int32(partition).done();
}

export function offsetValue(value: CommittedOffset): Buffer {
  return new Writer().int16(OFFSET_VALUE_VERSION).int64(value.offset).int32(value.leaderEpoch).string(value.metadata).int64(value.commitTimestampMs).done();
}

export function groupKey(group: string): Buffer {
  return new Writer().int16(GROUP_KEY_VERSION).string(group).done();
}

export function groupValue(record: GroupRecord): Buffer {
  const w = new Writer()
    .int16(GROUP_VALUE_VERSION)
    .string(record.protocolType)
    .int32(record.generationId)
    .string(record.protocolName)
    .string(record.leader)
    .int64(record.stateTimestampMs)
    .int32(record.members.length);
  for (const m of record.members) {
    w.string(m.memberId)
      .string(m.groupInstanceId)
      .string(m.clientId)
      .string(m.clientHost)
      .int32(m.rebalanceTimeoutMs)
      .int32(m.sessionTimeoutMs)
      .bytes(m.subscription)
      .bytes(m.assignment);
  }
  return w.done();
}

/** Decodes one record of __consumer_offsets; throws on a key or value it does not understand. */
export function decodeOffsetsRecord(key: Buffer, value: Buffer | null): OffsetsRecord {
  const k = new Reader(key);
  const keyVersion = k.int16();
  if (keyVersion === 0 || keyVersion === 1) {
    const group = k.string();
    const topic = k.string();
    const partition = k.int32();
    if (value === null) return { kind: 'offset', group, topic, partition, value: null };
    const v = new Reader(value);
    const version = v.int16();
    if (version < 1 || version > OFFSET_VALUE_VERSION) throw new RangeError(`offset commit value version ${version}`);
    const offset = v.int64();
    const leaderEpoch = version >= 3 ? v.int32() : -1;
    const metadata = v.string();
    const commitTimestampMs = v.int64();
    return { kind: 'offset', group, topic, partition, value: { offset, leaderEpoch, metadata, commitTimestampMs } };
  }
  if (keyVersion === GROUP_KEY_VERSION) {
    const group = k.string();
    if (value === null) return { kind: 'group', group, value: null };
    const v = new Reader(value);
    const version = v.int16();
    if (version !== GROUP_VALUE_VERSION) throw new RangeError(`group metadata value version ${version}`);
    const protocolType = v.string();
    const generationId = v.int32();
    const protocolName = v.nullableString();
    const leader = v.nullableString();
    const stateTimestampMs = v.int64();
    const count = v.int32();
    if (count < 0 || count > value.length) throw new RangeError(`group metadata claims ${count} members`);
    const members: GroupRecord['members'] = [];
    for (let i = 0; i < count; i++) {
      members.push({
        memberId: v.string(),
        groupInstanceId: v.nullableString(),
        clientId: v.string(),
        clientHost: v.string(),
        rebalanceTimeoutMs: v.int32(),
        sessionTimeoutMs: v.int32(),
        subscription: v.bytes(),
        assignment: v.bytes(),
      });
    }
    return { kind: 'group', group, value: { protocolType, generationId, protocolName, leader, stateTimestampMs, members } };
  }
  throw new RangeError(`__consumer_offsets key version ${keyVersion}`);
}
