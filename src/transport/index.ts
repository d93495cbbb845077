// Public API of the peer transport. See docs/transport.md.
export { TcpTransport, parseAddress, type TcpTransportConfig } from './tcp.ts';
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
