// Invariant checks that stay on in production: a broken invariant in consensus code
// means continuing would risk acknowledged data, so we crash instead.

export class RaftInvariantError extends Error {
  override name = 'RaftInvariantError';
}

export function invariant(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new RaftInvariantError(typeof message === 'string' ? message : message());
}

/** Bytes an entry costs for flow control: its payload plus a fixed header estimate. */
export const ENTRY_OVERHEAD_BYTES = 24;

export function entrySize(e: { data: Uint8Array }): number {
  return e.data.length + ENTRY_OVERHEAD_BYTES;
}
