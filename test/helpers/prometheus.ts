// A small parser of the Prometheus text exposition format (version 0.0.4), for tests that scrape
// GET /metrics: `# HELP` and `# TYPE` lines, and samples `name{label="value",...} value`.
// It refuses what a Prometheus server would refuse (a sample line it cannot read, a bad label
// escape, a TYPE given twice), so a test fails on a malformed exposition instead of skipping it.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  /** Metric family name -> its TYPE (counter, gauge, histogram, summary, untyped). */
  types: Map<string, string>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

function parseValue(text: string, line: string): number {
  // As Go's ParseFloat, which Prometheus uses: the special values in any case (prom-client writes "Nan").
  const special = text.toLowerCase();
  if (special === '+inf' || special === 'inf') return Number.POSITIVE_INFINITY;
  if (special === '-inf') return Number.NEGATIVE_INFINITY;
  if (special === 'nan') return Number.NaN;
  const v = Number(text);
  if (text === '' || Number.isNaN(v)) throw new Error(`bad sample value "${text}" in: ${line}`);
  return v;
}

function parseLabels(text: string, line: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let pos = 1; // after '{'
  for (;;) {
    if (text[pos] === '}') return { labels, rest: text.slice(pos + 1) };
    const name = NAME.exec(text.slice(pos))?.[0];
    if (!name || text[pos + name.length] !== '=' || text[pos + name.length + 1] !== '"') throw new Error(`bad label in: ${line}`);
    pos += name.length + 2;
    let value = '';
    while (text[pos] !== '"') {
      if (pos >= text.length) throw new Error(`unterminated label value in: ${line}`);
      if (text[pos] === '\\') {
        const next = text[pos + 1];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`bad escape \\${next} in: ${line}`);
        pos += 2;
      } else value += text[pos++];
    }
    labels[name] = value;
    pos++;
    if (text[pos] === ',') pos++;
  }
}

export function parsePrometheus(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
      if (m) {
        if (types.has(m[1])) throw new Error(`TYPE of ${m[1]} given twice`);
        types.set(m[1], m[2]);
      }
      continue;
    }
    const name = NAME.exec(line)?.[0];
    if (!name) throw new Error(`bad sample line: ${line}`);
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest, line));
    const parts = rest.trim().split(/\s+/);
    if (parts.length < 1 || parts.length > 2) throw new Error(`bad sample line: ${line}`);
    samples.push({ name, labels, value: parseValue(parts[0], line) });
  }
  return { samples, types };
}

/** The sum of the samples named `name` whose labels include `labels` (0 when there is none). */
export function sampleSum(exposition: Exposition, name: string, labels: Record<string, string> = {}): number {
  return exposition.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
}

/** Whether a sample named `name` with `labels` exists. */
export function hasSample(exposition: Exposition, name: string, labels: Record<string, string> = {}): boolean {
  return exposition.samples.some((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}
