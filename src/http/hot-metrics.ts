// The metrics the data path updates on every request (Kafka request latency, records in and
// out per topic), kept in plain Maps and written in the Prometheus text format at scrape time.
// prom-client builds and sorts a label key string on every update (about 0.2-0.4 µs each, four
// per Produce request: bench/metrics.ts); a Map lookup and an addition cost a tenth of that.
// Everything else goes through prom-client (metrics.ts).

/** A label value in the text format: backslash, double quote and newline escaped. */
function labelValue(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

function header(name: string, help: string, type: string): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
}

/** A counter with one label, e.g. records in per topic. */
export class CounterFamily {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly label: string,
  ) {}

  inc(key: string, by: number): void {
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  remove(key: string): void {
    this.values.delete(key);
  }

  keys(): IterableIterator<string> {
    return this.values.keys();
  }

  render(): string {
    let out = header(this.name, this.help, 'counter');
    for (const [key, value] of this.values) out += `${this.name}{${this.label}="${labelValue(key)}"} ${value}\n`;
    return out;
  }
}

interface HistogramValues {
  /** Observations per bucket (not cumulative); the last one is +Inf. */
  counts: number[];
  sum: number;
  count: number;
}

/** A histogram with one label, e.g. request latency per Kafka API. */
export class HistogramFamily {
  private readonly values = new Map<string, HistogramValues>();
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly label: string,
    /** Upper bounds, ascending. */
    private readonly bounds: readonly number[],
  ) {}

  observe(key: string, value: number): void {
    let v = this.values.get(key);
    if (!v) {
      v = { counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0 };
      this.values.set(key, v);
    }
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]) i++;
    v.counts[i]++;
    v.sum += value;
    v.count++;
  }

  render(): string {
    let out = header(this.name, this.help, 'histogram');
    for (const [key, v] of this.values) {
      const l = `${this.label}="${labelValue(key)}"`;
      let cumulative = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        cumulative += v.counts[i];
        out += `${this.name}_bucket{${l},le="${i < this.bounds.length ? this.bounds[i] : '+Inf'}"} ${cumulative}\n`;
      }
      out += `${this.name}_sum{${l}} ${v.sum}\n${this.name}_count{${l}} ${v.count}\n`;
    }
    return out;
  }
}
