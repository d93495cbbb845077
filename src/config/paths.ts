// Reading and writing nested plain objects by dotted path ("server.port").

export type PlainObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at a dotted path, or undefined when any step is missing or not an object. */
export function getPath(root: unknown, path: string): unknown {
  let node: unknown = root;
  for (const part of path.split('.')) {
    if (!isPlainObject(node) || !Object.hasOwn(node, part)) return undefined;
    node = node[part];
  }
  return node;
}

/** Sets a value at a dotted path, creating objects on the way. */
export function setPath(root: PlainObject, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = root;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (isPlainObject(next)) {
      node = next;
    } else {
      const created: PlainObject = {};
      node[part] = created;
      node = created;
    }
  }
  node[parts[parts.length - 1]!] = value;
}

/**
 * Layers `overlay` onto `base` in place: objects merge key by key, everything
 * else (arrays included) replaces. The depth is that of our config (three
 * levels), and the recursion follows the overlay, which we built ourselves.
 */
export function mergeInto(base: PlainObject, overlay: PlainObject): PlainObject {
  for (const [key, value] of Object.entries(overlay)) {
    const existing = base[key];
    if (isPlainObject(value) && isPlainObject(existing)) mergeInto(existing, value);
    else base[key] = value;
  }
  return base;
}
