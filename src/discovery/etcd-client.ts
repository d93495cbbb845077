// The few etcd v3 calls discovery needs, over etcd's JSON gateway (plain HTTP POST with JSON
// bodies; keys and values base64; 64-bit numbers as decimal strings), so no gRPC client is
// needed. Endpoints are tried in order, starting with the last one that answered; every
// request has a deadline.

/** How long one request to one endpoint may take. */
export const ETCD_REQUEST_TIMEOUT_MS = 3_000;
/** Keys one range read returns at most (a seed list is far shorter; see SEEDS_MAX). */
export const ETCD_RANGE_KEYS_MAX = 1_000;

export interface KeyValue {
  key: string;
  value: string;
}

const toBase64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const fromBase64 = (text: string): string => Buffer.from(text, 'base64').toString('utf8');

/**
 * The end of the key range holding every key that starts with `prefix`: the prefix with its
 * last byte below 0xff raised by one and the bytes after it dropped (etcd's GetPrefixRangeEnd);
 * "\0" (every key) when all bytes are 0xff.
 */
export function prefixRangeEnd(prefix: Buffer): Buffer {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i]! < 0xff) {
      const end = Buffer.from(prefix.subarray(0, i + 1));
      end[i] = prefix[i]! + 1;
      return end;
    }
  }
  return Buffer.from([0]);
}

export class EtcdClient {
  private readonly endpoints: readonly string[];
  private readonly timeoutMs: number;
  /** The index of the endpoint to try first: the last one that answered. */
  private preferred = 0;

  constructor(endpoints: readonly string[], timeoutMs = ETCD_REQUEST_TIMEOUT_MS) {
    if (endpoints.length === 0) throw new RangeError('EtcdClient: no endpoints');
    this.endpoints = endpoints;
    this.timeoutMs = timeoutMs;
  }

  /** Grants a lease of `ttlS` seconds; returns its id. */
  async grant(ttlS: number): Promise<string> {
    const reply = await this.call<{ ID?: string }>('/v3/lease/grant', { TTL: ttlS });
    if (reply.ID === undefined) throw new Error('etcd lease grant: no lease id in the answer');
    return reply.ID;
  }

  /** Renews a lease once; returns the seconds it has left, 0 when etcd no longer knows it. */
  async keepAlive(leaseId: string): Promise<number> {
    // The gateway streams keep-alive answers; one request body gives one answer, then the end.
    const reply = await this.call<{ result?: { TTL?: string } }>('/v3/lease/keepalive', { ID: leaseId });
    return Number(reply.result?.TTL ?? 0);
  }

  async put(key: string, value: string, leaseId: string): Promise<void> {
    await this.call('/v3/kv/put', { key: toBase64(key), value: toBase64(value), lease: leaseId });
  }

  /** The keys under `prefix` in key order, at most ETCD_RANGE_KEYS_MAX. */
  async rangePrefix(prefix: string): Promise<KeyValue[]> {
    const start = Buffer.from(prefix, 'utf8');
    const reply = await this.call<{ kvs?: Array<{ key?: string; value?: string }> }>('/v3/kv/range', {
      key: start.toString('base64'),
      range_end: prefixRangeEnd(start).toString('base64'),
      limit: ETCD_RANGE_KEYS_MAX,
    });
    return (reply.kvs ?? []).map((kv) => ({ key: fromBase64(kv.key ?? ''), value: fromBase64(kv.value ?? '') }));
  }

  async revoke(leaseId: string): Promise<void> {
    await this.call('/v3/lease/revoke', { ID: leaseId });
  }

  /** POSTs to each endpoint in turn until one answers; throws naming every failure. */
  private async call<T>(path: string, body: unknown): Promise<T> {
    const failures: string[] = [];
    for (let attempt = 0; attempt < this.endpoints.length; attempt++) {
      const index = (this.preferred + attempt) % this.endpoints.length;
      const endpoint = this.endpoints[index]!;
      try {
        const reply = await this.post<T>(endpoint + path, body);
        this.preferred = index;
        return reply;
      } catch (error) {
        failures.push(`${endpoint}: ${(error as Error).message}`);
      }
    }
    throw new Error(`etcd ${path}: ${failures.join('; ')}`);
  }

  private async post<T>(url: string, body: unknown): Promise<T> {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`HTTP ${response.status}, not JSON: ${text.slice(0, 200)}`);
    }
    // A failed call answers {"error": ..., "message": ..., "code": N} (a stream: {"error": {...}}).
    const error = (parsed as { error?: unknown }).error;
    if (!response.ok || error !== undefined) {
      const why = typeof error === 'string' ? error : JSON.stringify(error ?? parsed).slice(0, 200);
      throw new Error(`HTTP ${response.status}: ${why}`);
    }
    return parsed as T;
  }
}
