// Child process for power-loss-mode.test.ts: turns the test-only power-loss mode on, writes
// "synced" to one file (fsynced) and "pending" to another (not synced), then ends the way
// argv[3] says. The parent reads the files after the process is gone.
//   argv: <dir> <sigkill|page-cache-kill|exit|throw>

import { join } from 'node:path';
import { enablePowerLossMode, PAGE_CACHE_KILL_SIGNAL, powerLossModeFromEnv } from '../../../src/cli/power-loss-mode.ts';
import { storageFs } from '../../../src/storage/fs.ts';

const [dir, how] = process.argv.slice(2);
const mode = powerLossModeFromEnv({ RUNNEL_TEST_POWER_LOSS: '1' });
if (mode === null) throw new Error('the mode should be on');
enablePowerLossMode(mode);
const fs = storageFs();
for (const [name, sync] of [
  ['synced', true],
  ['pending', false],
] as const) {
  const fd = fs.open(join(dir, name), 'w+');
  fs.write(fd, Buffer.from(name), 0, name.length, 0);
  if (sync) fs.fsync(fd);
  fs.close(fd);
}
// Bounded: the parent kills us after its timeout if none of the endings below happens.
setTimeout(() => undefined, 10_000);
if (how === 'sigkill') process.kill(process.pid, 'SIGKILL');
else if (how === 'page-cache-kill') process.kill(process.pid, PAGE_CACHE_KILL_SIGNAL);
else if (how === 'exit') process.exit(3);
else if (how === 'throw') throw new Error('an uncaught error');
