// A record as a topic tail sends it: JSON text, the key, value and header values as UTF-8 when
// they are valid UTF-8 and as base64 otherwise, each with a field saying which.

import { isUtf8 } from 'node:buffer';
import type { DecodedRecord } from '../protocol/record-batch.ts';
import type { KeyFilter } from './ws-params.ts';

export type Encoding = 'utf8' | 'base64';

function encode(bytes: Buffer | null): { text: string | null; encoding: Encoding } {
  if (bytes === null) return { text: null, encoding: 'utf8' };
  return isUtf8(bytes) ? { text: bytes.toString('utf8'), encoding: 'utf8' } : { text: bytes.toString('base64'), encoding: 'base64' };
}

export function recordJson(topic: string, partition: number, record: DecodedRecord): string {
  const key = encode(record.key);
  const value = encode(record.value);
  return JSON.stringify({
    type: 'record',
    topic,
    partition,
    offset: record.offset,
    timestamp: record.timestamp,
    key: key.text,
    keyEncoding: key.encoding,
    value: value.text,
    valueEncoding: value.encoding,
    headers: record.headers.map((h) => {
      const v = encode(h.value);
      return { key: h.key, value: v.text, valueEncoding: v.encoding };
    }),
  });
}

/**
 * Whether a record's key passes the filter; a record without a key passes only 'any'. A regex is
 * tried on keys of at most `regexKeyBytesMax` (limits.max_tail_key_bytes): a longer key never
 * matches one, which bounds what backtracking can cost per record (ws-params.ts, checkSafeRegex).
 */
export function keyMatches(filter: KeyFilter, key: Buffer | null, regexKeyBytesMax: number): boolean {
  if (filter.kind === 'any') return true;
  if (key === null) return false;
  if (filter.kind === 'exact') return key.equals(filter.key);
  return key.length <= regexKeyBytesMax && filter.regex.test(key.toString('utf8'));
}
