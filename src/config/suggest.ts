// "Did you mean ...?" for unknown configuration keys.

// Keys are short; this bounds the quadratic distance computation on hostile input.
const KEY_CHARS_MAX = 64;

/** Optimal-string-alignment distance: Levenshtein where a swap of two neighbours costs 1. */
export function editDistance(a: string, b: string): number {
  const x = a.slice(0, KEY_CHARS_MAX);
  const y = b.slice(0, KEY_CHARS_MAX);
  const rows = x.length + 1;
  const cols = y.length + 1;
  const d: number[][] = Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
  for (let i = 0; i < rows; i++) d[i]![0] = i;
  for (let j = 0; j < cols; j++) d[0]![j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[rows - 1]![cols - 1]!;
}

/** How far a typo may be from the intended key and still be suggested. */
function closeEnough(key: string, distance: number): boolean {
  return distance <= Math.max(1, Math.floor(key.length / 3));
}

/**
 * The best guess for an unknown key: first a near sibling at the same level,
 * then the same name (or a near one) at another level, e.g. top-level "port"
 * -> "server.port". `siblings` are the keys allowed in the object at
 * `parentPath` where the unknown key was found, `allPaths` every known dotted
 * path. The answer is a full dotted path.
 */
export function suggestKey(unknown: string, parentPath: string, siblings: readonly string[], allPaths: readonly string[]): string | undefined {
  const lower = unknown.toLowerCase();
  let best: { key: string; distance: number } | undefined;
  for (const sibling of siblings) {
    const distance = editDistance(lower, sibling);
    if (closeEnough(sibling, distance) && (best === undefined || distance < best.distance)) best = { key: sibling, distance };
  }
  if (best !== undefined) return parentPath === '' ? best.key : `${parentPath}.${best.key}`;

  let elsewhere: { path: string; distance: number } | undefined;
  for (const path of allPaths) {
    const leaf = path.slice(path.lastIndexOf('.') + 1);
    const distance = editDistance(lower, leaf);
    if (closeEnough(leaf, distance) && (elsewhere === undefined || distance < elsewhere.distance)) elsewhere = { path, distance };
  }
  return elsewhere?.path;
}

/**
 * The nearest known dotted path to an unknown one: the first segment that is not known is
 * replaced by its best guess (suggestKey), and the rest is kept when that makes a known path
 * ("servr.port" -> "server.port"); otherwise the guess alone. `known` holds every known path,
 * objects included.
 */
export function suggestPath(path: string, known: readonly string[]): string | undefined {
  const knownSet = new Set(known);
  const parts = path.split('.');
  let depth = 0;
  while (depth < parts.length && knownSet.has(parts.slice(0, depth + 1).join('.'))) depth++;
  if (depth === parts.length) return undefined;
  const parent = parts.slice(0, depth).join('.');
  const siblings = known
    .filter((candidate) => candidate.startsWith(parent === '' ? '' : `${parent}.`))
    .map((candidate) => candidate.slice(parent === '' ? 0 : parent.length + 1))
    .filter((rest) => rest !== '' && !rest.includes('.'));
  const guess = suggestKey(parts[depth]!, parent, siblings, known);
  if (guess === undefined) return undefined;
  const whole = [guess, ...parts.slice(depth + 1)].join('.');
  return knownSet.has(whole) ? whole : guess;
}
