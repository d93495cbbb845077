// The one assertion helper of every layer. Invariant checks stay on in production: a broken
// invariant means the code's own picture of its state is wrong, and continuing could lose or
// corrupt acknowledged data, so the process stops with the rule that broke instead.

export class InvariantError extends Error {
  override name = 'InvariantError';
}

/**
 * Throws InvariantError("invariant broken: <message>") when `condition` is falsy. Give the
 * message as a function where building it costs something on a hot path: it runs only then.
 */
export function invariant(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new InvariantError(`invariant broken: ${typeof message === 'string' ? message : message()}`);
}
