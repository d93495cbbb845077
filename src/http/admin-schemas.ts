// JSON Schemas shared by the admin routes (admin-*.ts). Bodies refuse unknown fields
// (additionalProperties: false, with ajv's removeAdditional off in server.ts) so a typo is an
// error instead of a silently ignored setting.

/** A topic name as the path names it; the full rules are topicNameProblem's (the same as CreateTopics'). */
export const topicParams = {
  type: 'object',
  required: ['topic'],
  properties: { topic: { type: 'string', minLength: 1, maxLength: 249 } },
} as const;

export const groupParams = {
  type: 'object',
  required: ['group'],
  properties: { group: { type: 'string', minLength: 1, maxLength: 1000 } },
} as const;

/** A response object: documented fields, others passed through (fast-json-stringify would drop them). */
export function objectOf(properties: Record<string, unknown>, description?: string): Record<string, unknown> {
  return { type: 'object', additionalProperties: true, properties, ...(description && { description }) };
}

export const int = { type: 'integer' } as const;
export const str = { type: 'string' } as const;
export const bool = { type: 'boolean' } as const;
export const ints = { type: 'array', items: int } as const;
export const nullableInt = { type: 'integer', nullable: true } as const;
export const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const;
