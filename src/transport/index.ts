// Public API of the peer transport. See docs/transport.md.
export { TcpTransport, type TcpTransportConfig } from './tcp.ts';
export { parseAddress } from './tcp-peers.ts';
export { MemoryHub, MemoryTransport, type MemoryHubOptions } from './memory.ts';
export {
  DEFAULT_TRANSPORT_LIMITS,
  backoffDelayMs,
  resolveLimits,
  systemClock,
  type Clock,
  type MessageHandler,
  type PeerStatus,
  type PeerTransport,
  type TransportLimits,
} from './types.ts';
export { CodecError, decodeMessage, encodeMessage, messageSize } from './codec.ts';
