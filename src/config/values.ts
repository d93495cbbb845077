// Readers for the field types that JSON schema alone cannot express: ports
// that may be strings, Go durations, sizes with units, addresses and Go
// Queue's member lists. The ajv keywords (schema.ts) and the normaliser
// (normalise.ts) both use these, so what validates is exactly what converts.
import { isIP } from 'node:net';
import { parseGoDuration } from './duration.ts';
import { showValue } from './errors.ts';
import { parseSize } from './size.ts';
import type { ClusterMember } from './types.ts';

export type Read<T> = { ok: true; value: T } | { ok: false; problem: string };

const PORT_MAX = 65_535;

export function readPort(value: unknown): Read<number> {
  const port = typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : value;
  if (typeof port === 'number' && Number.isInteger(port) && port >= 0 && port <= PORT_MAX) return { ok: true, value: port };
  return { ok: false, problem: `must be an integer 0..${PORT_MAX} (got ${showValue(value)})` };
}

export interface DurationRule {
  min: number;
  /** -1 means "forever" (retention). */
  forever?: boolean;
}

export function readDuration(value: unknown, rule: DurationRule): Read<number> {
  const lowest = rule.forever ? `at least ${rule.min} ms, or -1 for forever` : `at least ${rule.min} ms`;
  let ms: number;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      return { ok: false, problem: `must be a whole number of milliseconds (got ${showValue(value)})` };
    }
    ms = value;
    if (rule.forever && ms === -1) return { ok: true, value: -1 };
  } else if (typeof value === 'string') {
    const parsed = parseGoDuration(value);
    if (!parsed.ok) {
      return {
        ok: false,
        problem: `must be a Go duration such as "168h", "1h30m" or "500ms", or a number of milliseconds: ${showValue(value)} ${parsed.reason}`,
      };
    }
    ms = parsed.ms;
  } else {
    return {
      ok: false,
      problem: `must be a duration: a number of milliseconds or a Go duration string such as "168h" (got ${showValue(value)})`,
    };
  }
  if (ms < rule.min) return { ok: false, problem: `must be ${lowest} (got ${showValue(value)})` };
  return { ok: true, value: ms };
}

export interface SizeRule {
  min: number;
  /** -1 means "no limit" (retention_bytes). */
  unlimited?: boolean;
}

export function readSize(value: unknown, rule: SizeRule): Read<number> {
  const lowest = rule.unlimited ? `at least ${rule.min} bytes, or -1 for no limit` : `at least ${rule.min} bytes`;
  let bytes: number;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) return { ok: false, problem: `must be a whole number of bytes (got ${showValue(value)})` };
    bytes = value;
    if (rule.unlimited && bytes === -1) return { ok: true, value: -1 };
  } else if (typeof value === 'string') {
    const parsed = parseSize(value);
    if (!parsed.ok) return { ok: false, problem: `must be a number of bytes or a size such as "128MiB": ${showValue(value)} ${parsed.reason}` };
    bytes = parsed.bytes;
  } else {
    return { ok: false, problem: `must be a size: a number of bytes or a string such as "128MiB" (got ${showValue(value)})` };
  }
  if (bytes < rule.min) return { ok: false, problem: `must be ${lowest} (got ${showValue(value)})` };
  return { ok: true, value: bytes };
}

// host:port, where host is a name, an IPv4 address or a bracketed IPv6 address.
const ADDRESS = /^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]@]+):(\d{1,5})$/;

export function readAddress(value: unknown): Read<string> {
  if (typeof value === 'string') {
    const match = ADDRESS.exec(value);
    const port = match === null ? NaN : Number(match[2]);
    if (port >= 1 && port <= PORT_MAX) return { ok: true, value };
  }
  return { ok: false, problem: `must be an address "host:port" with a port 1..${PORT_MAX} (got ${showValue(value)})` };
}

const NODE_ID_MAX = 2_147_483_647;
const MEMBER_FORMS = `"host:port" (node id = position + 1, as in Go Queue), "node_id@host:port" or {"node_id": N, "address": "host:port"}`;

/**
 * One entry of cluster.initial_members. Go Queue writes plain "host:port"
 * strings and dragonboat numbers them from 1 in list order, so `position`
 * (0-based) supplies the id for that form.
 */
export function readMember(value: unknown, position: number): Read<ClusterMember> {
  let nodeId: unknown;
  let address: unknown;
  if (typeof value === 'string') {
    const at = value.indexOf('@');
    if (at === -1) {
      nodeId = position + 1;
      address = value;
    } else {
      const idText = value.slice(0, at);
      nodeId = /^\d{1,10}$/.test(idText) ? Number(idText) : idText;
      address = value.slice(at + 1);
    }
  } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const entry = value as Record<string, unknown>;
    const extra = Object.keys(entry).filter((key) => key !== 'node_id' && key !== 'address');
    if (extra.length > 0) return { ok: false, problem: `has unknown key "${extra[0]}"; use ${MEMBER_FORMS}` };
    nodeId = entry.node_id;
    address = entry.address;
  } else {
    return { ok: false, problem: `must be ${MEMBER_FORMS} (got ${showValue(value)})` };
  }
  if (typeof nodeId !== 'number' || !Number.isInteger(nodeId) || nodeId < 1 || nodeId > NODE_ID_MAX) {
    return { ok: false, problem: `has node id ${showValue(nodeId)}; a node id must be an integer 1..${NODE_ID_MAX}` };
  }
  const readAddr = readAddress(address);
  if (!readAddr.ok) return readAddr;
  return { ok: true, value: { node_id: nodeId, address: readAddr.value } };
}

/** An etcd client URL: "http://host:port" or "https://host:port", with no path, query or credentials. */
export function readUrl(value: unknown): Read<string> {
  const problem = `must be a URL "http://host:port" or "https://host:port" (got ${showValue(value)})`;
  if (typeof value !== 'string') return { ok: false, problem };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, problem };
  }
  const plain = url.pathname === '/' && url.search === '' && url.hash === '' && url.username === '' && url.password === '';
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '' || !plain) return { ok: false, problem };
  return { ok: true, value: value.replace(/\/+$/, '') };
}

/**
 * A DNS server as node:dns takes it: an IP address, with an optional port ("10.0.0.10",
 * "127.0.0.1:5353", "::1", "[::1]:5353"). A name is refused: it would need a resolver itself.
 */
export function readDnsServer(value: unknown): Read<string> {
  const problem = `must be an IP address with an optional port, such as "10.0.0.10", "127.0.0.1:5353" or "[::1]:53" (got ${showValue(value)})`;
  if (typeof value !== 'string') return { ok: false, problem };
  if (isIP(value) !== 0) return { ok: true, value };
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(value);
  if (match === null) return { ok: false, problem };
  const host = match[1] ?? match[2]!;
  const port = Number(match[3]);
  if (isIP(host) === 0 || port < 1 || port > PORT_MAX) return { ok: false, problem };
  return { ok: true, value };
}

/** A Kafka principal, `Type:name` ("User:admin"), as ACLs and super_users name them. */
export function readPrincipal(value: unknown): Read<string> {
  if (typeof value === 'string' && /^[^:\s]+:\S.*$/.test(value)) return { ok: true, value };
  return { ok: false, problem: `must be a principal such as "User:admin" (got ${showValue(value)})` };
}

/** One entry of a list field, by the list's item kind. */
export function readListItem(item: 'url' | 'dns-server' | 'principal', value: unknown): Read<string> {
  if (item === 'principal') return readPrincipal(value);
  return item === 'url' ? readUrl(value) : readDnsServer(value);
}
