// issue 13: `runnel bench produce|consume|e2e` against one real broker (run in-process through
// runRunnel, as ./runnel runs it): small runs of each mode exit 0 and report exactly the records
// sent or read; the summary has the latency table; usage mistakes exit 2 and a missing topic
// for consume exits 1 with the next step. Nothing here asserts on speed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type BrokerHandle, startBroker } from '../helpers/broker-process.ts';
import { runnelInProcess } from '../helpers/runnel-in-process.ts';

let broker: BrokerHandle;
before(async () => {
  broker = await startBroker();
});
after(async () => {
  await broker?.stop();
});

const runnel = (...args: string[]) => runnelInProcess(args, { ...process.env, RUNNEL_BOOTSTRAP: broker.bootstrap });

test('bench produce creates the topic and reports every record acknowledged, with send → ack latency for each', async () => {
  const r = await runnel('bench', 'produce', '--topic', 'bench-p', '--partitions', '3', '--records', '3000', '--json');
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.mode, 'produce');
  assert.equal(s.records, 3000);
  assert.equal(s.stoppedBy, 'records');
  assert.equal(s.mb, (3000 * 100) / 1e6, '--record-bytes defaults to 100');
  assert.equal(s.latencyMs.count, 3000, 'one latency per acknowledged record');
  assert.ok(s.latencyMs.p50 <= s.latencyMs.p99 && s.latencyMs.p99 <= s.latencyMs.max);
  assert.ok(s.cpuSecondsPerMillionRecords > 0);
});

test('bench consume reads exactly --records records; with more asked than there are, it stops when nothing arrives', async () => {
  const exact = await runnel('bench', 'consume', '--topic', 'bench-p', '--records', '2500', '--json');
  assert.equal(exact.code, 0, exact.stderr);
  assert.equal(JSON.parse(exact.stdout).records, 2500);
  assert.equal(JSON.parse(exact.stdout).stoppedBy, 'records');
  // The 3000 records of the produce run above, each once: nothing lost, nothing duplicated.
  const all = await runnel('bench', 'consume', '--topic', 'bench-p', '--records', '5000', '--json');
  assert.equal(all.code, 0, all.stderr);
  assert.equal(JSON.parse(all.stdout).records, 3000);
  assert.equal(JSON.parse(all.stdout).stoppedBy, 'idle');
  assert.equal(JSON.parse(all.stdout).latencyMs, null, 'consume measures no latency');
});

test('bench e2e counts each record of its run once when received, with send → receive latency', async () => {
  const r = await runnel('bench', 'e2e', '--topic', 'bench-e', '--partitions', '2', '--records', '2000', '--acks', '1', '--compression', 'lz4', '--json');
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.records, 2000);
  assert.equal(s.stoppedBy, 'records');
  assert.equal(s.latencyMs.count, 2000);
  // A second run on the same topic counts only its own records, not the first run's.
  const again = await runnel('bench', 'e2e', '--topic', 'bench-e', '--records', '1000', '--record-bytes', '16', '--json');
  assert.equal(again.code, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).records, 1000);
});

test('the human summary has the totals and the latency table; --progress prints the progress line on stderr', async () => {
  // --rate 1000 makes the run last at least 1.5 s, so the once-a-second line is printed at least once.
  const r = await runnel('bench', 'produce', '--topic', 'bench-h', '--records', '1500', '--rate', '1000', '--progress');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^bench produce: 1,500 records, 0\.15 MB in /);
  assert.match(r.stdout, /records\/s .* MB\/s .* per million records/);
  assert.match(r.stdout, /latency, send → acknowledgement \(ms, 1,500 records\):\np50 +p90 +p99 +p99\.9 +max\n[\d. ]+\n$/);
  assert.match(r.stderr, /^bench produce: [\d,]+ records\/s .* MB\/s +in flight [\d,]+ +total [\d,]+ records/m);
});

test('bad bench flags exit 2 naming the flag; consume of a missing topic exits 1 with the next step', async () => {
  const cases: [string[], RegExp][] = [
    [['bench', 'produce', '--records', '0'], /--records: 0 is out of range/],
    [['bench', 'produce', '--time-s', '100000'], /--time-s: 100000 is out of range/],
    [['bench', 'produce', '--acks', '2'], /--acks: "2" is not 0, 1 or all/],
    [['bench', 'produce', '--compression', 'brotli'], /--compression: "brotli"/],
    [['bench', 'produce', '--rate', '-1'], /--rate: -1 is out of range/],
    [['bench', 'e2e', '--record-bytes', '8'], /--record-bytes: 8 is out of range \(16 to/],
    [['bench', 'consume', '--rate', '5'], /--rate applies to produce and e2e/],
    [['bench', 'produce', '--records', 'many'], /"many" is not a whole number/],
    [['bench', 'produce', 'extra'], /unexpected argument "extra"/],
    [['bench', 'fly'], /unknown command "bench fly"/],
  ];
  for (const [args, message] of cases) {
    const r = await runnel(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  const missing = await runnel('bench', 'consume', '--topic', 'bench-none', '--records', '10');
  assert.equal(missing.code, 1, missing.stderr);
  assert.match(missing.stderr, /topic bench-none does not exist: fill one with `runnel bench produce --topic bench-none`/);
});
