// Runs an external program (kcat, python3) with a hard time limit, feeding it stdin and
// collecting its output. A program that outlives its limit is killed, so a hung client
// fails its test instead of hanging the suite.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export function run(
  cmd: string,
  args: string[],
  opts: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.once('error', reject);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    // A program that exits before reading all its stdin makes the pipe error; that is its business.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
      });
    });
  });
}

/** Formats a result for an assertion message. */
export function describeRun(cmd: string, args: string[], r: RunResult, maxChars = 4000): string {
  const clip = (s: string) => (s.length > maxChars ? `${s.slice(0, maxChars / 2)}\n…\n${s.slice(-maxChars / 2)}` : s);
  return (
    `$ ${cmd} ${args.map((a) => (/[\s'"|%\\]/.test(a) ? JSON.stringify(a) : a)).join(' ')}\n` +
    `exit ${r.code} signal ${r.signal}${r.timedOut ? ' (timed out)' : ''}\n` +
    `--- stdout\n${clip(r.stdout)}\n--- stderr\n${clip(r.stderr)}`
  );
}

/**
 * Throws when a compatibility tool is absent. The compat suites call this first: a
 * missing kcat or python module is a failure, never a silent skip (see .ci/run).
 */
export function requireExecutable(path: string, hint: string): void {
  if (!existsSync(path)) throw new Error(`${path} is missing: ${hint}`);
}
