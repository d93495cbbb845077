// Config files written into a scratch directory for the config tests, and the assertion that
// loading one fails naming a field.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, type RunnelConfig } from '../../src/config/index.ts';

export const configScratchDir = mkdtempSync(join(tmpdir(), 'runnel-config-'));
let scratchFiles = 0;

/** Writes `text` to a new file in the scratch directory and returns its path. */
export function configFileWith(text: string): string {
  const path = join(configScratchDir, `config-${scratchFiles++}.json`);
  writeFileSync(path, text);
  return path;
}

/** Loads `value` as a config file, with only the given environment. */
export function loadConfigJson(value: unknown, env: NodeJS.ProcessEnv = {}): RunnelConfig {
  return loadConfig({ file: configFileWith(JSON.stringify(value)), env });
}

/** Asserts that loading `value` fails naming `field`, with a message matching `message`. */
export function rejectsConfig(value: unknown, field: string, message: RegExp): void {
  assert.throws(
    () => loadConfigJson(value),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
      assert.equal(error.field, field);
      assert.match(error.message, message);
      return true;
    },
  );
}
