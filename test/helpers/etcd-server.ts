// An etcd server for tests: Debian's etcd-server on 127.0.0.1 with its data in a temporary
// directory that stop() deletes. .ci/run installs the package; without the binary, tests skip
// with a message saying so.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from './broker-process.ts';
import { waitFor } from './wait-for.ts';

export const ETCD = ['/usr/bin/etcd', '/usr/local/bin/etcd'].find((path) => existsSync(path)) ?? null;
export const ETCD_MISSING = 'etcd is not installed (apt-get install -y etcd-server; .ci/run installs it)';

export interface EtcdServer {
  /** The client URL, "http://127.0.0.1:<port>". */
  url: string;
  stop(): Promise<void>;
}

export async function startEtcd(): Promise<EtcdServer> {
  if (ETCD === null) throw new Error(ETCD_MISSING);
  const [clientPort, peerPort] = await freePorts(2);
  const dir = mkdtempSync(join(tmpdir(), 'runnel-etcd-'));
  const url = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const child: ChildProcess = spawn(
    ETCD,
    [
      '--name=test',
      `--data-dir=${join(dir, 'data')}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=test=${peer}`,
      '--log-level=error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`etcd exited (${child.exitCode}): ${stderr}`);
        try {
          const response = await fetch(`${url}/v3/kv/range`, { method: 'POST', body: '{"key":"AA=="}', signal: AbortSignal.timeout(500) });
          return response.ok;
        } catch {
          return false;
        }
      },
      `etcd on ${url}`,
      20_000,
      100,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}
