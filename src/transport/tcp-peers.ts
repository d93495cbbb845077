// What the TCP transport keeps per configured peer and per connection, and the registry of the
// peers by id. Plain records: the sockets are driven by TcpTransport (tcp.ts), the handshake by
// tcp-handshake.ts.

import type { Socket } from 'node:net';
import type { GroupDecoder, GroupEncoder, Outgoing } from './codec.ts';
import type { FrameDecoder } from './frame.ts';
import { checkNodeId, emptyPeerStatus, type PeerStatus } from './types.ts';

export type ConnState = 'connecting' | 'hello' | 'challenge' | 'proof' | 'welcome' | 'open' | 'closed';

export interface Peer {
  id: number;
  address: string;
  host: string;
  port: number;
  /** The authenticated connection, if any. */
  conn: Conn | null;
  /** Our outgoing connection while it dials and shakes hands (dialing side only). */
  dialing: Conn | null;
  reconnectTimer: unknown;
  attempt: number;
  everConnected: boolean;
  removed: boolean;
  queue: Outgoing[];
  stats: PeerStatus;
}

export interface Conn {
  socket: Socket;
  role: 'dial' | 'accept';
  state: ConnState;
  remote: string;
  peer: Peer | null;
  nonceD: Buffer | null;
  nonceA: Buffer | null;
  /** What the other end announced in HELLO or CHALLENGE; trusted only once the proofs check out. */
  peerStorageId: string | null;
  decoder: FrameDecoder;
  groupsOut: GroupEncoder;
  groupsIn: GroupDecoder;
  handshakeTimer: unknown;
  destroyTimer: unknown;
  /** Counts towards maxPendingHandshakes until authenticated or closed. */
  pendingInbound: boolean;
  /** Reading is paused while buffered frames are handled over several event-loop turns. */
  yielding: boolean;
  lastSentMs: number;
  lastReceivedMs: number;
}

/** Reads the state through a call, because handlers change it behind TypeScript's narrowing. */
export function isClosed(conn: Conn): boolean {
  return conn.state === 'closed';
}

export function parseAddress(address: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(address);
  const port = m ? Number(m[2]) : NaN;
  if (!m || m[1] === '' || !(port >= 1 && port <= 65535)) throw new RangeError(`peer address must be "host:port" (got "${address}")`);
  return { host: m[1]!, port };
}

export interface PeerChanges {
  /** Peers no longer configured; still registered until the transport forgets them. */
  removed: Peer[];
  /** Peers whose address changed; their records already carry the new one. */
  moved: Peer[];
  /** Peers configured for the first time; already registered. */
  added: Peer[];
}

/** The configured peers of one node, by id (this node's own id is never one of them). */
export class PeerRegistry {
  private readonly nodeId: number;
  private readonly byId = new Map<number, Peer>();

  constructor(nodeId: number) {
    this.nodeId = nodeId;
  }

  get(id: number): Peer | undefined {
    return this.byId.get(id);
  }

  values(): IterableIterator<Peer> {
    return this.byId.values();
  }

  /** Takes a new configured set (node id → "host:port"); throws before changing anything if an entry is invalid. */
  update(peers: ReadonlyMap<number, string>): PeerChanges {
    const next = new Map<number, { host: string; port: number; address: string }>();
    for (const [id, address] of peers) {
      checkNodeId(id, 'peer id');
      if (id === this.nodeId) continue;
      next.set(id, { ...parseAddress(address), address });
    }
    const changes: PeerChanges = { removed: [], moved: [], added: [] };
    for (const [id, peer] of this.byId) {
      const n = next.get(id);
      if (n === undefined) {
        changes.removed.push(peer);
      } else if (n.address !== peer.address) {
        peer.address = n.address;
        peer.host = n.host;
        peer.port = n.port;
        peer.stats.address = n.address;
        changes.moved.push(peer);
      }
    }
    for (const [id, n] of next) {
      if (this.byId.has(id)) continue;
      const peer: Peer = {
        id,
        address: n.address,
        host: n.host,
        port: n.port,
        conn: null,
        dialing: null,
        reconnectTimer: null,
        attempt: 0,
        everConnected: false,
        removed: false,
        queue: [],
        stats: emptyPeerStatus(id, n.address),
      };
      this.byId.set(id, peer);
      changes.added.push(peer);
    }
    return changes;
  }

  /** Forgets `peer`, unless a newer record has taken its id. */
  forget(peer: Peer): void {
    if (this.byId.get(peer.id) === peer) this.byId.delete(peer.id);
  }

  /** Every peer's counters, with whether it is connected and the storage id it authenticated with. */
  status(): PeerStatus[] {
    return [...this.byId.values()].map((p) => {
      const open = p.conn !== null && p.conn.state === 'open';
      return { ...p.stats, connected: open, storageId: open ? p.conn!.peerStorageId : null };
    });
  }
}
