// The queue checker (issue 10): judges a history of sends, polls and commits against a full
// read of every partition at the end. Pure: no I/O, no clock; the same history always gives
// the same report.
//
// What it reports, and the rule behind each:
// - lost: an acknowledged record (acks=all) is not in the final read. Kafka's promise: an
//   acknowledged write survives while a majority of replicas does.
// - duplicated: a record from an idempotent producer sits at two offsets (KIP-98 promises
//   exactly one). A non-idempotent producer may legitimately write a retried batch twice:
//   those are counted as `retryDuplicates` and are no anomaly.
// - mismatched: an offset holding two values (two reads of one offset disagree, or a poll
//   disagrees with the final read: a consumer saw data that was later replaced, i.e. read
//   above the commit); a record read at a different offset than its acknowledgement named;
//   a record in the log that nobody sent (phantom).
// - nonmonotonic: within one consumer session on one partition the offsets do not rise, or
//   they jump over an offset that the final read shows exists (a skip). Offsets need not be
//   contiguous (Raft control batches take offsets in cluster mode), so a skip is judged only
//   against offsets that exist. A session's first poll skips when it starts past a record at
//   or after the group's last commit that no consumer had polled yet.
// - unseen: an acknowledged record no consumer ever polled.

import type { CommitOp, FinalPartition, Op, PolledRecord, PollOp, SendOp } from './history.ts';

export type AnomalyKind = 'lost' | 'duplicate' | 'offset-two-values' | 'wrong-offset' | 'phantom' | 'nonmonotonic' | 'skip' | 'unseen';

export interface Anomaly {
  kind: AnomalyKind;
  partition: number;
  /** Where it shows (the offset concerned), when there is one. */
  offset: number | null;
  value: string | null;
  detail: string;
}

export interface QueueReport {
  /** Records the producers tried to send. */
  ops: number;
  acked: number;
  lost: number;
  duplicated: number;
  mismatched: number;
  nonmonotonic: number;
  unseen: number;
  /** Extra copies written by non-idempotent producers' retries (allowed). */
  retryDuplicates: number;
  /** Records whose send failed but that were written anyway (allowed: the outcome was unknown). */
  unackedWritten: number;
  /** Records polled by consumers, counting redeliveries. */
  polled: number;
  /** Examples, at most `examplesPerKindMax` of each kind (the counts above are complete). */
  anomalies: Anomaly[];
}

/** Examples kept per anomaly kind: enough to debug, bounded for a history of millions. */
export const EXAMPLES_PER_KIND_MAX = 20;

/** The last line a chaos run prints (issue 10 fixes its form). */
export function summaryLine(seed: number, r: QueueReport): string {
  return `chaos: seed=${seed} ops=${r.ops} acked=${r.acked} lost=${r.lost} duplicated=${r.duplicated} mismatched=${r.mismatched} nonmonotonic=${r.nonmonotonic} unseen=${r.unseen}`;
}

export function hasAnomalies(r: QueueReport): boolean {
  return r.lost + r.duplicated + r.mismatched + r.nonmonotonic + r.unseen > 0;
}

/** What one partition holds at the end: offset → value, and its offsets in order. */
interface FinalIndex {
  byOffset: Map<number, string>;
  offsets: number[];
}

class Findings {
  readonly anomalies: Anomaly[] = [];
  private readonly perKind = new Map<AnomalyKind, number>();

  add(a: Anomaly): void {
    const n = this.perKind.get(a.kind) ?? 0;
    this.perKind.set(a.kind, n + 1);
    if (n < EXAMPLES_PER_KIND_MAX) this.anomalies.push(a);
  }

  count(...kinds: AnomalyKind[]): number {
    return kinds.reduce((sum, k) => sum + (this.perKind.get(k) ?? 0), 0);
  }
}

export function checkQueue(history: readonly Op[], final: readonly FinalPartition[]): QueueReport {
  const f = new Findings();
  const sends = sendsByValue(history);
  const finals = indexFinal(final, f);
  const locations = valueLocations(final);

  let acked = 0;
  let retryDuplicates = 0;
  let unackedWritten = 0;
  for (const s of sends.values()) {
    const at = locations.get(s.value) ?? [];
    if (s.acked) acked++;
    else if (at.length > 0) unackedWritten++;
    if (s.acked && at.length === 0) {
      f.add({
        kind: 'lost',
        partition: s.partition,
        offset: s.offset,
        value: s.value,
        detail: `acknowledged at offset ${s.offset}, absent from the final read`,
      });
    }
    if (at.length > 1) {
      if (s.idempotent) {
        for (const extra of at.slice(1)) {
          f.add({ kind: 'duplicate', partition: extra.partition, offset: extra.offset, value: s.value, detail: `idempotent send also at ${describe(at)}` });
        }
      } else {
        retryDuplicates += at.length - 1;
      }
    }
    if (s.acked && s.offset !== null && at.length > 0 && !at.some((l) => l.partition === s.partition && l.offset === s.offset)) {
      f.add({
        kind: 'wrong-offset',
        partition: s.partition,
        offset: s.offset,
        value: s.value,
        detail: `acknowledged at ${s.partition}@${s.offset}, stored at ${describe(at)}`,
      });
    }
  }
  for (const [value, at] of locations) {
    if (!sends.has(value)) f.add({ kind: 'phantom', partition: at[0].partition, offset: at[0].offset, value, detail: 'in the log but never sent' });
  }

  const seen = checkPolls(history, finals, f);
  for (const s of sends.values()) {
    if (s.acked && !seen.has(s.value)) {
      f.add({ kind: 'unseen', partition: s.partition, offset: s.offset, value: s.value, detail: 'acknowledged, never polled by any consumer' });
    }
  }

  return {
    ops: sends.size,
    acked,
    lost: f.count('lost'),
    duplicated: f.count('duplicate'),
    mismatched: f.count('offset-two-values', 'wrong-offset', 'phantom'),
    nonmonotonic: f.count('nonmonotonic', 'skip'),
    unseen: f.count('unseen'),
    retryDuplicates,
    unackedWritten,
    polled: history.reduce((n, op) => n + (op.type === 'poll' ? op.records.length : 0), 0),
    anomalies: f.anomalies,
  };
}

function sendsByValue(history: readonly Op[]): Map<string, SendOp> {
  const out = new Map<string, SendOp>();
  for (const op of history) {
    if (op.type !== 'send') continue;
    // The checker recognises records by value; a workload that reuses one cannot be judged.
    if (out.has(op.value)) throw new Error(`history sends value ${JSON.stringify(op.value)} twice: values must be unique`);
    out.set(op.value, op);
  }
  return out;
}

function indexFinal(final: readonly FinalPartition[], f: Findings): Map<number, FinalIndex> {
  const out = new Map<number, FinalIndex>();
  for (const part of final) {
    const byOffset = new Map<number, string>();
    for (const r of part.records) {
      const before = byOffset.get(r.offset);
      if (before !== undefined && before !== r.value) {
        f.add({
          kind: 'offset-two-values',
          partition: part.partition,
          offset: r.offset,
          value: r.value,
          detail: `the final read holds ${JSON.stringify(before)} and ${JSON.stringify(r.value)} at one offset`,
        });
      }
      if (before === undefined) byOffset.set(r.offset, r.value);
    }
    out.set(part.partition, { byOffset, offsets: [...byOffset.keys()].sort((a, b) => a - b) });
  }
  return out;
}

interface Location {
  partition: number;
  offset: number;
}

function valueLocations(final: readonly FinalPartition[]): Map<string, Location[]> {
  const out = new Map<string, Location[]>();
  for (const part of final) {
    for (const r of part.records) {
      const list = out.get(r.value);
      const loc = { partition: part.partition, offset: r.offset };
      if (!list) out.set(r.value, [loc]);
      else if (!list.some((l) => l.partition === loc.partition && l.offset === loc.offset)) list.push(loc);
    }
  }
  return out;
}

function describe(at: Location[]): string {
  return at.map((l) => `${l.partition}@${l.offset}`).join(', ');
}

/** The first offset in `sorted` greater than `after`, or undefined. */
function firstOffsetAfter(sorted: number[], after: number): number | undefined {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= after) lo = mid + 1;
    else hi = mid;
  }
  return sorted[lo];
}

interface SessionState {
  last: number;
}

/** Checks every poll; returns the values consumers saw. */
function checkPolls(history: readonly Op[], finals: Map<number, FinalIndex>, f: Findings): Set<string> {
  const seen = new Set<string>();
  // (partition, offset) → the first value a consumer saw there, and when.
  const observed = new Map<string, { value: string; at: number }>();
  const reported = new Set<string>();
  const sessions = new Map<string, SessionState>();
  const lastCommit = new Map<number, number>();

  const reportOnce = (key: string, a: Anomaly): void => {
    if (reported.has(key)) return;
    reported.add(key);
    f.add(a);
  };

  for (const op of history) {
    if (op.type === 'commit') {
      lastCommit.set(op.partition, op.offset);
      continue;
    }
    if (op.type !== 'poll' || op.records.length === 0) continue;
    const fin = finals.get(op.partition) ?? { byOffset: new Map<number, string>(), offsets: [] };
    const sessionKey = `${op.consumer}\u0000${op.session}\u0000${op.partition}`;
    let state = sessions.get(sessionKey);
    if (!state) {
      checkSessionStart(op, fin, observed, lastCommit.get(op.partition), f);
      state = { last: op.records[0].offset - 1 };
      sessions.set(sessionKey, state);
    }
    for (const r of op.records) {
      seen.add(r.value);
      checkRecordValue(op, r, fin, observed, reportOnce);
      if (r.offset <= state.last) {
        f.add({
          kind: 'nonmonotonic',
          partition: op.partition,
          offset: r.offset,
          value: r.value,
          detail: `consumer ${op.consumer} session ${op.session} read offset ${r.offset} after ${state.last}`,
        });
      } else {
        const between = firstOffsetAfter(fin.offsets, state.last);
        if (between !== undefined && between < r.offset) {
          f.add({
            kind: 'skip',
            partition: op.partition,
            offset: between,
            value: fin.byOffset.get(between) ?? null,
            detail: `consumer ${op.consumer} session ${op.session} jumped from ${state.last} to ${r.offset} over existing offset ${between}`,
          });
        }
        state.last = r.offset;
      }
      const key = `${op.partition}:${r.offset}`;
      if (!observed.has(key)) observed.set(key, { value: r.value, at: op.at });
    }
  }
  return seen;
}

/**
 * A poll's record must match what the offset holds for everyone. (A record polled at another
 * offset than its acknowledgement named needs no check here: either the final read agrees with
 * the poll, and the send's own check reports the wrong offset or the duplicate, or it does not,
 * and this reports the offset holding two values.)
 */
function checkRecordValue(
  op: PollOp,
  r: PolledRecord,
  fin: FinalIndex,
  observed: Map<string, { value: string; at: number }>,
  reportOnce: (key: string, a: Anomaly) => void,
): void {
  const key = `${op.partition}:${r.offset}`;
  const before = observed.get(key);
  if (before && before.value !== r.value) {
    reportOnce(`two:${key}`, {
      kind: 'offset-two-values',
      partition: op.partition,
      offset: r.offset,
      value: r.value,
      detail: `polled ${JSON.stringify(before.value)} and later ${JSON.stringify(r.value)} at one offset`,
    });
  }
  const stored = fin.byOffset.get(r.offset);
  if (stored !== r.value) {
    const now = stored === undefined ? 'nothing' : JSON.stringify(stored);
    reportOnce(`two:${key}`, {
      kind: 'offset-two-values',
      partition: op.partition,
      offset: r.offset,
      value: r.value,
      detail: `consumer ${op.consumer} polled ${JSON.stringify(r.value)}, the final read has ${now} there`,
    });
  }
}

/**
 * A session starts at the group's committed offset (or the log start): starting past a record at
 * or after that commit which no consumer had polled before is a skip. Records polled earlier
 * (a consumer resuming from its own position) are not lost to the group.
 */
function checkSessionStart(
  op: PollOp,
  fin: FinalIndex,
  observed: Map<string, { value: string; at: number }>,
  committed: number | undefined,
  f: Findings,
): void {
  const first = op.records[0].offset;
  const from = committed ?? Number.NEGATIVE_INFINITY;
  for (const o of fin.offsets) {
    if (o >= first) break;
    if (o < from) continue;
    // `observed` holds only polls earlier in the history: they are checked in order.
    if (!observed.has(`${op.partition}:${o}`)) {
      f.add({
        kind: 'skip',
        partition: op.partition,
        offset: o,
        value: fin.byOffset.get(o) ?? null,
        detail: `consumer ${op.consumer} session ${op.session} started at ${first}, past unread offset ${o} (last commit ${committed ?? 'none'})`,
      });
      return;
    }
  }
}

export type { CommitOp, FinalPartition, Op, PollOp, SendOp };
