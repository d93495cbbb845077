// The PeerTransport a simulated broker's RaftHost talks through (replica-sim.ts). Each message is
// encoded with the real wire codec when sent and decoded on delivery, so replicas share no
// objects and codec bugs show; the simulated network (network.ts) decides whether, when and
// how often it arrives. One transport per process incarnation: a crashed process's transport
// is closed and sends nothing more.

import { decodeMessage, encodeMessage } from '../../src/transport/codec.ts';
import type { Message } from '../../src/raft/types.ts';
import type { MessageHandler, PeerStatus, PeerTransport } from '../../src/transport/types.ts';
import type { SimNetwork } from './network.ts';

/** A message on the simulated wire. */
export interface Packet {
  from: number;
  to: number;
  group: string;
  bytes: Buffer;
  /** The message type, for traces and verbose output. */
  type: Message['type'];
  term: number;
}

export class SimTransport implements PeerTransport {
  private handler: MessageHandler | null = null;
  private closed = false;

  constructor(
    readonly nodeId: number,
    private readonly net: SimNetwork<Packet>,
  ) {}

  send(to: number, group: string, msg: Message): void {
    if (msg.from !== this.nodeId || msg.to !== to) throw new Error(`message ${msg.type} from ${msg.from} to ${msg.to} sent by ${this.nodeId} to ${to}`);
    if (this.closed) return;
    this.net.send({ from: this.nodeId, to, group, bytes: encodeMessage(msg), type: msg.type, term: msg.term });
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
    this.handler(p.from, p.group, decodeMessage(p.bytes, p.from, p.to));
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** The process died: nothing more goes out or comes in. */
  kill(): void {
    this.closed = true;
  }
}
