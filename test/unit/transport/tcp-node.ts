// A started TcpTransport on 127.0.0.1 with a free port, the messages it received and its log
// lines: what the TCP transport tests (plain and TLS) drive.
import { TcpTransport, type TcpTransportConfig } from '../../../src/transport/tcp.ts';
import type { Message } from '../../../src/raft/types.ts';
import { memoryLogger, type LogLine } from './helpers.ts';

export const SECRET = 'test-cluster-secret';

export interface Node {
  t: TcpTransport;
  got: Array<{ from: number; group: string; msg: Message }>;
  lines: LogLine[];
}

/** Short reconnect backoff, so tests see several redials quickly. */
export const FAST = { reconnectBaseMs: 10, reconnectMaxMs: 100, handshakeTimeoutMs: 2000 };

export async function startNode(nodeId: number, over: Partial<TcpTransportConfig> = {}): Promise<Node> {
  const { logger, lines } = memoryLogger();
  const t = new TcpTransport({
    nodeId,
    listenHost: '127.0.0.1',
    listenPort: 0,
    peers: new Map(),
    clusterSecret: SECRET,
    storageId: `disk-${nodeId}`,
    logger,
    ...over,
    limits: { ...FAST, ...over.limits },
  });
  const got: Node['got'] = [];
  t.onMessage((from, group, msg) => got.push({ from, group, msg }));
  await t.start();
  return { t, got, lines };
}
