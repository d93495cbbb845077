#!/usr/bin/env node
// Runs every *.test.ts below the folders given on the command line with node:test; a
// *.test.ts file named directly is run as it is. Node 20's `--test` does not expand globs
// itself, so we list the files here, in the order of the folders given: node:test starts them in
// that order, two at a time. `npm test` names the long files' folders first (test/sim holds the
// two longest CPU-bound files, test/integration the slow broker tests) and test/unit's many short
// files after them, so the run does not end with one long file running alone beside an idle core.
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function collect(dir, out) {
  if (!existsSync(dir)) return out;
  if (!statSync(dir).isDirectory()) {
    if (dir.endsWith('.test.ts')) out.push(dir);
    return out;
  }
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const args = process.argv.slice(2);
const files = args.flatMap((dir) => collect(dir, []));
if (files.length === 0) {
  console.error(`no test files under ${args.join(' ')}`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
