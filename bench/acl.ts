// `npm run bench -- acl [--batches 2000] [--rounds 3]`
//
// Issue 15: what the authorizer costs the produce path. acks=1 Produce of 100-record batches
// (100 B values, 16 requests in flight) from one connection, in CPU µs per record of this process
// (broker and client run in it, so the machine's load affects every variant alike), against a
// broker with the authorizer off (every check answers true at once), on with an ALLOW WRITE
// binding for the client's principal (a cached decision per topic and request), and on with the
// client as super user. Variants alternate --rounds times; the median is printed.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { defaultConfig } from '../src/config/index.ts';
import { startBrokerNode } from '../src/node/broker-node.ts';
import { RawClient } from './lib/raw-client.ts';
import { buildRecordBatch } from '../src/protocol/record-batch.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const batches = arg('batches', 2000);
const rounds = arg('rounds', 3);

const loadavg = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

type Mode = 'off' | 'acl' | 'super';

/** CPU µs per record for `batches` acks=1 batches of 100 records, 16 in flight. */
async function producePass(mode: Mode): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), `runnel-bench-acl-${mode}-`));
  const config = defaultConfig();
  config.data_dir = dataDir;
  config.server.host = '127.0.0.1';
  config.server.port = 0;
  config.http.enabled = false;
  config.authorizer = { enabled: mode !== 'off', super_users: mode === 'super' ? ['User:ANONYMOUS'] : [] };
  const node = await startBrokerNode(config, pino({ level: 'silent' }));
  if (mode !== 'off') {
    const allow = (operation: 'WRITE' | 'CREATE') =>
      ({ resourceType: 'TOPIC', resourceName: 'p', patternType: 'LITERAL', principal: 'User:ANONYMOUS', host: '*', operation, permission: 'ALLOW' }) as const;
    await node.services.controller.propose({ type: 'createAcls', bindings: [allow('WRITE'), allow('CREATE')] });
  }
  const client = await RawClient.connect({ port: node.port, clientId: 'bench-acl' });
  try {
    await client.createTopics([{ name: 'p', numPartitions: 1 }]);
    const batch = buildRecordBatch({ records: Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value: 'v'.repeat(100) })) });
    const started = cpuMs();
    let sent = 0;
    const worker = async (): Promise<void> => {
      while (sent < batches) {
        sent++;
        const r = await client.produce('p', 0, batch, 1);
        if (r.errorCode !== 0) throw new Error(`produce error ${r.errorCode}`);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    return ((cpuMs() - started) * 1000) / (batches * 100);
  } finally {
    client.close();
    await node.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// One unmeasured pass each: the first runs of the produce path pay for the JIT.
for (const mode of ['off', 'acl', 'super'] as const) await producePass(mode);
const variants = [
  { name: 'authorizer off', mode: 'off' as const, cpu: [] as number[] },
  { name: 'authorizer on, ALLOW WRITE binding', mode: 'acl' as const, cpu: [] as number[] },
  { name: 'authorizer on, super user', mode: 'super' as const, cpu: [] as number[] },
];
const load = loadavg();
for (let r = 0; r < rounds; r++) for (const v of variants) v.cpu.push(await producePass(v.mode));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`produce, ${batches} x 100 records acks=1, CPU µs per record (median of ${rounds}; load ${load} -> ${loadavg()}):`);
for (const v of variants) {
  const ratio = (median(v.cpu) / median(variants[0]!.cpu)).toFixed(3);
  console.log(`  ${v.name.padEnd(36)} ${median(v.cpu).toFixed(3)}  ratio ${ratio}  [${v.cpu.map((x) => x.toFixed(3)).join(', ')}]`);
}
