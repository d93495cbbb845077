// `./runnel` and `./broker` as users type them, against real brokers on 127.0.0.1.
//
// - issue 11 part 5: `./runnel cluster status` (and `--json`) against a real 3-broker cluster
//   shows every member with its Raft address and its role in __metadata, and each group's
//   voters, found from a Kafka address alone (DescribeConfigs runnel.admin.address).
// - issue 13: "a test runs every command the README and the scripts print": every `./broker`
//   and `./runnel` command in README.md, docs/cluster.md, docs/operations.md, docs/cli.md
//   and the echo lines of scripts/*.sh is run (test/helpers/printed-commands.ts). The fixed
//   addresses of configs/node1..3.json (Kafka 9092-9094, HTTP 8081-8083) are pointed at the
//   test cluster through RUNNEL_* variables and by rewriting those addresses; commands that
//   start a broker must get as far as "config loaded" (their arguments were accepted).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type TestCluster } from '../helpers/cluster.ts';
import { freePorts, REPO_ROOT } from '../helpers/broker-process.ts';
import { run } from '../helpers/run.ts';
import { printedCommands } from '../helpers/printed-commands.ts';
import { forEachConcurrently } from '../helpers/concurrency.ts';
import type { ClusterView } from '../../src/cli/runnel/cluster-status.ts';
import { Kafka, logLevel } from 'kafkajs';

const RUNNEL = join(REPO_ROOT, 'runnel');
const COMMAND_TIMEOUT_MS = 60_000;
/** Printed commands run side by side (each is mostly a Node process start). */
const PRINTED_COMMANDS_AT_ONCE = 4;

function words(command: string): { env: Record<string, string>; program: string; args: string[] } {
  const parts = command.split(/[ \t]+/);
  const env: Record<string, string> = {};
  while (/^[A-Z_]+=/.test(parts[0]!)) {
    const [name, ...value] = parts.shift()!.split('=');
    env[name!] = value.join('=');
  }
  return { env, program: parts[0]!, args: parts.slice(1) };
}

/** Runs a starting broker command until it logs "config loaded", then stops it; resolves with what it printed. */
function startUntilConfigLoaded(program: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ loaded: boolean; output: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(REPO_ROOT, program), args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let loaded = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (!loaded && output.includes('"config loaded"')) {
        loaded = true;
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ loaded, output, code });
    });
  });
}

async function runnelJson(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<ClusterView> {
  const r = await run(RUNNEL, args, { env, timeoutMs: COMMAND_TIMEOUT_MS });
  assert.equal(r.code, 0, `runnel ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as ClusterView;
}

test('issue 11: runnel cluster status shows a 3-broker cluster from one Kafka address; issue 13: every printed command runs', async (t) => {
  const cluster: TestCluster = await startCluster({ size: 3 });
  t.after(() => cluster.stop());
  const [one, two, three] = cluster.members;
  await cluster.waitFor('three members connected, __metadata led', async () => {
    const s = await cluster.status(1);
    const metadata = s.groups.find((g) => g.group === '__metadata');
    return s.members?.length === 3 && s.members.every((m) => m.connected) && (metadata?.leader ?? 0) > 0;
  });

  await t.test('table, from -b after the command', async () => {
    const r = await run(RUNNEL, ['cluster', 'status', '-b', two!.broker.bootstrap], { timeoutMs: COMMAND_TIMEOUT_MS });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\(asked broker 2\)/);
    for (const m of cluster.members) {
      assert.match(r.stdout, new RegExp(`^${m.nodeId} +${m.broker.bootstrap} +${m.raftAddress} +voter +(self|yes) +ok$`, 'm'), r.stdout);
    }
    assert.match(r.stdout, /^__metadata +[123] +\d+ +\d+ +1,2,3 +-$/m);
    assert.match(r.stdout, /learners catching up: none/);
  });

  await t.test('issue 11: DescribeConfigs BROKER answers the read-only runnel.admin.address (KafkaJS admin)', async () => {
    const admin = new Kafka({ clientId: 'runnel-cli-test', brokers: [two!.broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        // KafkaJS's ConfigResourceTypes.BROKER (4); the enum is not a named export of its CommonJS module.
        resources: [{ type: 4, name: '2', configNames: ['runnel.admin.address'] }],
      });
      const entry = described.resources[0]?.configEntries.find((c) => c.configName === 'runnel.admin.address');
      assert.equal(entry?.configValue, `127.0.0.1:${two!.httpPort}`);
      assert.equal(entry?.readOnly, true);
    } finally {
      await admin.disconnect();
    }
  });

  // KIP-455 / KIP-460 through the CLI: the same Kafka requests kafka-reassign-partitions.sh sends.
  await t.test('issue 11: runnel cluster reassign moves a partition, list-reassignments follows it, elect-leaders makes the first replica lead', async () => {
    const admin = new Kafka({ clientId: 'runnel-cli-reassign', brokers: [one!.broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const replicasNow = async (): Promise<{ replicas: number[]; leader: number }> => {
      const meta = await admin.fetchTopicMetadata({ topics: ['cli-moved'] });
      const p = meta.topics[0]!.partitions[0]!;
      return { replicas: p.replicas, leader: p.leader };
    };
    try {
      await admin.createTopics({ topics: [{ topic: 'cli-moved', replicaAssignment: [{ partition: 0, replicas: [1, 2] }] }], waitForLeaders: true });
      const usage = await run(RUNNEL, ['cluster', 'reassign', '--topic', 'cli-moved', '--partition', '0', '--replicas', '3,3', '-b', one!.broker.bootstrap], {
        timeoutMs: COMMAND_TIMEOUT_MS,
      });
      assert.equal(usage.code, 2, `a replica named twice is a usage mistake: ${usage.stderr}`);
      const started = await run(RUNNEL, ['cluster', 'reassign', '--topic', 'cli-moved', '--partition', '0', '--replicas', '3,2', '-b', two!.broker.bootstrap], {
        timeoutMs: COMMAND_TIMEOUT_MS,
      });
      assert.equal(started.code, 0, started.stderr);
      assert.match(started.stdout, /reassigning to \[3, 2\]/);
      await cluster.waitFor(
        'the move done: no reassignment listed, replicas 3,2',
        async () => {
          const listed = await run(RUNNEL, ['cluster', 'list-reassignments', '--json', '-b', three!.broker.bootstrap], { timeoutMs: COMMAND_TIMEOUT_MS });
          assert.equal(listed.code, 0, listed.stderr);
          const { reassignments } = JSON.parse(listed.stdout) as { reassignments: Array<{ topic: string }> };
          const now = await replicasNow();
          return !reassignments.some((r) => r.topic === 'cli-moved') && now.replicas.join() === '3,2';
        },
        60_000,
      );
      await cluster.waitFor(
        'broker 3 leads after elect-leaders',
        async () => {
          const elected = await run(RUNNEL, ['cluster', 'elect-leaders', '--topic', 'cli-moved', '-b', one!.broker.bootstrap], {
            timeoutMs: COMMAND_TIMEOUT_MS,
          });
          return elected.code === 0 && (await replicasNow()).leader === 3;
        },
        60_000,
      );
    } finally {
      await admin.disconnect();
    }
  });

  await t.test('--json, from RUNNEL_BOOTSTRAP with a flag before the command', async () => {
    const view = await runnelJson(['--json', 'cluster', 'status'], { ...process.env, RUNNEL_BOOTSTRAP: `127.0.0.1:1,${three!.broker.bootstrap}` });
    assert.equal(view.askedNode, 3);
    assert.equal(view.mode, 'cluster');
    assert.ok(view.controllerId >= 1 && view.controllerId <= 3);
    assert.deepEqual(
      view.members.map((m) => [m.nodeId, m.kafka, m.raftAddress, m.metadata, m.reachable]),
      cluster.members.map((m) => [m.nodeId, m.broker.bootstrap, m.raftAddress, 'voter', true]),
    );
    const metadata = view.groups.find((g) => g.group === '__metadata');
    assert.deepEqual(metadata?.voters, [1, 2, 3]);
    assert.equal(metadata?.reportedBy, metadata?.leader, "the metadata group's row is its leader's own report");
  });

  await t.test('a member that is down is shown unreachable; the command still answers', async () => {
    await three!.broker.kill9();
    const view = await runnelJson(['cluster', 'status', '--json', '-b', one!.broker.bootstrap]);
    const down = view.members.find((m) => m.nodeId === 3);
    assert.equal(down?.reachable, false);
    assert.match(down?.error ?? '', /ECONNREFUSED/);
    await three!.broker.restart();
  });

  await t.test('issue 11: a broker in manual mode joined with `runnel cluster join`; cluster status shows it a learner catching up or caught up', async () => {
    let joined: { code: number | null; stdout: string; stderr: string } | undefined;
    await cluster.addJoiner({
      nodeId: 4,
      discovery: 'manual',
      whileStarting: async (httpPort) => {
        joined = await run(RUNNEL, ['cluster', 'join', two!.raftAddress, '--admin', `127.0.0.1:${httpPort}`], { timeoutMs: COMMAND_TIMEOUT_MS });
      },
    });
    assert.equal(joined?.code, 0, joined?.stderr);
    assert.equal(joined?.stdout, `address: ${two!.raftAddress}\nmember: false\n`);
    // metadata_voters is 3 and there are 3 voters: broker 4 stays a learner of __metadata.
    await cluster.waitFor(
      'broker 4 a learner in runnel cluster status',
      async () => {
        const view = await runnelJson(['cluster', 'status', '--json', '-b', one!.broker.bootstrap]);
        const four = view.members.find((m) => m.nodeId === 4);
        const metadata = view.groups.find((g) => g.group === '__metadata');
        return four?.metadata === 'learner' && four.reachable && metadata?.learners.join() === '4';
      },
      60_000,
    );
    const view = await runnelJson(['cluster', 'status', '--json', '-b', cluster.member(4).broker.bootstrap]);
    assert.equal(view.askedNode, 4);
    const learner = view.learners.find((l) => l.group === '__metadata' && l.nodeId === 4);
    assert.ok(learner, 'the metadata leader reports its learner 4 with its lag');
    assert.ok(learner.lag >= 0);
  });

  await t.test('every ./broker and ./runnel command the README, docs and scripts print', async () => {
    const commands = printedCommands();
    assert.ok(
      commands.some((c) => c.command === './broker status -config=configs/node1.json'),
      'the status command of issue 13 is among them',
    );
    assert.ok(
      commands.some((c) => c.command.startsWith('./runnel cluster status')),
      'a runnel command is among them',
    );
    const ports = new Map<string, string>();
    cluster.members.forEach((m, i) => {
      ports.set(`127.0.0.1:${9092 + i}`, m.broker.bootstrap);
      ports.set(`127.0.0.1:${8081 + i}`, `127.0.0.1:${m.httpPort}`);
    });
    const root = mkdtempSync(join(tmpdir(), 'runnel-printed-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const secretFile = join(root, 'cluster.secret');
    writeFileSync(secretFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    // Independent commands (queries, and brokers on ports and dirs of their own), a few at a time:
    // each is mostly a process start.
    await forEachConcurrently(commands, PRINTED_COMMANDS_AT_ONCE, async ({ file, command }) => {
      const { env: printedEnv, program, args: printedArgs } = words(command);
      const args = printedArgs.map((a) => ports.get(a) ?? a);
      const node = Number(/configs\/node(\d)\.json/.exec(command)?.[1] ?? 1);
      const member = cluster.member(node);
      const isQuery = program === './runnel' || args.includes('status');
      if (isQuery) {
        // The config files' fixed ports, pointed at the test cluster's broker `node`.
        const env = {
          ...process.env,
          ...printedEnv,
          RUNNEL_SERVER__PORT: String(member.broker.port),
          RUNNEL_SERVER__ADVERTISED_HOST: '127.0.0.1',
          RUNNEL_HTTP__HOST: '127.0.0.1',
          RUNNEL_HTTP__PORT: String(member.httpPort),
          RUNNEL_BOOTSTRAP: member.broker.bootstrap,
        };
        const r = await run(join(REPO_ROOT, program), args, { env, cwd: REPO_ROOT, timeoutMs: COMMAND_TIMEOUT_MS });
        assert.equal(r.code, 0, `${file}: ${command}\n${r.stderr}`);
        assert.ok(r.stdout.length > 0, `${file}: ${command} printed something`);
      } else {
        const [kafkaPort, httpPort, raftPort] = await freePorts(3);
        const env = {
          ...process.env,
          ...printedEnv,
          RUNNEL_DATA_DIR: join(root, `data-${kafkaPort}`),
          RUNNEL_SERVER__HOST: '127.0.0.1',
          RUNNEL_SERVER__PORT: String(kafkaPort),
          RUNNEL_SERVER__LOG_FORMAT: 'json',
          RUNNEL_HTTP__HOST: '127.0.0.1',
          RUNNEL_HTTP__PORT: String(httpPort),
          RUNNEL_CLUSTER__SECRET_FILE: secretFile,
          RUNNEL_CLUSTER__DATA_DIR: join(root, `cluster-${kafkaPort}`),
          RUNNEL_CLUSTER__RAFT_ADDRESS: `127.0.0.1:${raftPort}`,
        };
        const r = await startUntilConfigLoaded(program, args, env);
        assert.ok(r.loaded, `${file}: ${command} (exit ${r.code}) did not get to "config loaded":\n${r.output.slice(-2000)}`);
      }
    });
  });
});
