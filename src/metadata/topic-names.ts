// Topic name rules, as Kafka enforces them (org.apache.kafka.common.internals.Topic):
// 1..249 characters of [a-zA-Z0-9._-], and neither "." nor "..". The 249 limit leaves room for the
// "-<partition>" suffix of a partition directory within a 255-byte file name.

export const topicNameBytesMax = 249;
const legalChars = /^[a-zA-Z0-9._-]+$/;

/** Returns why `name` is not a legal topic name, or null when it is. */
export function topicNameProblem(name: string | null | undefined): string | null {
  if (name === null || name === undefined || name.length === 0) return 'topic name is empty';
  if (name === '.' || name === '..') return `topic name cannot be "${name}"`;
  if (name.length > topicNameBytesMax) {
    return `topic name is ${name.length} characters long; the limit is ${topicNameBytesMax}`;
  }
  if (!legalChars.test(name)) {
    return `topic name "${name}" has characters other than ASCII letters, digits, '.', '_' and '-'`;
  }
  return null;
}

/**
 * Kafka's metric names replace '.' with '_', so two topics that differ only there would collide;
 * Kafka refuses the second one and so do we.
 */
export function collisionKey(name: string): string {
  return name.replace(/\./g, '_');
}
