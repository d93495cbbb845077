// Latency histogram for the benchmarks and `runnel bench`: Node's own HDR histogram (perf_hooks.createHistogram, three
// significant figures, so any percentile is within 0.1% of the true value at a fixed memory cost),
// with the record-count, merge and summary helpers the benchmarks use.
//
// Values are recorded in microseconds, rounded up to a whole microsecond (at least 1: the HDR
// histogram's lowest value). The exact min, max and mean are kept beside it.

import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

export class Histogram {
  private readonly hdr: RecordableHistogram = createHistogram();
  private n = 0;
  private sum = 0;
  private minV = Infinity;
  private maxV = 0;

  /** Records `count` samples of `us` microseconds (count lets one batch latency stand for its records). */
  record(us: number, count = 1): void {
    if (!(us >= 0) || count <= 0) return;
    const whole = Math.max(1, Math.ceil(us));
    for (let k = 0; k < count; k++) this.hdr.record(whole);
    this.n += count;
    this.sum += us * count;
    if (us < this.minV) this.minV = us;
    if (us > this.maxV) this.maxV = us;
  }

  get count(): number {
    return this.n;
  }

  get mean(): number {
    return this.n === 0 ? 0 : this.sum / this.n;
  }

  get max(): number {
    return this.maxV;
  }

  get min(): number {
    return this.n === 0 ? 0 : this.minV;
  }

  /** p in [0, 100]. Returns microseconds, capped at the true maximum. */
  percentile(p: number): number {
    if (this.n === 0) return 0;
    // The HDR histogram takes 0 < p <= 100; p 0 asks for the smallest value.
    return Math.min(this.hdr.percentile(Math.min(100, Math.max(p, Number.MIN_VALUE))), this.maxV);
  }

  merge(other: Histogram): void {
    this.hdr.add(other.hdr);
    this.n += other.n;
    this.sum += other.sum;
    this.minV = Math.min(this.minV, other.minV);
    this.maxV = Math.max(this.maxV, other.maxV);
  }

  /** A one-line summary in milliseconds, e.g. "p50 0.41 ms  p99 1.90 ms  p99.9 3.02 ms  max 4.10 ms". */
  summary(): string {
    const ms = (us: number) => (us / 1000).toFixed(2);
    return (
      `p50 ${ms(this.percentile(50))} ms  p99 ${ms(this.percentile(99))} ms  ` + `p99.9 ${ms(this.percentile(99.9))} ms  max ${ms(this.max)} ms  (n=${this.n})`
    );
  }
}
