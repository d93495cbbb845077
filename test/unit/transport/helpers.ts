// Shared pieces of the transport tests: a seeded PRNG, random Raft messages, a log sink.
import { pino, type Logger } from 'pino';
import type { Entry, Member, Message, MessageType } from '../../../src/raft/types.ts';
import { SeededRng } from '../../helpers/seeded-rng.ts';

/** The shared seeded PRNG of the tests, with the extra draws these tests need. */
export class Rng extends SeededRng {
  /** Mostly small numbers, sometimes up to 2^53 - 1, to cover every varint length. */
  uint(): number {
    const r = this.next();
    if (r < 0.5) return this.int(0, 200);
    if (r < 0.8) return this.int(0, 2 ** 31);
    return Math.floor(this.next() * Number.MAX_SAFE_INTEGER);
  }
  str(): string {
    const alphabet = 'abcdefghijklmnopqrstuvwxyz-_0123456789é€😀';
    const chars = [...alphabet];
    let s = '';
    const n = this.int(0, 40);
    for (let i = 0; i < n; i++) s += chars[this.int(0, chars.length - 1)];
    return s;
  }
}

const TYPES: MessageType[] = [
  'app',
  'appResp',
  'hb',
  'hbResp',
  'vote',
  'voteResp',
  'preVote',
  'preVoteResp',
  'snap',
  'timeoutNow',
  'readIndex',
  'readIndexResp',
];

function members(rng: Rng): Member[] {
  return Array.from({ length: rng.int(0, 5) }, () => ({ id: rng.int(1, 2 ** 32 - 1), storageId: rng.str() }));
}

export function randomMessage(rng: Rng): Message {
  const entries: Entry[] = rng.chance(0.5)
    ? Array.from({ length: rng.int(1, 6) }, () => ({
        index: rng.uint(),
        term: rng.uint(),
        type: rng.chance(0.8) ? 'normal' : 'config',
        data: rng.bytes(rng.int(0, 300)),
      }))
    : [];
  return {
    type: TYPES[rng.int(0, TYPES.length - 1)]!,
    from: rng.int(1, 2 ** 32 - 1),
    to: rng.int(1, 2 ** 32 - 1),
    term: rng.uint(),
    logTerm: rng.uint(),
    index: rng.uint(),
    entries,
    commit: rng.uint(),
    reject: rng.chance(0.3),
    rejectHint: rng.uint(),
    snapshot: rng.chance(0.2)
      ? { index: rng.uint(), term: rng.uint(), confState: { voters: members(rng), learners: members(rng) }, data: rng.bytes(rng.int(0, 500)) }
      : null,
    context: rng.chance(0.3) ? rng.str() : '',
    storageId: rng.chance(0.7) ? rng.str() : '',
    toStorageId: rng.chance(0.5) ? rng.str() : '',
  };
}

export interface LogLine {
  level: string;
  msg: string;
  [k: string]: unknown;
}

/** A pino logger that keeps its lines in memory, so tests can check what was logged. */
export function memoryLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino(
    { level: 'debug', formatters: { level: (label) => ({ level: label }) } },
    { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) },
  );
  return { logger, lines };
}
