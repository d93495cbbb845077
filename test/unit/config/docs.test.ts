// docs/configuration.md is the operator's reference: every field the loader
// accepts must be in it, with its environment variable.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FIELDS } from '../../../src/config/fields.ts';
import { defaultConfig } from '../../../src/config/index.ts';

const doc = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'configuration.md'), 'utf8');

function envName(key: string): string {
  return `RUNNEL_${key
    .split('.')
    .map((part) => part.toUpperCase())
    .join('__')}`;
}

test('every accepted field is documented', () => {
  for (const spec of FIELDS) {
    assert.ok(doc.includes(`\`${spec.key}\``), `docs/configuration.md does not mention \`${spec.key}\``);
  }
});

test('every Runnel field row names its environment variable', () => {
  for (const spec of FIELDS) {
    if (spec.goQueue && spec.target !== undefined) continue;
    if (spec.kind.type === 'ignored') continue;
    assert.ok(doc.includes(envName(spec.key)), `docs/configuration.md does not mention ${envName(spec.key)}`);
  }
});

test('every field of the normalised config has a row', () => {
  const config = defaultConfig() as unknown as Record<string, unknown>;
  const paths: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const inner of Object.keys(value)) paths.push(`${key}.${inner}`);
    } else {
      paths.push(key);
    }
  }
  for (const path of paths) assert.ok(doc.includes(`\`${path}\``), `docs/configuration.md has no row for \`${path}\``);
});
