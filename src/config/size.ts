// Byte sizes. Go Queue writes sizes as plain numbers of bytes; we also accept a
// string of digits (environment variables) and binary units ("128MiB", "1GiB").
// Decimal-looking units such as "MB" are refused on purpose: half of the
// world reads them as 10^6 and the other half as 2^20, and a silently wrong
// segment or retention size is worse than a clear error.

const BYTES_PER_UNIT: Record<string, number> = {
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
};

const SIZE = /^(\d+(?:\.\d+)?)\s*([A-Za-z]*)$/;

export type SizeResult = { ok: true; bytes: number } | { ok: false; reason: string };

/** Parses "1048576", "128MiB", "1.5GiB" or "512B" into a whole number of bytes. */
export function parseSize(text: string): SizeResult {
  const match = SIZE.exec(text.trim());
  if (match === null) return { ok: false, reason: 'is not a size (write a number of bytes or e.g. "128MiB")' };
  const [, amountText, unitText] = match as unknown as [string, string, string];
  const unit = unitText === '' ? 'B' : unitText;
  const perUnit = BYTES_PER_UNIT[unit];
  if (perUnit === undefined) {
    const binary = /^[kmgt]i?b$/i.test(unit) ? `${unit[0]!.toUpperCase()}iB` : null;
    return {
      ok: false,
      reason: binary
        ? `uses the ambiguous unit "${unit}" (write "${amountText}${binary}" for powers of 1024, or the number of bytes)`
        : `uses an unknown unit "${unit}" (use B, KiB, MiB, GiB or TiB)`,
    };
  }
  const bytes = Number(amountText) * perUnit;
  if (!Number.isInteger(bytes)) return { ok: false, reason: 'is not a whole number of bytes' };
  if (!Number.isSafeInteger(bytes)) return { ok: false, reason: 'is too large' };
  return { ok: true, bytes };
}
