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
    const a = this.a;
    a.push(f);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }

  pop(): Flight<T> | undefined {
    const a = this.a;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l], a[m])) m = l;
        if (r < a.length && less(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
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
