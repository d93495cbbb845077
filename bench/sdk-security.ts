// `npm run bench -- sdk-security [--records N] [--rounds K] [--record-bytes B]`: what TLS and SASL
// cost our SDK's throughput (issue 15's goal: TLS under 30 %). One broker process with three
// listeners: PLAINTEXT, SSL and SASL_SSL (SCRAM-SHA-512). Each round runs `runnel bench produce`
// then `runnel bench consume` (the SDK's Producer and Consumer, in this process) over each
// listener in turn, so load from elsewhere on the machine hits every mode alike; it prints
// records/s, MB/s and the broker's CPU-seconds per million records per mode, the median over the
// rounds, and each mode against PLAINTEXT. Certificates are made in a temp dir and removed.

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { BenchSummary } from '../src/cli/runnel/bench-meter.ts';
import { runRunnel } from '../src/cli/runnel/main.ts';
import { freePorts, startBroker } from '../test/helpers/broker-process.ts';
import { makeClientTestCerts } from '../test/helpers/client-certs.ts';
import { cpuSeconds, loadAverage } from './lib/proc.ts';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '300000' },
    rounds: { type: 'string', default: '3' },
    'record-bytes': { type: 'string', default: '100' },
  },
});
const records = Number(values.records);
const rounds = Number(values.rounds);
const recordBytes = Number(values['record-bytes']);
const PARTITIONS = 4;
const USER = 'admin';
const PASSWORD = 'bench-Pa55word';

type Mode = 'PLAINTEXT' | 'SSL' | 'SASL_SSL';
const MODES: Mode[] = ['PLAINTEXT', 'SSL', 'SASL_SSL'];

interface Sample {
  recordsPerS: number;
  mbPerS: number;
  brokerCpuPerMillion: number;
}

const certs = makeClientTestCerts();
const caFile = join(certs.dir, 'ca.pem');
const [plainPort, sslPort, saslSslPort] = await freePorts(3);
const ports: Record<Mode, number> = { PLAINTEXT: plainPort!, SSL: sslPort!, SASL_SSL: saslSslPort! };
const configFile = join(certs.dir, 'broker.json');
writeFileSync(
  configFile,
  JSON.stringify({
    listeners: MODES.map((mode) => ({ name: mode, host: '127.0.0.1', port: ports[mode], security_protocol: mode })),
    tls: { cert_file: join(certs.dir, 'broker.pem'), key_file: join(certs.dir, 'localhost.key') },
    sasl: { mechanisms: ['SCRAM-SHA-512'], bootstrap_user: USER },
  }),
);

/** The `runnel` flags that reach `mode`'s listener. */
function flagsOf(mode: Mode): string[] {
  const tls = mode === 'PLAINTEXT' ? [] : ['--tls-ca', caFile];
  const sasl = mode === 'SASL_SSL' ? ['--username', USER, '--sasl-mechanism', 'SCRAM-SHA-512'] : [];
  return ['-b', `127.0.0.1:${ports[mode]}`, ...tls, ...sasl];
}

async function runnel(args: string[]): Promise<BenchSummary> {
  let stdout = '';
  let stderr = '';
  const code = await runRunnel(args, { RUNNEL_PASSWORD: PASSWORD }, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  if (code !== 0) throw new Error(`runnel ${args.join(' ')} exited ${code}: ${stderr}`);
  return JSON.parse(stdout) as BenchSummary;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

console.log(`load average before: ${loadAverage()}`);
const broker = await startBroker({ configFile, port: ports.PLAINTEXT, env: { RUNNEL_BOOTSTRAP_PASSWORD: PASSWORD } });
const results: Record<'produce' | 'consume', Record<Mode, Sample[]>> = {
  produce: { PLAINTEXT: [], SSL: [], SASL_SSL: [] },
  consume: { PLAINTEXT: [], SSL: [], SASL_SSL: [] },
};
try {
  // Round 0 warms the JIT of both processes and is not counted.
  for (let round = 0; round <= rounds; round++) {
    for (const mode of MODES) {
      const topic = `bench-security-${mode.toLowerCase()}-${round}`;
      const common = [...flagsOf(mode), '--topic', topic, '--records', String(records), '--json'];
      for (const step of ['produce', 'consume'] as const) {
        const cpuBefore = cpuSeconds(broker.pid);
        const extra = step === 'produce' ? ['--partitions', String(PARTITIONS), '--record-bytes', String(recordBytes)] : [];
        const summary = await runnel(['bench', step, ...common, ...extra]);
        const brokerCpu = cpuSeconds(broker.pid) - cpuBefore;
        if (round === 0) continue;
        const sample = { recordsPerS: summary.recordsPerS, mbPerS: summary.mbPerS, brokerCpuPerMillion: (brokerCpu / summary.records) * 1e6 };
        results[step][mode].push(sample);
        console.log(
          `round ${round} ${step.padEnd(7)} ${mode.padEnd(9)} ${Math.round(sample.recordsPerS).toLocaleString('en-US').padStart(9)} records/s ` +
            `${sample.mbPerS.toFixed(2).padStart(7)} MB/s  broker CPU ${sample.brokerCpuPerMillion.toFixed(2)} s per million records`,
        );
      }
    }
  }
} finally {
  await broker.stop();
  rmSync(certs.dir, { recursive: true, force: true });
}

console.log(`\nmedian of ${rounds} rounds, ${records.toLocaleString('en-US')} records of ${recordBytes} B, ${PARTITIONS} partitions, acks=all:`);
for (const step of ['produce', 'consume'] as const) {
  const base = median(results[step].PLAINTEXT.map((s) => s.recordsPerS));
  for (const mode of MODES) {
    const rate = median(results[step][mode].map((s) => s.recordsPerS));
    const cpu = median(results[step][mode].map((s) => s.brokerCpuPerMillion));
    const cost = mode === 'PLAINTEXT' ? '' : `  ${(((base - rate) / base) * 100).toFixed(1)} % below PLAINTEXT`;
    console.log(
      `  ${step.padEnd(7)} ${mode.padEnd(9)} ${Math.round(rate).toLocaleString('en-US').padStart(9)} records/s  broker CPU ${cpu.toFixed(2)} s/M${cost}`,
    );
  }
}
console.log(`load average after: ${loadAverage()}`);
