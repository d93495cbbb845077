// ./broker's command line: the four spellings of Go's flag package.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, parseArgs } from '../../../src/config/index.ts';

test('no arguments: defaults, no command', () => {
  assert.deepEqual(parseArgs([]), { rest: [] });
});

test('all four spellings of the config flag', () => {
  for (const argv of [['-config=a.json'], ['--config=a.json'], ['-config', 'a.json'], ['--config', 'a.json']]) {
    assert.deepEqual(parseArgs(argv), { configFile: 'a.json', rest: [] }, argv.join(' '));
  }
});

test('the first non-flag word is the command; what follows is passed on', () => {
  assert.deepEqual(parseArgs(['status']), { command: 'status', rest: [] });
  assert.deepEqual(parseArgs(['--config', 'n1.json', 'topics', 'create', '--partitions=3', 'orders']), {
    configFile: 'n1.json',
    command: 'topics',
    rest: ['create', '--partitions=3', 'orders'],
  });
  assert.deepEqual(parseArgs(['-v', 'status', '--json']), { command: 'status', rest: ['-v', '--json'] });
});

// issue 13: "flags go before or after the command, as users type them": the README and
// scripts/start-cluster.sh print `./broker status -config=configs/node1.json`.
test('the config flag may follow the command, in all four spellings', () => {
  for (const argv of [
    ['status', '-config=a.json'],
    ['status', '--config=a.json'],
    ['status', '-config', 'a.json'],
    ['status', '--json', '--config', 'a.json'],
  ]) {
    const parsed = parseArgs(argv);
    assert.equal(parsed.configFile, 'a.json', argv.join(' '));
    assert.equal(parsed.command, 'status', argv.join(' '));
    assert.ok(!parsed.rest.some((arg) => arg.includes('config')), argv.join(' '));
  }
});

test('a file name containing "=" survives the = form', () => {
  assert.equal(parseArgs(['-config=dir=1/a.json']).configFile, 'dir=1/a.json');
});

test('"--" ends the flags', () => {
  assert.deepEqual(parseArgs(['--', '--config', 'x']), { rest: ['--config', 'x'] });
});

test('a missing, empty or repeated config file is an error naming the flag', () => {
  for (const argv of [['--config'], ['-config='], ['--config', '--verbose'], ['-config=a', '--config=b']]) {
    assert.throws(
      () => parseArgs(argv),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.field, 'config');
        assert.match(error.message, /flag -?-config/);
        return true;
      },
      argv.join(' '),
    );
  }
});
