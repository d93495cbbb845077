// `runnel` run in the test's own process (runRunnel, as ./runnel calls it), its output captured:
// fast enough for tests that run many commands. Tests of the executable itself spawn ./runnel.
import { runRunnel } from '../../src/cli/runnel/main.ts';

export interface RunnelResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `runnel argv` with `env` as its environment; resolves with the exit code and what it printed. */
export async function runnelInProcess(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<RunnelResult> {
  let stdout = '';
  let stderr = '';
  const code = await runRunnel(argv, env, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}
