// The Kafka listeners: reading the `listeners` list (unique names and ports) and resolving the
// listeners a broker opens, with the endpoint each advertises. An absent or empty list is one
// PLAINTEXT listener from server.host, server.port and server.advertised_host, exactly what a
// broker did before listeners existed.
import { fieldError } from './errors.ts';
import type { ListenerConfig, RunnelConfig, SecurityProtocolName } from './types.ts';
import { readPort } from './values.ts';

/** Kafka's listener names are letters, digits and underscores (`PLAINTEXT`, `SASL_SSL`, `INTERNAL`). */
export const LISTENER_NAME_PATTERN = '^[A-Za-z0-9_]+$';

/** The name of the listener made from server.* when `listeners` is empty. */
export const DEFAULT_LISTENER_NAME = 'PLAINTEXT';

const WILDCARD_HOSTS = new Set(['', '0.0.0.0', '::', '[::]']);

/** A listener with its defaults filled in: what the broker binds and what it tells clients. */
export interface ResolvedListener {
  name: string;
  host: string;
  port: number;
  advertisedHost: string;
  /** null: the port the listener was bound to (port 0 lets the OS choose). */
  advertisedPort: number | null;
  securityProtocol: SecurityProtocolName;
}

type FieldErrorFor = (field: string, problem: string) => Error;

/**
 * Normalises a `listeners` list that passed the schema: ports as numbers, defaults as null, and
 * no two listeners with one name or one port (port 0, "any free port", may repeat).
 */
export function readListeners(value: unknown, field: string, errorFor: FieldErrorFor): ListenerConfig[] {
  const entries = value as Record<string, unknown>[];
  const byName = new Map<string, number>();
  const byPort = new Map<number, number>();
  return entries.map((entry, position) => {
    const at = `${field}[${position}]`;
    const name = entry.name as string;
    const port = readPort(entry.port);
    if (!port.ok) throw errorFor(`${at}.port`, port.problem);
    const advertisedPort = entry.advertised_port === undefined ? null : readPort(entry.advertised_port);
    if (advertisedPort !== null && !advertisedPort.ok) throw errorFor(`${at}.advertised_port`, advertisedPort.problem);
    const sameName = byName.get(name);
    if (sameName !== undefined) throw errorFor(`${at}.name`, `repeats listener name "${name}" (already at ${field}[${sameName}])`);
    const samePort = byPort.get(port.value);
    if (samePort !== undefined) throw errorFor(`${at}.port`, `repeats port ${port.value} (already at ${field}[${samePort}])`);
    byName.set(name, position);
    if (port.value !== 0) byPort.set(port.value, position);
    return {
      name,
      host: (entry.host as string | undefined) ?? '0.0.0.0',
      port: port.value,
      advertised_host: (entry.advertised_host as string | undefined) ?? null,
      advertised_port: advertisedPort === null ? null : advertisedPort.value,
      security_protocol: (entry.security_protocol as SecurityProtocolName | undefined) ?? 'PLAINTEXT',
    };
  });
}

/** The listeners a broker opens, in config order; the first is the one peers and tools record. */
export function effectiveListeners(config: Pick<RunnelConfig, 'listeners' | 'server'>): ResolvedListener[] {
  const { server } = config;
  if (config.listeners.length === 0) {
    return [
      {
        name: DEFAULT_LISTENER_NAME,
        host: server.host,
        port: server.port,
        advertisedHost: server.advertised_host,
        advertisedPort: null,
        securityProtocol: 'PLAINTEXT',
      },
    ];
  }
  return config.listeners.map((listener) => ({
    name: listener.name,
    host: listener.host,
    port: listener.port,
    // A listener on one interface is reached there; one on every interface by the broker's public name.
    advertisedHost: listener.advertised_host ?? (WILDCARD_HOSTS.has(listener.host) ? server.advertised_host : listener.host),
    advertisedPort: listener.advertised_port,
    securityProtocol: listener.security_protocol,
  }));
}

/** Cross-field rules of listeners and tls (load.ts calls this with the merged config). */
export function checkListeners(config: RunnelConfig): void {
  const listeners = effectiveListeners(config);
  const { http, tls } = config;
  for (const [position, listener] of listeners.entries()) {
    const field = config.listeners.length === 0 ? 'server.port' : `listeners[${position}].port`;
    if (http.enabled && http.port !== 0 && http.port === listener.port) {
      throw fieldError('http.port', `must differ from ${field} (both are ${http.port})`);
    }
  }
  const tlsListener = listeners.findIndex((listener) => listener.securityProtocol === 'SSL' || listener.securityProtocol === 'SASL_SSL');
  if (tlsListener === -1) return;
  const which = `listeners[${tlsListener}] (${listeners[tlsListener]!.name}) uses ${listeners[tlsListener]!.securityProtocol}`;
  if (tls.cert_file === null) throw fieldError('tls.cert_file', `must be set: ${which}, which needs the broker's certificate (PEM)`);
  if (tls.key_file === null) throw fieldError('tls.key_file', `must be set: ${which}, which needs the certificate's private key (PEM)`);
  if (tls.client_auth !== 'none' && tls.ca_file === null) {
    throw fieldError('tls.ca_file', `must be set when tls.client_auth is "${tls.client_auth}": the CA certificates client certificates are checked against`);
  }
}
