// A DNS server for tests: dnsmasq on 127.0.0.1 with only the records a test gives (no
// /etc/hosts, no upstream), so a resolver pointed at it sees exactly those. Debian's package
// is `dnsmasq-base` (.ci/run installs it); without the binary, tests skip with a message saying so.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { freePort } from './broker-process.ts';
import { waitFor } from './wait-for.ts';

export const DNSMASQ = ['/usr/sbin/dnsmasq', '/usr/bin/dnsmasq'].find((path) => existsSync(path)) ?? null;
export const DNSMASQ_MISSING = 'dnsmasq is not installed (apt-get install -y dnsmasq-base; .ci/run installs it)';

export interface DnsRecords {
  /** [name, address]: an A (or AAAA, for an IPv6 address) record. */
  hosts: ReadonlyArray<readonly [string, string]>;
  /** [name, target, port]: an SRV record. */
  srv: ReadonlyArray<readonly [string, string, number]>;
}

export interface DnsServer {
  port: number;
  /** "127.0.0.1:<port>", for a resolver's setServers. */
  server: string;
  /** Stops this server and starts one on the same port with these records. */
  replace(records: DnsRecords): Promise<void>;
  stop(): Promise<void>;
}

function argsFor(port: number, records: DnsRecords): string[] {
  return [
    '--no-daemon',
    `--port=${port}`,
    '--listen-address=127.0.0.1',
    '--bind-interfaces',
    '--no-resolv',
    '--no-hosts',
    '--conf-file=/dev/null',
    ...records.hosts.map(([name, address]) => `--host-record=${name},${address}`),
    ...records.srv.map(([name, target, port]) => `--srv-host=${name},${target},${port}`),
  ];
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}

/** Starts dnsmasq serving `records`; resolves once it answers for the first host record. */
export async function startDnsServer(records: DnsRecords): Promise<DnsServer> {
  if (DNSMASQ === null) throw new Error(DNSMASQ_MISSING);
  const port = await freePort();
  const server = `127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  const start = async (current: DnsRecords): Promise<void> => {
    const started = spawn(DNSMASQ, argsFor(port, current), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    started.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
    child = started;
    const probe = new Resolver({ timeout: 200, tries: 1 });
    probe.setServers([server]);
    const [name] = current.hosts[0] ?? current.srv[0] ?? ['probe.invalid'];
    await waitFor(
      async () => {
        if (started.exitCode !== null) throw new Error(`dnsmasq exited (${started.exitCode}): ${stderr}`);
        try {
          await probe.resolve4(name!);
          return true;
        } catch (error) {
          // An answer (even "no such name") means the server is up.
          return ['ENOTFOUND', 'ENODATA', 'EREFUSED'].includes((error as NodeJS.ErrnoException).code ?? '');
        }
      },
      `dnsmasq on ${server}`,
      10_000,
      50,
    );
  };
  await start(records);
  return {
    port,
    server,
    async replace(next) {
      if (child !== null) await stopProcess(child);
      await start(next);
    },
    async stop() {
      if (child !== null) await stopProcess(child);
      child = null;
    },
  };
}
