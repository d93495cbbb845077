// The broker log: pino JSON lines to a file or stdout, pretty lines for a terminal.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { ConfigError, defaultConfig } from '../../../src/config/index.ts';
import { createLogger, loggerFromConfig, resolveLogFormat } from '../../../src/log/index.ts';

const scratch = mkdtempSync(join(tmpdir(), 'runnel-log-'));

function jsonLines(path: string): Array<Record<string, unknown>> {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

test('JSON lines go to the log file, in a directory created for it, honouring the level', () => {
  const file = join(scratch, 'nested', 'dir', 'broker.log');
  const logger = createLogger({ level: 'info', format: 'json', file, base: { node_id: 2 } });
  logger.info({ group: 'metadata', term: 3 }, 'became leader');
  logger.debug('too detailed for info');
  logger.warn({ err: new Error('boom') }, 'something failed');
  const lines = jsonLines(file);
  assert.equal(lines.length, 2);
  assert.equal(lines[0]!.msg, 'became leader');
  assert.equal(lines[0]!.level, 'info');
  assert.equal(lines[0]!.node_id, 2);
  assert.equal(lines[0]!.term, 3);
  assert.equal(lines[0]!.pid, process.pid);
  assert.match(String(lines[0]!.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(lines[1]!.level, 'warn');
  assert.equal((lines[1]!.err as { message: string }).message, 'boom');
});

test('the log file is appended to, not truncated', () => {
  const file = join(scratch, 'append.log');
  writeFileSync(file, '{"msg":"from an earlier run"}\n');
  createLogger({ level: 'info', format: 'json', file }).info('again');
  assert.deepEqual(
    jsonLines(file).map((line) => line.msg),
    ['from an earlier run', 'again'],
  );
});

test('pretty format writes readable lines, synchronously', () => {
  const file = join(scratch, 'pretty.log');
  createLogger({ level: 'info', format: 'pretty', file }).info({ topic: 'orders' }, 'topic created');
  // Read straight after the call: a line still in flight would be missing here.
  const text = readFileSync(file, 'utf8');
  assert.match(text, /INFO.*topic created/);
  assert.match(text, /topic: "orders"/);
  assert.doesNotMatch(text, /^\{/);
  // No terminal colour codes in a file.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the check is that no ANSI escape (ESC [) is in the output
  assert.doesNotMatch(text, /\u001b\[/);
});

test('auto is pretty only on a terminal without a log file', () => {
  assert.equal(resolveLogFormat('auto', null, true), 'pretty');
  assert.equal(resolveLogFormat('auto', null, false), 'json');
  assert.equal(resolveLogFormat('auto', '/tmp/x.log', true), 'json');
  assert.equal(resolveLogFormat('json', null, true), 'json');
  assert.equal(resolveLogFormat('pretty', '/tmp/x.log', false), 'pretty');
});

test('a destination stream overrides stdout', () => {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  createLogger({ level: 'trace', format: 'json', destination: sink }).trace({ a: 1 }, 'traced');
  assert.equal(chunks.length, 1);
  assert.equal(JSON.parse(chunks[0]!).msg, 'traced');
});

test('an unusable log file is a ConfigError naming server.log_file', () => {
  const notADirectory = join(scratch, 'plain-file');
  writeFileSync(notADirectory, 'x');
  for (const file of [join(notADirectory, 'broker.log'), scratch]) {
    assert.throws(
      () => createLogger({ level: 'info', format: 'json', file }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.field, 'server.log_file');
        assert.match(error.message, /^config field "server.log_file": cannot/);
        return true;
      },
    );
  }
});

test('loggerFromConfig follows the server fields and tags cluster nodes with their id', () => {
  const config = defaultConfig();
  config.server.log_file = join(scratch, 'from-config.log');
  config.server.log_level = 'warn';
  config.server.log_format = 'auto';
  config.cluster.enabled = true;
  config.cluster.node_id = 3;
  const logger = loggerFromConfig(config);
  logger.info('hidden at warn');
  logger.warn('shown');
  const lines = jsonLines(config.server.log_file);
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.node_id, 3);
});
