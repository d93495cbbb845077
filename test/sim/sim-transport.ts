// The PeerTransport a simulated broker's RaftHost talks through (replica-sim.ts). In a seed that
// runs the codec (`codecSeed`: one seed in CODEC_EVERY_SEEDS) each message is encoded with the
// real wire codec when sent and decoded on delivery, so codec bugs show; every other seed hands
// over a copy (copyMessage: what the codec's round trip gives, without the bytes), which saves
// the encode and decode. Either way replicas share no objects. The simulated network
// (network.ts) decides whether, when and how often it arrives. One transport per process
// incarnation: a crashed process's transport is closed and sends nothing more.

import { decodeMessage, encodeMessage } from '../../src/transport/codec.ts';
import type { Entry, Message, Snapshot } from '../../src/raft/types.ts';
import type { MessageHandler, PeerStatus, PeerTransport } from '../../src/transport/types.ts';
import type { SimNetwork } from './network.ts';

/** A message on the simulated wire. */
export interface Packet {
  from: number;
  to: number;
  group: string;
  /** The encoded message (a seed that runs the codec), or null. */
  bytes: Buffer | null;
  /** The message itself when the seed skips the codec (a copy the sender keeps nothing of), or null. */
  msg: Message | null;
  /** `msg` went to a host already (a duplicated packet): the next delivery gets a copy of it. */
  handedOver: boolean;
  /** The message type, for traces and verbose output. */
  type: Message['type'];
  term: number;
}

/** One seed in this many runs every message through the wire codec (seed % 8 === 0). */
export const CODEC_EVERY_SEEDS = 8;

/** Whether `seed`'s transports encode and decode every message (the others copy it). */
export function codecSeed(seed: number): boolean {
  return seed % CODEC_EVERY_SEEDS === 0;
}

const NO_ENTRIES: Entry[] = Object.freeze([] as Entry[]) as Entry[];

/**
 * What decodeMessage(encodeMessage(msg)) returns, without the bytes: the same fields in the same
 * order, entry and snapshot data copied into Buffers of their own, members and fenced ids in new
 * arrays; an entry type other than 'normal' travels as 'config', as in the codec.
 */
export function copyMessage(m: Message): Message {
  let entries = NO_ENTRIES;
  if (m.entries.length > 0) {
    entries = new Array<Entry>(m.entries.length);
    for (let i = 0; i < entries.length; i++) {
      const e = m.entries[i];
      entries[i] = { index: e.index, term: e.term, type: e.type === 'normal' ? 'normal' : 'config', data: Buffer.from(e.data) };
    }
  }
  let snapshot: Snapshot | null = null;
  if (m.snapshot !== null) {
    const s = m.snapshot;
    const members = (ms: Snapshot['confState']['voters']) => ms.map(({ id, storageId }) => ({ id, storageId }));
    const confState: Snapshot['confState'] = { voters: members(s.confState.voters), learners: members(s.confState.learners) };
    if (s.confState.fenced !== undefined && s.confState.fenced.length > 0) confState.fenced = [...s.confState.fenced];
    snapshot = { index: s.index, term: s.term, confState, data: Buffer.from(s.data) };
  }
  return {
    type: m.type,
    from: m.from,
    to: m.to,
    term: m.term,
    logTerm: m.logTerm,
    index: m.index,
    entries,
    commit: m.commit,
    reject: m.reject,
    rejectHint: m.rejectHint,
    snapshot,
    context: m.context,
    storageId: m.storageId,
    toStorageId: m.toStorageId,
  };
}

export class SimTransport implements PeerTransport {
  private handler: MessageHandler | null = null;
  private closed = false;

  constructor(
    readonly nodeId: number,
    private readonly net: SimNetwork<Packet>,
    /** Encode and decode every message (codecSeed), or hand over copies. */
    private readonly codec: boolean,
  ) {}

  send(to: number, group: string, msg: Message): void {
    if (msg.from !== this.nodeId || msg.to !== to) throw new Error(`message ${msg.type} from ${msg.from} to ${msg.to} sent by ${this.nodeId} to ${to}`);
    if (this.closed) return;
    const bytes = this.codec ? encodeMessage(msg) : null;
    this.net.send({ from: this.nodeId, to, group, bytes, msg: bytes === null ? copyMessage(msg) : null, handedOver: false, type: msg.type, term: msg.term });
  }

  flush(): void {}

  onMessage(handler: MessageHandler): void {
    this.handler = handler;
  }

  onPeerIdentity(): void {}

  setPeers(): void {}

  peerStatus(): PeerStatus[] {
    return [];
  }

  /** Hands a packet to the host; exceptions from the host (a failed step) propagate. */
  deliver(p: Packet): void {
    if (this.closed || this.handler === null) return;
    if (p.bytes !== null) {
      this.handler(p.from, p.group, decodeMessage(p.bytes, p.from, p.to));
      return;
    }
    // A duplicated packet is delivered twice: each delivery gets its own message.
    const msg = p.handedOver ? copyMessage(p.msg!) : p.msg!;
    p.handedOver = true;
    this.handler(p.from, p.group, msg);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** The process died: nothing more goes out or comes in. */
  kill(): void {
    this.closed = true;
  }
}
