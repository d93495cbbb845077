// A small log-bucket latency histogram (in the spirit of HdrHistogram, much simpler).
//
// Values are recorded in microseconds. Buckets grow geometrically by 2^(1/16), so any
// reported percentile is within about 4.4% of the true value, with a fixed memory cost
// whatever the number of samples. Recording is O(1), so the benchmark can record every
// single record's latency without the histogram becoming the bottleneck.

const SUB_BUCKETS = 16;
const MAX_EXP = 40; // 2^40 µs ≈ 12.7 days: more than any latency we will see.

export class Histogram {
  private readonly counts = new Float64Array(MAX_EXP * SUB_BUCKETS + 1);
  private n = 0;
  private sum = 0;
  private minV = Infinity;
  private maxV = 0;

  private static bucketOf(us: number): number {
    if (us < 1) return 0;
    const b = Math.floor(Math.log2(us) * SUB_BUCKETS) + 1;
    return b >= MAX_EXP * SUB_BUCKETS ? MAX_EXP * SUB_BUCKETS : b;
  }

  /** Upper edge of a bucket, so percentiles err on the pessimistic side. */
  private static upperOf(bucket: number): number {
    return bucket === 0 ? 1 : Math.pow(2, bucket / SUB_BUCKETS);
  }

  /** Records `count` samples of `us` microseconds (count lets one batch latency stand for its records). */
  record(us: number, count = 1): void {
    if (!(us >= 0) || count <= 0) return;
    this.counts[Histogram.bucketOf(us)] += count;
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
    const target = Math.max(1, Math.ceil((p / 100) * this.n));
    let seen = 0;
    for (let b = 0; b < this.counts.length; b++) {
      seen += this.counts[b];
      if (seen >= target) return Math.min(Histogram.upperOf(b), this.maxV);
    }
    return this.maxV;
  }

  merge(other: Histogram): void {
    for (let b = 0; b < this.counts.length; b++) this.counts[b] += other.counts[b];
    this.n += other.n;
    this.sum += other.sum;
    this.minV = Math.min(this.minV, other.minV);
    this.maxV = Math.max(this.maxV, other.maxV);
  }

  /** A one-line summary in milliseconds, e.g. "p50 0.41 ms  p99 1.90 ms  p99.9 3.02 ms  max 4.10 ms". */
  summary(): string {
    const ms = (us: number) => (us / 1000).toFixed(2);
    return (
      `p50 ${ms(this.percentile(50))} ms  p99 ${ms(this.percentile(99))} ms  ` +
      `p99.9 ${ms(this.percentile(99.9))} ms  max ${ms(this.max)} ms  (n=${this.n})`
    );
  }
}
