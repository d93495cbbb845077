// Go duration strings ("168h", "1h30m", "500ms", "1.5s"), as Go's
// time.ParseDuration reads them, converted to whole milliseconds. Go Queue
// writes retention_time and its other intervals this way, so its files must
// keep working. The arithmetic is done in BigInt nanoseconds so that "1.1s"
// is exactly 1100 ms and not 1100.0000000000002.

const NANOS_PER_UNIT: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 MICRO SIGN, accepted by Go.
  μs: 1_000n, // U+03BC GREEK SMALL LETTER MU, accepted by Go.
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const NANOS_PER_MILLI = 1_000_000n;
// Go's time.Duration is an int64 of nanoseconds; anything beyond is an overflow there.
const MAX_GO_DURATION_NANOS = (1n << 63n) - 1n;
// A component is digits with an optional fraction, then a unit.
const COMPONENT = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/;
// A Go duration string has at most a handful of components; this bounds the loop
// even on hostile input (each iteration consumes at least two characters).
const MAX_COMPONENTS = 64;

export type DurationResult = { ok: true; ms: number } | { ok: false; reason: string };

/** Parses a Go duration string into whole milliseconds. */
export function parseGoDuration(text: string): DurationResult {
  let rest = text;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  // Go accepts a bare "0" (and "-0", "+0") without a unit, and nothing else unitless.
  if (rest === '0') return { ok: true, ms: 0 };
  if (rest === '') return { ok: false, reason: 'is empty' };

  let totalNanos = 0n;
  for (let components = 0; rest.length > 0; components++) {
    if (components >= MAX_COMPONENTS) return { ok: false, reason: 'has too many components' };
    const match = COMPONENT.exec(rest);
    if (match === null) return { ok: false, reason: explainBadComponent(rest) };
    const [whole, intDigits, fracDigits = '', unit] = match as unknown as [string, string, string | undefined, string];
    if (intDigits === '' && fracDigits === '') return { ok: false, reason: `has a unit without a number at "${rest}"` };
    const unitNanos = NANOS_PER_UNIT[unit]!;
    let nanos = BigInt(intDigits === '' ? '0' : intDigits) * unitNanos;
    if (fracDigits !== '') {
      const scale = 10n ** BigInt(fracDigits.length);
      // Go truncates fractions below a nanosecond; so do we.
      nanos += (BigInt(fracDigits) * unitNanos) / scale;
    }
    totalNanos += nanos;
    if (totalNanos > MAX_GO_DURATION_NANOS) return { ok: false, reason: 'is out of range (more than about 292 years)' };
    rest = rest.slice(whole.length);
  }

  if (totalNanos % NANOS_PER_MILLI !== 0n) {
    return { ok: false, reason: 'is not a whole number of milliseconds' };
  }
  const ms = Number(totalNanos / NANOS_PER_MILLI);
  return { ok: true, ms: negative && ms !== 0 ? -ms : ms };
}

/** Why the text at the start of `rest` is not a duration component. */
function explainBadComponent(rest: string): string {
  const numberThenUnit = /^(\d*(?:\.\d*)?)([^\d.]*)/.exec(rest)!;
  const [, number, unit] = numberThenUnit as unknown as [string, string, string];
  if (number === '') return `has stray text at "${rest}"`;
  if (unit === '') return `is missing a unit after "${number}" (use ns, us, ms, s, m or h)`;
  return `has an unknown unit "${unit}" (use ns, us, ms, s, m or h; there is no "d")`;
}

/** Formats milliseconds as the shortest Go duration string ("168h", "1h30m", "500ms"). */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  const parts: string[] = [];
  const units: Array<[string, number]> = [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
    ['ms', 1],
  ];
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count}${unit}`);
    rest -= count * size;
  }
  return sign + parts.join('');
}
