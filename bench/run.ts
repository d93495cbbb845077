// `npm run bench -- <name> [options]`: runs bench/<name>.ts in a child process.
//
// Each benchmark is its own script, owned by the engineer of that layer. Running them as
// child processes keeps one benchmark's heap and JIT state from skewing another, and
// lets this dispatcher say clearly when a benchmark has not been written yet.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const BENCHES: Record<string, string> = {
  'produce-consume': 'single-node produce and consume throughput, latency histogram (issue 2)',
  raft: 'Raft core and replication',
  storage: 'segment log append/read/fsync',
  crc: 'CRC-32C MB/s: the JavaScript one against a native binding (recovery)',
  codec: 'protocol codec encode/decode',
  codecs: 'decompression MB/s of the snappy, lz4, zstd and gzip libraries (ListOffsets by timestamp)',
  transport: 'peer transport: coalesced heartbeats and 16 KiB appends over loopback TCP',
  groups: 'KafkaJS consumer-group rebalance time and offset commit throughput',
  'producer-replay': 'producer-state replay from the log start: whole batches against batch headers only (issue 9 restart)',
  restart: 'single-node restart with 1,000 partitions and 10 GiB: time to Metadata and Produce (issue 9)',
  cluster: 'three-broker cluster, RF 3, acks=all: throughput, latency at a fixed rate, failover time (issue 4)',
  'offsets-failover': 'three brokers: group coordinator failover after 1,000,000 offset commits (issue 9)',
  'metadata-churn': 'three brokers, 20,000 topics created and deleted: metadata log size, restart and wiped-broker catch-up (issue 9)',
  join: "three founders: time from a joiner's start to Metadata on every broker and to voter of __metadata (issue 11)",
  'leader-publish': 'three brokers: metadata entries spent publishing partition leaders while a broker leading N partitions restarts (issue 11)',
  'leader-balance': 'three brokers, 60 partitions RF 3: time until leaders are spread again after a broker restart (clean and kill -9), transfers (issue 11)',
  'sdk-encode':
    'SDK codec: records/s encoded into batches (producer) and decoded from them (consumer) per codec, no broker (issue 13 goals: 3,000,000 and 5,000,000 records/s of 100 B)',
  metrics: 'GET /metrics: CPU ms per scrape with 1,000 partitions, and CPU per produced record with and without metrics (issue 14)',
  'ops-overhead':
    'one broker: kcat produce throughput and broker CPU per record with the dashboard open, a tail and /metrics scraped every second, against without (issue 14)',
  acl: 'one broker: CPU per produced record with the authorizer off, on with an ALLOW binding, and on for a super user (issue 15)',
  'ws-tail': 'one broker: produce throughput and broker CPU per record with WebSocket tails attached against without (issue 14)',
  'tls-overhead': 'one broker, PLAINTEXT and SSL listeners: produce and consume records/s over each in alternating rounds (issue 15 goal: TLS costs < 30 %)',
  'sdk-security': 'one broker, PLAINTEXT, SSL and SASL_SSL listeners: SDK produce and consume throughput over each, the cost of TLS and SASL (issue 15)',
  reassign: 'four brokers: MB/s moving a ~200 MB partition replica onto a new broker by AlterPartitionReassignments (issue 11)',
};

const here = fileURLToPath(new URL('.', import.meta.url));
const [name, ...rest] = process.argv.slice(2);

function usage(): void {
  console.log('usage: npm run bench -- <name> [options]\n');
  for (const [n, what] of Object.entries(BENCHES)) {
    const present = existsSync(join(here, `${n}.ts`)) ? '' : '  (not written yet)';
    console.log(`  ${n.padEnd(16)} ${what}${present}`);
  }
  console.log('\nproduce-consume options: [--client runnel|kafkajs] [--records N] [--rate R] [--broker host:port]');
  console.log('                         [--size BYTES] [--batch RECORDS] [--inflight N] [--partitions N] [--acks all|1]');
  console.log('codecs options: [seconds-per-case]');
  console.log('crc options: [--native-from DIR] [--mib 256] [--batch-bytes 1024,16384,65536,1048576]');
  console.log(
    'cluster options: [--records N] [--partitions 1|6] [--rate R] [--failovers K] [--batch RECORDS] [--inflight N] [--rtt-ms MS] [--peer-tls off|on|both]',
  );
  console.log('offsets-failover options: [--commits N] [--partitions P] [--groups G] [--failovers K] [--connections C] [--pipeline D]');
  console.log('metadata-churn options: [--topics N] [--batch B] [--inflight K] [--rf R] [--snapshot-entries S] [--compaction-overhead C] [--state-topics T]');
  console.log('producer-replay options: --dir DATA_DIR [--partitions 100] [--rounds 2]');
  console.log('leader-publish options: [--partitions 300] [--stop term|kill9]');
  console.log('reassign options: [--mib 200] [--load]');
  console.log('metrics options: [--partitions 1000] [--groups 20] [--scrapes 200] [--batches 4000] [--rounds 3]');
  console.log('leader-balance options: [--partitions 60] [--stop term,kill9]');
  console.log('ops-overhead options: [--records 1000000] [--rounds 3] [--size 100]');
  console.log('tls-overhead options: [--records 200000] [--rounds 3] [--size 1000] [--batch 100]');
  console.log('ws-tail options: [--records 200000] [--rounds 3] [--size 100] [--tails 1]');
  console.log('sdk-security options: [--records 300000] [--rounds 3] [--record-bytes 100]');
  console.log('sdk-encode options: [--records 2000000] [--size 100] [--compression none,lz4,zstd]');
  console.log(
    'restart options: [--partitions N] [--size 10GiB] [--batch-bytes B] [--segment-bytes 128MiB] [--dir PATH] [--keep] [--reuse] [--probe-ms MS] [--unrecorded 1GiB] [--worst-only] [--cluster]',
  );
}

if (!name || name === '--help' || name === '-h') {
  usage();
  process.exit(name ? 0 : 2);
}
if (!(name in BENCHES)) {
  console.error(`unknown benchmark "${name}"`);
  usage();
  process.exit(2);
}
const script = join(here, `${name}.ts`);
if (!existsSync(script)) {
  console.error(`bench/${name}.ts does not exist yet: the "${name}" benchmark (${BENCHES[name]}) has not been written.`);
  process.exit(2);
}
const res = spawnSync(process.execPath, ['--import', 'tsx', script, ...rest], { stdio: 'inherit' });
if (res.error) {
  console.error(`could not run bench/${name}.ts: ${res.error.message}`);
  process.exit(1);
}
process.exit(res.status ?? 1);
