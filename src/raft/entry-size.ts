// What an entry counts for in the byte limits of Raft messages and of the uncommitted tail.
/** Bytes an entry costs for flow control: its payload plus a fixed header estimate. */
export const ENTRY_OVERHEAD_BYTES = 24;

export function entrySize(e: { data: Uint8Array }): number {
  return e.data.length + ENTRY_OVERHEAD_BYTES;
}
