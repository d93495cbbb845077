// Runs independent slow steps of a test (processes to start, commands to run) side by side, a
// bounded number at a time: a test that waits for a dozen process starts one after another
// spends most of its time idle.

/**
 * Calls `fn` on every item, at most `limit` calls running at once. After a call fails no new
 * call starts; the running ones are awaited (so no process a call started is left behind) and
 * the first failure is thrown.
 */
export async function forEachConcurrently<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  if (!(Number.isInteger(limit) && limit >= 1)) throw new Error(`forEachConcurrently: limit must be an integer >= 1 (got ${limit})`);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
}
