// A binary min-heap of in-flight messages ordered by (delivery step, sequence number),
// so that equal delivery times keep send order and a run is exactly reproducible.

export interface Flight<T> {
  at: number;
  seq: number;
  item: T;
}

export class FlightHeap<T> {
  private readonly a: Flight<T>[] = [];

  get size(): number {
    return this.a.length;
  }

  peekAt(): number {
    return this.a.length > 0 ? this.a[0].at : Number.POSITIVE_INFINITY;
  }

  push(f: Flight<T>): void {
    // Sift up with a hole (no swaps: this runs for every message of a run).
    const a = this.a;
    let i = a.length;
    a.push(f);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(f, a[p])) break;
      a[i] = a[p];
      i = p;
    }
    a[i] = f;
  }

  pop(): Flight<T> | undefined {
    const a = this.a;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    const n = a.length;
    if (n > 0) {
      // Sift `last` down from the root with a hole.
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const m = r < n && less(a[r], a[l]) ? r : l;
        if (!less(a[m], last)) break;
        a[i] = a[m];
        i = m;
      }
      a[i] = last;
    }
    return top;
  }

  clear(): void {
    this.a.length = 0;
  }
}

function less<T>(x: Flight<T>, y: Flight<T>): boolean {
  return x.at < y.at || (x.at === y.at && x.seq < y.seq);
}
