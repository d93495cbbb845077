// Waiting for asynchronous work in tests: poll the condition the test needs instead of sleeping
// a fixed time, which is either too short on a loaded machine (a flaky failure) or longer than
// needed everywhere else. Bounded in count and time.

/** Polls `cond` every `stepMs`; throws naming `what` once `timeoutMs` has passed without it. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000, stepMs = 5): Promise<void> {
  for (let i = 0; i < timeoutMs / stepMs; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  if (!(await cond())) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
