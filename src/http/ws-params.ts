// The query parameters of the WebSocket tails (docs/tailing.md), parsed before the upgrade so bad
// ones get a 400 naming the parameter instead of a socket that closes at once. Pure: no I/O.

import { LOG_LEVELS, type LogLevelName } from '../log/log-ring.ts';

/** Where a topic tail starts in each partition. */
export type TailStart = { kind: 'end' } | { kind: 'earliest' } | { kind: 'offset'; offset: number } | { kind: 'time'; timestampMs: number };

/** Which records' keys pass: every key, one exact key (UTF-8 bytes), or keys a regex matches. */
export type KeyFilter = { kind: 'any' } | { kind: 'exact'; key: Buffer } | { kind: 'regex'; regex: RegExp };

export interface TopicTailRequest {
  start: TailStart;
  /** One partition, or null for all. */
  partition: number | null;
  key: KeyFilter;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

type Query = Record<string, string | string[] | undefined>;

const TOPIC_PARAMS = new Set(['from', 'partition', 'key', 'keyRegex']);
const LOG_PARAMS = new Set(['level']);

function single(query: Query, name: string): Parsed<string | undefined> {
  const value = query[name];
  if (Array.isArray(value)) return { ok: false, message: `parameter "${name}" is given ${value.length} times; give it once` };
  return { ok: true, value };
}

function unknownParam(query: Query, known: Set<string>): string | null {
  for (const name of Object.keys(query)) {
    if (!known.has(name)) return `unknown parameter "${name}" (known: ${[...known].join(', ')})`;
  }
  return null;
}

const NON_NEGATIVE_INTEGER = /^\d{1,16}$/;

/** from=end|earliest|offset:N|time:T (T in epoch milliseconds or an ISO 8601 date). */
export function parseStart(from: string | undefined): Parsed<TailStart> {
  if (from === undefined || from === 'end') return { ok: true, value: { kind: 'end' } };
  if (from === 'earliest') return { ok: true, value: { kind: 'earliest' } };
  if (from.startsWith('offset:')) {
    const text = from.slice('offset:'.length);
    if (!NON_NEGATIVE_INTEGER.test(text) || !Number.isSafeInteger(Number(text))) {
      return { ok: false, message: `parameter "from": offset must be a non-negative integer (got "${text}")` };
    }
    return { ok: true, value: { kind: 'offset', offset: Number(text) } };
  }
  if (from.startsWith('time:')) {
    const text = from.slice('time:'.length);
    const timestampMs = NON_NEGATIVE_INTEGER.test(text) ? Number(text) : Date.parse(text);
    if (!Number.isSafeInteger(timestampMs) || timestampMs < 0) {
      return { ok: false, message: `parameter "from": time must be epoch milliseconds or an ISO 8601 date (got "${text}")` };
    }
    return { ok: true, value: { kind: 'time', timestampMs } };
  }
  return { ok: false, message: `parameter "from" must be end, earliest, offset:N or time:T (got "${from}")` };
}

/** Unbounded repeats (*, +, {n,}) a key regex may hold: each can multiply the backtracking by the key's length. */
export const KEY_REGEX_UNBOUNDED_REPEATS_MAX = 2;

/**
 * A key regex whose cost per record stays small: JavaScript's regexes backtrack, and a pattern
 * such as (a+)+$ blocks the event loop. Refused: backreferences, lookarounds, a quantified group
 * that holds a quantifier or an alternation (exponential), and more than
 * KEY_REGEX_UNBOUNDED_REPEATS_MAX unbounded repeats (.*.*.*x is polynomial of that degree). The
 * regex is tried on keys of at most limits.max_tail_key_bytes only (ws-record-json.ts), which
 * bounds what is left.
 */
export function checkSafeRegex(pattern: string): string | null {
  if (/\\[1-9]|\\k</.test(pattern)) return 'backreferences are not allowed';
  if (/\(\?<?[=!]/.test(pattern)) return 'lookarounds are not allowed';
  // The content of each group (innermost first); a group followed by a quantifier must be simple.
  const open: number[] = [];
  let unbounded = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '*' || c === '+' || (c === '{' && /^\{\d+,\}/.test(pattern.slice(i)))) unbounded++;
    if (c === '[') {
      // Skip a character class: nothing inside it groups or quantifies.
      for (i++; i < pattern.length && pattern[i] !== ']'; i++) if (pattern[i] === '\\') i++;
      continue;
    }
    if (c === '(') open.push(i);
    if (c === ')') {
      const from = open.pop();
      if (from === undefined) continue;
      const next = pattern[i + 1];
      const quantified = next === '*' || next === '+' || next === '?' || next === '{';
      const inner = pattern
        .slice(from + 1, i)
        .replace(/\\./g, '')
        .replace(/\[[^\]]*\]/g, '');
      if (quantified && /[*+{|]|[^(]\?/.test(inner)) return 'a repeated group may not contain a repetition or an alternation (it can take exponential time)';
    }
  }
  if (unbounded > KEY_REGEX_UNBOUNDED_REPEATS_MAX)
    return `at most ${KEY_REGEX_UNBOUNDED_REPEATS_MAX} unbounded repeats (*, +, {n,}) are allowed (got ${unbounded})`;
  return null;
}

function parseKey(key: string | undefined, keyRegex: string | undefined, keyBytesMax: number): Parsed<KeyFilter> {
  if (key !== undefined && keyRegex !== undefined) return { ok: false, message: 'give either "key" or "keyRegex", not both' };
  if (key !== undefined) {
    const bytes = Buffer.from(key, 'utf8');
    if (bytes.length > keyBytesMax)
      return { ok: false, message: `parameter "key" is ${bytes.length} bytes; at most ${keyBytesMax} (limits.max_tail_key_bytes)` };
    return { ok: true, value: { kind: 'exact', key: bytes } };
  }
  if (keyRegex !== undefined) {
    const bytes = Buffer.byteLength(keyRegex, 'utf8');
    if (bytes > keyBytesMax) return { ok: false, message: `parameter "keyRegex" is ${bytes} bytes; at most ${keyBytesMax} (limits.max_tail_key_bytes)` };
    const unsafe = checkSafeRegex(keyRegex);
    if (unsafe !== null) return { ok: false, message: `parameter "keyRegex": ${unsafe}` };
    try {
      return { ok: true, value: { kind: 'regex', regex: new RegExp(keyRegex, 'u') } };
    } catch (err) {
      return { ok: false, message: `parameter "keyRegex" is not a valid regular expression: ${(err as Error).message}` };
    }
  }
  return { ok: true, value: { kind: 'any' } };
}

/** The query of GET /v1/ws/topics/:topic. */
export function parseTopicTail(query: Query, keyBytesMax: number): Parsed<TopicTailRequest> {
  const unknown = unknownParam(query, TOPIC_PARAMS);
  if (unknown !== null) return { ok: false, message: unknown };
  const repeated = ['from', 'partition', 'key', 'keyRegex'].map((name) => single(query, name)).find((p) => !p.ok);
  if (repeated !== undefined) return repeated as Parsed<never>;
  const param = (name: string) => query[name] as string | undefined;
  const start = parseStart(param('from'));
  if (!start.ok) return start;
  let partition: number | null = null;
  const partitionText = param('partition');
  if (partitionText !== undefined) {
    if (!/^\d{1,9}$/.test(partitionText)) return { ok: false, message: `parameter "partition" must be a partition index, 0 or more (got "${partitionText}")` };
    partition = Number(partitionText);
  }
  const filter = parseKey(param('key'), param('keyRegex'), keyBytesMax);
  if (!filter.ok) return filter;
  return { ok: true, value: { start: start.value, partition, key: filter.value } };
}

/** The query of GET /v1/ws/logs: the lowest level shown (info by default). */
export function parseLogTail(query: Query): Parsed<{ level: number }> {
  const unknown = unknownParam(query, LOG_PARAMS);
  if (unknown !== null) return { ok: false, message: unknown };
  const level = single(query, 'level');
  if (!level.ok) return level;
  const name = level.value ?? 'info';
  if (!Object.hasOwn(LOG_LEVELS, name)) {
    return { ok: false, message: `parameter "level" must be one of ${Object.keys(LOG_LEVELS).join(', ')} (got "${name}")` };
  }
  return { ok: true, value: { level: LOG_LEVELS[name as LogLevelName] } };
}
