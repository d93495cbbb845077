// Time for a broker to join a running cluster (issue 11, join).
//
//   npm run bench -- join [--runs N] [--discovery static|manual]
//
// Starts three real founders on 127.0.0.1 (test/helpers/cluster.ts, product defaults except
// metadata_voters 4, so the first joiner is promoted), then per run starts one joiner (a copy of
// founder 1's config, initial_cluster_state "existing"; manual: joined with POST /cluster/join
// to founder 2) and prints, from the moment its process is spawned: when it logged "listening"
// (registered, its own metadata caught up), when every broker's Kafka Metadata lists it, and, for
// the first joiner, when it is a voter of __metadata. Each run adds one more broker (4, 5, ...).
// Polls every 100 ms (the figures are rounded up to that). Prints numbers; nothing asserts on speed.

import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { startCluster, type TestCluster } from '../test/helpers/cluster.ts';
import { RawConnection } from '../test/helpers/raw-socket.ts';
import { metadataRequestV1, parseMetadataV1 } from '../test/helpers/wire.ts';

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '2' },
    discovery: { type: 'string', default: 'static' },
  },
  strict: true,
});
const RUNS = Number(opts.runs);
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS > 6) {
  console.error('--runs must be an integer 1..6');
  process.exit(2);
}
const discovery = opts.discovery;
if (discovery !== 'static' && discovery !== 'manual') {
  console.error('--discovery must be static or manual');
  process.exit(2);
}
/** Bounds each wait of the run. */
const WAIT_MS = 120_000;

async function brokersListedBy(cluster: TestCluster, nodeId: number): Promise<number[]> {
  const conn = await RawConnection.connect(cluster.member(nodeId).broker.port);
  try {
    await conn.send(metadataRequestV1(1, []));
    return parseMetadataV1(await conn.readFrame()).brokers;
  } finally {
    conn.close();
  }
}

async function isVoter(cluster: TestCluster, nodeId: number): Promise<boolean> {
  const g = (await cluster.status(1)).groups.find((x) => x.group === '__metadata');
  return g?.voters.includes(nodeId) ?? false;
}

const cluster = await startCluster({ size: 3, env: { RUNNEL_CLUSTER__METADATA_VOTERS: '4' } });
try {
  console.log(
    `join: 3 founders, metadata_voters 4, joiners with ${discovery} discovery; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  for (let run = 0; run < RUNS; run++) {
    const nodeId = 4 + run;
    const t0 = performance.now();
    let joinPostedMs = 0;
    const member = cluster.addJoiner({
      nodeId,
      discovery,
      whileStarting:
        discovery === 'manual'
          ? async (httpPort) => {
              await fetch(`http://127.0.0.1:${httpPort}/cluster/join`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ address: cluster.member(2).raftAddress }),
              });
              joinPostedMs = performance.now() - t0;
            }
          : undefined,
    });
    let listedMs = 0;
    let voterMs = 0;
    await cluster.waitFor(
      `broker ${nodeId} listed everywhere`,
      async () => {
        const live = cluster.members.filter((m) => m.nodeId !== nodeId);
        for (const m of live) if (!(await brokersListedBy(cluster, m.nodeId)).includes(nodeId)) return false;
        return true;
      },
      WAIT_MS,
    );
    listedMs = performance.now() - t0;
    await member;
    const listeningMs = performance.now() - t0;
    if (nodeId === 4) {
      await cluster.waitFor(`broker ${nodeId} a voter`, () => isVoter(cluster, nodeId), WAIT_MS);
      voterMs = performance.now() - t0;
    }
    const fields = [
      `broker ${nodeId}`,
      discovery === 'manual' ? `join posted ${Math.round(joinPostedMs)} ms` : '',
      `in Metadata of every other broker ${Math.round(listedMs)} ms`,
      `listening ${Math.round(listeningMs)} ms`,
      voterMs > 0 ? `voter of __metadata ${Math.round(voterMs)} ms` : '',
      `load ${loadavg()[0]!.toFixed(2)}`,
    ].filter((f) => f !== '');
    console.log(fields.join(', '));
  }
} finally {
  await cluster.stop();
}
