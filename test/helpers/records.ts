// Deterministic test records: record i of a stream is a pure function of (stream, i), so
// a test can check a million records read back without keeping a million expectations.

import type { RecordInput, DecodedRecord } from '../../bench/lib/record-batch.ts';

export interface RecordSpec {
  stream: string;
  /** Timestamp of record 0; record i gets base + floor(i / 7) so timestamps repeat and rise. */
  baseTimestamp: number;
}

/** Records first .. first + count - 1 of a stream, acknowledged at baseOffset .. baseOffset + count - 1. */
export interface AckedRange {
  first: number;
  count: number;
  baseOffset: number;
}

export function expectedRecord(spec: RecordSpec, i: number): Required<RecordInput> {
  return {
    key: Buffer.from(`${spec.stream}-key-${i}`),
    value: Buffer.from(`${spec.stream}-value-${i}-${'x'.repeat(i % 13)}`),
    headers: [
      { key: 'seq', value: Buffer.from(String(i)) },
      { key: 'mod', value: i % 5 === 0 ? null : Buffer.from(String(i % 5)) },
    ],
    timestamp: spec.baseTimestamp + Math.floor(i / 7),
  };
}

/** Returns a description of the first difference, or null when the record is record i of the stream. */
export function diffRecord(spec: RecordSpec, i: number, got: DecodedRecord): string | null {
  const want = expectedRecord(spec, i);
  const show = (b: Buffer | null) => (b === null ? 'null' : JSON.stringify(b.toString()));
  if (!bufEq(got.key, want.key)) return `record ${i}: key ${show(got.key)} != ${show(want.key)}`;
  if (!bufEq(got.value, want.value)) return `record ${i}: value ${show(got.value)} != ${show(want.value)}`;
  if (got.timestamp !== want.timestamp) return `record ${i}: timestamp ${got.timestamp} != ${want.timestamp}`;
  if (got.headers.length !== want.headers.length) return `record ${i}: ${got.headers.length} headers != ${want.headers.length}`;
  for (let h = 0; h < want.headers.length; h++) {
    const g = got.headers[h];
    const w = want.headers[h];
    if (g.key !== w.key || !bufEq(g.value, w.value)) {
      return `record ${i}: header ${h} ${g.key}=${show(g.value)} != ${w.key}=${show(w.value)}`;
    }
  }
  return null;
}

function bufEq(a: Buffer | null, b: Buffer | null): boolean {
  if (a === null || b === null) return a === b;
  return a.equals(b);
}
