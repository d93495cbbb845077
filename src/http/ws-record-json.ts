// A record as a topic tail sends it: JSON text, the key, value and header values as UTF-8 when
// they are valid UTF-8 and as base64 otherwise, each with a field saying which.

import { isUtf8 } from 'node:buffer';
import type { DecodedRecord } from '../protocol/record-batch.ts';
import type { KeyFilter } from './ws-params.ts';

/** `"field":"text","fieldEncoding":"utf8"` (or base64, or null), JSON-escaped. */
function encoded(field: string, bytes: Buffer | null): string {
  if (bytes === null) return `"${field}":null,"${field}Encoding":"utf8"`;
  return isUtf8(bytes)
    ? `"${field}":${JSON.stringify(bytes.toString('utf8'))},"${field}Encoding":"utf8"`
    : `"${field}":"${bytes.toString('base64')}","${field}Encoding":"base64"`;
}

/**
 * The JSON text of one record. Built as a string rather than through an object and
 * JSON.stringify: a tail sends one per record, and this halves the broker's cost of it.
 * `prefix` is recordPrefix(topic, partition), made once per partition.
 */
export function recordJson(prefix: string, record: DecodedRecord): string {
  let headers = '';
  for (const h of record.headers) headers += `${headers === '' ? '' : ','}{"key":${JSON.stringify(h.key)},${encoded('value', h.value)}}`;
  return `${prefix}"offset":${record.offset},"timestamp":${record.timestamp},${encoded('key', record.key)},${encoded('value', record.value)},"headers":[${headers}]}`;
}

/** The start of every record message of one partition. */
export function recordPrefix(topic: string, partition: number): string {
  return `{"type":"record","topic":${JSON.stringify(topic)},"partition":${partition},`;
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
