// What `runnel bench` measures while it runs and reports at the end: records and bytes done,
// records in flight, the latency histogram, wall time and this process's CPU time. The live
// progress line (once a second) and the summary (a table, or JSON) are formatted here, from
// numbers only, so the runs in bench-run.ts stay about sending and receiving.

import { performance } from 'node:perf_hooks';
import { Histogram } from '../../client/histogram.ts';
import { table } from '../table.ts';

export type BenchMode = 'produce' | 'consume' | 'e2e';

/** An e2e value starts with the run id (8 bytes) and the send time (float64 ms, performance.now). */
export const E2E_HEADER_BYTES = 16;
/** Why a run ended: the record count was reached, --time-s passed, or nothing arrived for a while. */
export type StopReason = 'records' | 'time' | 'idle';

const MB = 1_000_000;

export class BenchMeter {
  records = 0;
  bytes = 0;
  readonly latency = new Histogram();
  private readonly startMs = performance.now();
  private readonly cpuStart = process.cpuUsage();
  private lastMs = this.startMs;
  private lastRecords = 0;
  private lastBytes = 0;

  /** Counts one record of `bytes` done, and its latency when the mode measures one. */
  done(bytes: number, latencyMs?: number): void {
    this.records++;
    this.bytes += bytes;
    if (latencyMs !== undefined) this.latency.record(latencyMs * 1000);
  }

  /** The progress line since the last call: records/s, MB/s, records in flight, totals. */
  progressLine(mode: BenchMode, inFlight: number): string {
    const now = performance.now();
    const s = Math.max(1e-3, (now - this.lastMs) / 1000);
    const line =
      `bench ${mode}: ${fmt(Math.round((this.records - this.lastRecords) / s))} records/s  ` +
      `${((this.bytes - this.lastBytes) / MB / s).toFixed(2)} MB/s  in flight ${fmt(inFlight)}  ` +
      `total ${fmt(this.records)} records  ${((now - this.startMs) / 1000).toFixed(0)} s`;
    this.lastMs = now;
    this.lastRecords = this.records;
    this.lastBytes = this.bytes;
    return line;
  }

  summary(mode: BenchMode, stoppedBy: StopReason, settings: Record<string, string | number>): BenchSummary {
    const seconds = (performance.now() - this.startMs) / 1000;
    const cpu = process.cpuUsage(this.cpuStart);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const ms = (us: number) => Math.round(us) / 1000;
    const h = this.latency;
    return {
      mode,
      ...settings,
      records: this.records,
      mb: this.bytes / MB,
      seconds,
      recordsPerS: this.records / seconds,
      mbPerS: this.bytes / MB / seconds,
      cpuSeconds,
      cpuSecondsPerMillionRecords: this.records === 0 ? null : (cpuSeconds / this.records) * 1e6,
      stoppedBy,
      latencyMs:
        h.count === 0
          ? null
          : { count: h.count, p50: ms(h.percentile(50)), p90: ms(h.percentile(90)), p99: ms(h.percentile(99)), p99_9: ms(h.percentile(99.9)), max: ms(h.max) },
    };
  }
}

export interface BenchSummary {
  mode: BenchMode;
  records: number;
  /** Value bytes, in millions of bytes. */
  mb: number;
  seconds: number;
  recordsPerS: number;
  mbPerS: number;
  cpuSeconds: number;
  cpuSecondsPerMillionRecords: number | null;
  stoppedBy: StopReason;
  latencyMs: { count: number; p50: number; p90: number; p99: number; p99_9: number; max: number } | null;
  [setting: string]: unknown;
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

const LATENCY_OF: Record<BenchMode, string> = { produce: 'send → acknowledgement', consume: '', e2e: 'send → receive' };

/** The summary for people: totals, rates, CPU per million records and the latency table. */
export function formatSummary(s: BenchSummary): string {
  const stopped = { records: 'the record count was reached', time: '--time-s passed', idle: 'no record arrived for a while' }[s.stoppedBy];
  const lines = [
    `bench ${s.mode}: ${fmt(s.records)} records, ${s.mb.toFixed(2)} MB in ${s.seconds.toFixed(2)} s (stopped: ${stopped})`,
    `  ${fmt(Math.round(s.recordsPerS))} records/s  ${s.mbPerS.toFixed(2)} MB/s  ` +
      `CPU ${s.cpuSeconds.toFixed(2)} s (${s.cpuSecondsPerMillionRecords === null ? '-' : s.cpuSecondsPerMillionRecords.toFixed(2)} s per million records)`,
  ];
  if (s.latencyMs) {
    const l = s.latencyMs;
    lines.push(
      '',
      `latency, ${LATENCY_OF[s.mode]} (ms, ${fmt(l.count)} records):`,
      table(['p50', 'p90', 'p99', 'p99.9', 'max'], [[l.p50, l.p90, l.p99, l.p99_9, l.max].map((v) => v.toFixed(3))]),
    );
  }
  return `${lines.join('\n')}\n`;
}
