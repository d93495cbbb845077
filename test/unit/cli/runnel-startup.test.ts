// issue 13: `runnel --help` (and any usage mistake) must not load the Kafka client, the
// WebSocket client, the config loader or the compression natives: they load with `import()`
// once a command runs (src/cli/runnel/main.ts). Start-up was ~1.1 CPU-s with 130 modules.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

// A module hook that prints every module URL the process loads, on stderr.
const HOOKS = `export async function load(url, context, next) { process.stderr.write('LOADED ' + url + '\\n'); return next(url, context); }`;
const REGISTER = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOKS)}`)});`;

async function loadedBy(args: string[]): Promise<{ stdout: string; loaded: string[] }> {
  const result = await run(
    process.execPath,
    ['--import', 'tsx', '--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`, 'src/cli/runnel.ts', ...args],
    { cwd: ROOT, timeout: 60_000 },
  ).catch((err: { stdout: string; stderr: string }) => err);
  const loaded = result.stderr
    .split('\n')
    .filter((l) => l.startsWith('LOADED '))
    .map((l) => l.slice('LOADED '.length));
  return { stdout: result.stdout, loaded };
}

const HEAVY = [/\/src\/client\/(?!histogram\.ts)/, /\/src\/config\//, /\/node_modules\/(ws|snappy|lz4-napi|zstd-napi|ajv|pino)\//];

for (const args of [['--help'], ['bench', 'produce', '--help'], ['produce', '--no-such-flag']]) {
  test(`runnel ${args.join(' ')} loads no client, config or compression module`, async () => {
    const { loaded } = await loadedBy(args);
    assert.ok(
      loaded.some((u) => u.endsWith('/src/cli/runnel/main.ts')),
      'the hook saw the command line load',
    );
    const heavy = loaded.filter((u) => HEAVY.some((re) => re.test(u)));
    assert.deepEqual(heavy, []);
  });
}

// issue 13: a command that runs loads the client, but not the broker config loader (ajv) unless
// --config is given, nor the WebSocket client unless it tails over WebSocket.
test('runnel topic list without --config loads no config loader or WebSocket client', async () => {
  const { stdout, loaded } = await loadedBy(['-b', '127.0.0.1:1', 'topic', 'list']);
  assert.equal(stdout, '');
  assert.ok(
    loaded.some((u) => u.endsWith('/src/client/admin/admin.ts')),
    'the command ran',
  );
  const heavy = loaded.filter((u) => /\/src\/config\/|\/node_modules\/(ws|ajv)\//.test(u));
  assert.deepEqual(heavy, []);
});
