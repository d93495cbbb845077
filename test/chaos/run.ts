// The chaos runner (issue 10): `npm run chaos -- --time S --seed N --faults LIST [--brokers 3|5]`.
//
// Starts three or five real brokers, each in its own network namespace (lab.ts), runs KafkaJS
// producers (acks=all, idempotent and not) and a consumer group against them while it injects
// faults chosen by the seed (faults.ts), one at a time, for S seconds. Then it heals everything,
// waits for the cluster, lets the consumers catch up, reads every partition from the start and
// gives the whole history to the queue checker (checker.ts). The last line it prints is
//   chaos: seed=N ops=N acked=N lost=0 duplicated=0 mismatched=0 nonmonotonic=0 unseen=0
// and it exits 1 on any anomaly, on a broker that crashed or would not restart, or when the
// cluster did not come back (then the last line says so). Everything it starts it stops, and
// every namespace, nftables table and mount it creates it removes, also on Ctrl-C or an error.
// On a failure the data dirs, broker logs and the history stay in the printed folder.
//
// The seed fixes the fault schedule and every target choice; when a choice depends on the
// cluster (the current leader) and timing differs, a replay may aim elsewhere.

import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededRng } from '../helpers/seeded-rng.ts';
import { checkQueue, hasAnomalies, summaryLine, type QueueReport } from './checker.ts';
import { ChaosCluster, powerLossSeed, withTimeout, type Crash } from './cluster.ts';
import { freeDisk } from './disk.ts';
import type { FaultContext } from './faults.ts';
import { parseArgs, UsageError, USAGE, type Args } from './args.ts';
import { readPartition } from './final-read.ts';
import { HistoryRecorder, type FinalPartition } from './history.ts';
import { Lab } from './lab.ts';
import { Workload } from './workload.ts';

/** Every limit of a run, in one place. */
const LIMITS = {
  warmupMs: 3_000,
  /** How long one fault is held, a range the schedule draws from. */
  faultMs: [2_000, 8_000] as const,
  /** Quiet time between two faults. */
  quietMs: [2_000, 6_000] as const,
  healTimeoutMs: 180_000,
  /** Producers keep sending this long after the heal, so post-fault writes are checked too. */
  produceAfterHealMs: 5_000,
  catchUpTimeoutMs: 120_000,
  finalReadTimeoutMs: 90_000,
  historyOpsMax: 3_000_000,
  tmpfsMiB: 256,
  restartAttempts: 3,
  crashCheckMs: 500,
  /** Default Raft tick (cluster.rtt_ms) and election timeout in ticks (cluster.election_rtt). */
  defaultRttMs: 50,
  electionRtt: 10,
} as const;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    if (err.message) console.error(err.message);
    console.error(USAGE);
    return 2;
  }
  const t0 = Date.now();
  const note = (msg: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${msg}`);
  const findings: string[] = [];
  const finding = (msg: string) => {
    findings.push(msg);
    note(`FINDING: ${msg}`);
  };
  const topic = 'chaos';
  const ids = Array.from({ length: args.brokers }, (_, i) => i + 1);
  const schedule = new SeededRng(args.seed);
  const targets = new SeededRng((args.seed ^ 0x5bd1e995) >>> 0);
  note(`seed=${args.seed} time=${args.timeS}s brokers=${args.brokers} partitions=${args.partitions} faults=${args.faults.map((f) => f.name).join(',')}`);
  for (const [k, v] of Object.entries(args.brokerEnv)) note(`broker env ${k}=${v}`);

  const root = mkdtempSync(join(tmpdir(), `runnel-chaos-${args.seed}-`));
  let keepRoot = args.keep;
  let lab: Lab | null = null;
  let cluster: ChaosCluster | null = null;
  // Ctrl-C, SIGTERM, an uncaught error: kill the brokers and remove what we created, synchronously.
  const emergency = () => {
    for (const n of cluster?.nodes ?? []) {
      if (n.handle?.alive()) {
        try {
          process.kill(n.handle.pid, 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
    }
    lab?.destroy();
    if (!keepRoot) rmSync(root, { recursive: true, force: true });
  };
  process.on('exit', emergency);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(sig === 'SIGINT' ? 130 : 143));

  try {
    lab = await Lab.create(ids);
    const tmpfsNode = args.faults.some((f) => f.name === 'disk-full') ? targets.int(1, args.brokers) : null;
    note(
      `lab ${lab.slot}: brokers at ${ids.map((id) => lab!.nodeIp(id)).join(', ')}${tmpfsNode ? `; broker ${tmpfsNode}'s data on a ${LIMITS.tmpfsMiB} MiB tmpfs` : ''}`,
    );
    cluster = await ChaosCluster.start(lab, {
      size: args.brokers,
      root,
      rttMs: args.rttMs,
      env: args.brokerEnv,
      tmpfs: tmpfsNode ? { nodeId: tmpfsNode, sizeMiB: LIMITS.tmpfsMiB } : undefined,
      // Fsync disabled only for the self-check that must catch it.
      powerLoss: args.powerLossMode ? { seed: args.seed, skipFsync: args.faults.some((f) => f.name === 'power-loss-nofsync') } : undefined,
      note,
    });
    note(
      `cluster up${cluster.powerLossMode ? `; power-loss mode (tearing seeds ${ids.map((id) => `${id}:${powerLossSeed(args.seed, id)}`).join(' ')})${cluster.fsyncDisabled ? ', FSYNC DISABLED' : ''}` : ''}`,
    );

    const history = new HistoryRecorder(LIMITS.historyOpsMax);
    const workload = new Workload({
      bootstrap: cluster.bootstrap,
      topic,
      partitions: args.partitions,
      seed: args.seed,
      idempotentProducers: 2,
      plainProducers: 2,
      consumers: 2,
      sendGapMs: [10, 60],
      history,
    });
    // Every broker hosts every partition: a broker answers Metadata only for partitions it hosts
    // (docs/cluster.md, "Not built yet"), and KafkaJS cannot find a leader otherwise.
    await createTopic(workload, topic, args.partitions, args.brokers);
    note(`topic ${topic} created (${args.partitions} partitions)`);
    await workload.start();
    const c = cluster;
    const monitor = setInterval(() => c.noticeCrashes(), LIMITS.crashCheckMs);
    await sleep(LIMITS.warmupMs);

    const ctx: FaultContext = {
      cluster,
      lab,
      rng: targets,
      topic,
      partitions: args.partitions,
      electionTimeoutMsMax: 2 * LIMITS.electionRtt * (args.rttMs ?? LIMITS.defaultRttMs),
      note,
      sleep,
      finding,
    };
    const counts = await injectFaults(ctx, args, schedule, note, finding);

    note('healing everything');
    await healAll(cluster, lab, finding);
    const healthy = await waitHealthy(cluster, topic, args.partitions, note);
    await sleep(LIMITS.produceAfterHealMs);
    await workload.stopProducers();
    note(`producers stopped: ${JSON.stringify(workload.progress())}`);
    await waitFor(() => {
      const p = workload.progress();
      return p.seenAcked >= p.acked;
    }, LIMITS.catchUpTimeoutMs);
    await workload.stopConsumers();
    clearInterval(monitor);
    cluster.noticeCrashes();
    note(`consumers stopped: ${JSON.stringify(workload.progress())}; client errors ${workload.errorCount}`);
    for (const e of workload.errors.slice(0, 10)) note(`  client error: ${e}`);

    let final: FinalPartition[] | null = null;
    let liveness: string | null = healthy ? null : 'the cluster did not recover after healing';
    if (!liveness) {
      try {
        final = [];
        for (let p = 0; p < args.partitions; p++) final.push(await readPartition(cluster, topic, p, LIMITS.finalReadTimeoutMs));
      } catch (err) {
        liveness = `final read failed: ${(err as Error).message}`;
      }
    }
    const crashes: Crash[] = [...cluster.crashes, ...cluster.scanLogs()];
    if (history.droppedCount > 0) finding(`history overflowed: ${history.droppedCount} operations not recorded`);

    const ops = history.snapshot();
    const report = final ? checkQueue(ops, final) : null;
    note(`faults injected: ${[...counts].map(([k, n]) => `${k}=${n}`).join(' ') || 'none'}`);
    for (const cr of crashes) note(`CRASH broker ${cr.nodeId}: ${cr.what}\n${indent(cr.tail)}`);
    if (report) printReport(report, note);
    const failed = !report || hasAnomalies(report) || crashes.length > 0 || findings.length > 0;
    if (failed) keepRoot = true;

    await cluster.stopAll();
    if (failed) saveEvidence(root, cluster, ops);
    lab.destroy();
    if (keepRoot) note(`kept data dirs, logs and history in ${root}`);
    else rmSync(root, { recursive: true, force: true });
    if (!report) {
      console.log(`chaos: seed=${args.seed} liveness failure: ${liveness}`);
      return 1;
    }
    console.log(summaryLine(args.seed, report));
    return failed ? 1 : 0;
  } catch (err) {
    keepRoot = true;
    console.error(`chaos run failed: ${(err as Error).stack ?? err}`);
    await cluster?.stopAll().catch(() => undefined);
    if (cluster) saveEvidence(root, cluster, []);
    lab?.destroy();
    console.log(`chaos: seed=${args.seed} error: ${String((err as Error).message).split('\n')[0]}`);
    return 1;
  }
}

async function createTopic(workload: Workload, topic: string, partitions: number, replicationFactor: number): Promise<void> {
  const admin = workload.kafkaClient.admin();
  await withTimeout(admin.connect(), 30_000);
  try {
    await withTimeout(admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor }], waitForLeaders: true }), 60_000);
  } finally {
    await admin.disconnect();
  }
}

async function injectFaults(
  ctx: FaultContext,
  args: Args,
  schedule: SeededRng,
  note: (m: string) => void,
  finding: (m: string) => void,
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const offered = args.faults.filter((k) => !k.available || k.available(ctx));
  if (offered.length === 0) return counts;
  const end = Date.now() + args.timeS * 1000;
  // Bounded by the clock: every fault is held at most until `end`, then healed.
  while (end - Date.now() > LIMITS.faultMs[0] / 2) {
    const kind = offered[schedule.int(0, offered.length - 1)];
    const holdMs = Math.min(schedule.int(LIMITS.faultMs[0], LIMITS.faultMs[1]), end - Date.now());
    const quietMs = schedule.int(LIMITS.quietMs[0], LIMITS.quietMs[1]);
    try {
      const what = await kind.run(ctx, holdMs);
      note(`healed: ${what}`);
      counts.set(kind.name, (counts.get(kind.name) ?? 0) + 1);
    } catch (err) {
      finding(`fault ${kind.name} failed: ${(err as Error).message}`);
    }
    // A broker that crashed (reported already) is brought back, so the rest of the run still tests a whole cluster.
    ctx.cluster.noticeCrashes();
    const down = ctx.cluster.nodes.filter((n) => n.down).map((n) => n.nodeId);
    if (down.length > 0) {
      note(`restarting crashed broker(s) ${down.join(',')}`);
      for (const [id, err] of await ctx.cluster.restart(down)) finding(`broker ${id} would not restart after its crash: ${err.message.split('\n')[0]}`);
    }
    await sleep(Math.min(quietMs, end - Date.now()));
  }
  return counts;
}

/** Undoes whatever an interrupted fault may have left: cut links, paused or dead brokers, a full disk. */
async function healAll(cluster: ChaosCluster, lab: Lab, finding: (m: string) => void): Promise<void> {
  await lab.block([]);
  for (const n of cluster.nodes) {
    if (n.paused) cluster.resume(n.nodeId);
    if (n.fillerFile) freeDisk(n.fillerFile);
  }
  cluster.noticeCrashes();
  let down = cluster.nodes.filter((n) => n.down).map((n) => n.nodeId);
  let errors = new Map<number, Error>();
  for (let attempt = 0; attempt < LIMITS.restartAttempts && down.length > 0; attempt++) {
    errors = await cluster.restart(down);
    down = [...errors.keys()];
    if (down.length > 0) await sleep(2_000);
  }
  for (const [id, err] of errors) finding(`broker ${id} would not restart during the final heal: ${err.message.split('\n')[0]}`);
}

/** Every broker running and, asked itself, naming a controller and a leader for every partition. */
async function waitHealthy(cluster: ChaosCluster, topic: string, partitions: number, note: (m: string) => void): Promise<boolean> {
  const start = Date.now();
  let last = '';
  const ok = await waitFor(async () => {
    const problems: string[] = [];
    for (const n of cluster.nodes) {
      if (n.down || !n.handle?.alive()) {
        problems.push(`${n.nodeId} down`);
        continue;
      }
      try {
        const v = await cluster.viewFrom(n.nodeId, topic);
        if (v.controllerId <= 0) problems.push(`${n.nodeId} knows no controller`);
        for (let p = 0; p < partitions; p++) if ((v.leaders.get(p) ?? -1) <= 0) problems.push(`${n.nodeId} knows no leader of ${p}`);
      } catch (err) {
        problems.push(`${n.nodeId}: ${(err as Error).message}`);
      }
    }
    last = problems.join('; ');
    return problems.length === 0;
  }, LIMITS.healTimeoutMs);
  note(ok ? `cluster healthy after ${((Date.now() - start) / 1000).toFixed(1)} s` : `cluster NOT healthy after ${LIMITS.healTimeoutMs} ms: ${last}`);
  return ok;
}

/** Polls `check` every 500 ms until it holds or `timeoutMs` passes. */
async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(500);
  }
  return check();
}

function printReport(r: QueueReport, note: (m: string) => void): void {
  note(
    `checked: ops=${r.ops} acked=${r.acked} polled=${r.polled} retryDuplicates=${r.retryDuplicates} unackedWritten=${r.unackedWritten} ` +
      `lost=${r.lost} duplicated=${r.duplicated} mismatched=${r.mismatched} nonmonotonic=${r.nonmonotonic} unseen=${r.unseen}`,
  );
  for (const a of r.anomalies) note(`  ANOMALY ${a.kind} partition ${a.partition} offset ${a.offset} value ${a.value}: ${a.detail}`);
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

/** Logs and history next to the data dirs; a tmpfs data dir is copied out before it is unmounted. */
function saveEvidence(root: string, cluster: ChaosCluster, ops: unknown[]): void {
  try {
    mkdirSync(join(root, 'logs'), { recursive: true });
    for (const n of cluster.nodes) {
      writeFileSync(join(root, 'logs', `node${n.nodeId}.log`), (n.handle?.logs() ?? []).join('\n'));
      if (n.fillerFile) cpSync(n.dataDir, join(root, `node${n.nodeId}-data-copy`), { recursive: true });
    }
    writeFileSync(join(root, 'history.jsonl'), ops.map((o) => JSON.stringify(o)).join('\n'));
  } catch (err) {
    console.error(`could not save all evidence: ${(err as Error).message}`);
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
