// The `./broker` and `./runnel` commands that the user-facing files print (issue 13: "a test
// runs every command the README and the scripts print"): README.md, docs/cluster.md,
// docs/operations.md, docs/cli.md and the echo lines of scripts/*.sh. test/integration/runnel-cli.test.ts runs them.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './broker-process.ts';

/**
 * Where a file shows commands: in Markdown the fenced code blocks and the inline code spans (not
 * the prose around them); in a script the lines it echoes (the rest is its own code, such as
 * `./broker -config="$(...)"`).
 */
function commandTexts(file: string, text: string): string[] {
  if (file.endsWith('.sh')) return text.split('\n').filter((line) => /^\s*echo /.test(line));
  const texts: string[] = [];
  const prose = text.replace(/^```[^\n]*\n([\s\S]*?)^```/gm, (_all, block: string) => {
    texts.push(block);
    return '';
  });
  for (const span of prose.matchAll(/`([^`\n]+)`/g)) texts.push(span[1]!);
  return texts;
}

/** Every `./broker ...` and `./runnel ...` command printed in the user-facing files, with any VAR=value prefix. */
export function printedCommands(): { file: string; command: string }[] {
  const files = [
    'README.md',
    'docs/cluster.md',
    'docs/operations.md',
    'docs/cli.md',
    ...readdirSync(join(REPO_ROOT, 'scripts'))
      .filter((f) => f.endsWith('.sh'))
      .map((f) => `scripts/${f}`),
  ];
  const pattern = /(?:^|[\s`"(])((?:[A-Z_]+=\S+[ \t]+)*\.\/(?:broker|runnel)(?:[ \t]+[^\s`"#|)<>&;]+)*)/gm;
  const out: { file: string; command: string }[] = [];
  for (const file of files) {
    for (const text of commandTexts(file, readFileSync(join(REPO_ROOT, file), 'utf8'))) {
      for (const match of text.matchAll(pattern)) {
        const command = match[1]!.trim();
        // A bare `./runnel` names the program (run alone it prints its usage and exits 2).
        // A template (`configs/nodeN.json`, `HOST:PORT`) shows a form, not a command to paste.
        if (/nodeN|HOST:PORT/.test(command)) continue;
        if (command !== './runnel' && !out.some((c) => c.command === command)) out.push({ file, command });
      }
    }
  }
  return out;
}
