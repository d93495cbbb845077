// The test-only power-loss mode (src/cli/power-loss-mode.ts, issue 10) decides what the page
// cache keeps when the process ends: a plain SIGKILL is a power loss (unsynced writes gone);
// PAGE_CACHE_KILL_SIGNAL is a kill -9 of the process while the machine stays up (unsynced writes
// kept, the process still dies of SIGKILL), and so is any exit of its own. The chaos runner's
// `kill` faults rely on the second, its `power-loss` fault on the first.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./power-loss-mode-child.ts', import.meta.url));
const CHILD_TIMEOUT_MS = 20_000;

function endChild(t: { after(fn: () => void): void }, how: string): { signal: NodeJS.Signals | null; status: number | null; synced: string; pending: string } {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-power-loss-mode-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const res = spawnSync(process.execPath, ['--import', 'tsx', CHILD, dir, how], { timeout: CHILD_TIMEOUT_MS, encoding: 'utf8' });
  if (res.error) throw res.error;
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  return { signal: res.signal, status: res.status, synced: read('synced'), pending: read('pending') };
}

test('issue 10 power loss: a plain SIGKILL loses what was not synced', (t) => {
  const r = endChild(t, 'sigkill');
  assert.equal(r.signal, 'SIGKILL');
  assert.equal(r.synced, 'synced');
  assert.equal(r.pending, '', 'unsynced write lost, as in a power loss');
});

test('issue 10 power loss: the page-cache kill signal keeps unsynced writes and still dies of SIGKILL', (t) => {
  const r = endChild(t, 'page-cache-kill');
  assert.equal(r.signal, 'SIGKILL', 'the process ends as kill -9 would, without its exit handlers');
  assert.equal(r.synced, 'synced');
  assert.equal(r.pending, 'pending', 'the page cache survives a process kill');
});

test('issue 10 power loss: an exit or an uncaught error keeps unsynced writes (the machine stays up)', (t) => {
  const exited = endChild(t, 'exit');
  assert.equal(exited.status, 3);
  assert.equal(exited.pending, 'pending');
  const thrown = endChild(t, 'throw');
  assert.equal(thrown.status, 1);
  assert.equal(thrown.pending, 'pending');
});
