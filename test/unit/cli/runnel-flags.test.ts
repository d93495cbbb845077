// The `runnel` flag parser (src/cli/runnel/flags.ts). Issue 13: "flags go before or after the
// command, as users type them", in the forms --flag value, --flag=value, -b value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlagTable, formatFlags, parseCommandLine, UsageError, type FlagSpec } from '../../../src/cli/runnel/flags.ts';

const SPECS: FlagSpec[] = [
  { name: 'bootstrap', short: 'b', type: 'string', value: 'HOST:PORT', help: 'where' },
  { name: 'json', type: 'boolean', help: 'json' },
  { name: 'node', type: 'integer', value: 'N', help: 'a node' },
];

function table(): FlagTable {
  const t = new FlagTable();
  for (const s of SPECS) t.add(s);
  return t;
}

const parse = (argv: string[]) => parseCommandLine(argv, table());

test('issue 13: flags before, between and after the command words mean the same', () => {
  const forms = [
    ['-b', 'h:1', '--json', 'cluster', 'status'],
    ['cluster', 'status', '-b', 'h:1', '--json'],
    ['cluster', '--bootstrap=h:1', 'status', '--json'],
    ['--json', 'cluster', 'status', '--bootstrap', 'h:1'],
    ['-b=h:1', 'cluster', 'status', '--json=true'],
  ];
  for (const argv of forms) {
    const parsed = parse(argv);
    assert.deepEqual(parsed.words, ['cluster', 'status'], argv.join(' '));
    assert.equal(parsed.flags.size, 2, argv.join(' '));
    assert.equal(parsed.flags.get('bootstrap'), 'h:1', argv.join(' '));
    assert.equal(parsed.flags.get('json'), true, argv.join(' '));
  }
});

test('an integer flag is read as a number; a bad one is a usage error naming the flag', () => {
  assert.equal(parse(['x', '--node', '3']).flags.get('node'), 3);
  assert.equal(parse(['x', '--node=-1']).flags.get('node'), -1);
  assert.throws(
    () => parse(['--node', 'three']),
    (e: unknown) => e instanceof UsageError && /--node: "three" is not a whole number/.test(e.message),
  );
  assert.throws(() => parse(['--node=1.5']), UsageError);
});

test('unknown flags, missing values, values on booleans and repeated flags are usage errors', () => {
  const cases: [string[], RegExp][] = [
    [['--nope'], /unknown flag --nope/],
    [['-x'], /unknown flag -x/],
    [['--bootstrap'], /--bootstrap needs a value \(HOST:PORT\)/],
    [['--bootstrap', '--json'], /--bootstrap needs a value/],
    [['--bootstrap='], /needs a value/],
    [['--json=yes'], /takes no value/],
    [['-b', 'a:1', '--bootstrap', 'b:2'], /given twice/],
  ];
  for (const [argv, message] of cases) {
    assert.throws(
      () => parse(argv),
      (e: unknown) => e instanceof UsageError && message.test(e.message),
      argv.join(' '),
    );
  }
});

test('"-" and negative numbers are words; "--" ends the flags', () => {
  assert.deepEqual(parse(['produce', '-', '-5']).words, ['produce', '-', '-5']);
  const parsed = parse(['cluster', '--', '--json', '-b']);
  assert.deepEqual(parsed.words, ['cluster', '--json', '-b']);
  assert.equal(parsed.flags.size, 0);
});

test('a flag name with two meanings across commands is refused when registered', () => {
  const t = table();
  t.add({ name: 'json', type: 'boolean', help: 'same meaning again is fine' });
  assert.throws(() => t.add({ name: 'json', type: 'string', help: 'different' }), /declared twice/);
  assert.throws(() => t.add({ name: 'other', short: 'b', type: 'string', help: 'clash' }), /-b is declared twice/);
});

test('help lines align the flag column', () => {
  assert.equal(
    formatFlags(SPECS),
    ['  -b, --bootstrap HOST:PORT  where', '      --json                 json', '      --node N               a node'].join('\n'),
  );
});

test('issue 13: a repeatable flag given twice is its values as one comma list; the same name declared repeatable by one command', () => {
  const t = table();
  t.add({ name: 'topic', type: 'string', help: 'one topic (reassign)' });
  t.add({ name: 'topic', type: 'string', help: 'topics (group reset-offsets)', repeatable: true });
  const parsed = parseCommandLine(['--topic', 'a', 'x', '--topic=b,c'], t);
  assert.equal(parsed.flags.get('topic'), 'a,b,c');
  assert.deepEqual([...parsed.repeated], ['topic']);
  assert.deepEqual([...parseCommandLine(['--topic', 'a'], t).repeated], []);
  assert.throws(() => t.add({ name: 'count', type: 'integer', help: 'n', repeatable: true }), /only string flags/);
});
