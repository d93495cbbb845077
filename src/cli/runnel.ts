// `./runnel ...` (package.json bin `runnel`): the command line for a running cluster. The
// commands live in src/cli/runnel/; see docs/cli.md.

import { runRunnel } from './runnel/main.ts';

runRunnel(process.argv.slice(2), process.env, {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
}).then(
  (code) => {
    // Exit explicitly once stdout is flushed: a socket left behind must not keep the command alive.
    process.exitCode = code;
    process.stdout.write('', () => process.exit(code));
  },
  (err: unknown) => {
    process.stderr.write(`runnel: internal error: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
