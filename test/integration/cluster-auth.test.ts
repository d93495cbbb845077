// Authentication between brokers is on by default (issue 9 item A): a broker process in cluster
// mode without a secret refuses to start, naming the field and the way out; with
// cluster.insecure: true it starts and says at every start that its peers are not authenticated.
// (Clusters with a secret file are every other cluster test: test/helpers/cluster.ts.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, runBrokerExpectingExit, startBroker } from '../helpers/broker-process.ts';

/** A one-member cluster's config file (it forms alone), with `extra` in its cluster object. */
async function singleMemberCluster(dir: string, extra: Record<string, unknown>): Promise<string> {
  const raftAddress = `127.0.0.1:${await freePort()}`;
  const file = join(dir, `node-${Object.keys(extra).join('-') || 'plain'}.json`);
  writeFileSync(
    file,
    JSON.stringify({ cluster: { enabled: true, node_id: 1, raft_address: raftAddress, initial_members: [{ node_id: 1, address: raftAddress }], ...extra } }),
  );
  return file;
}

test('a cluster broker without a secret refuses to start (exit 2), naming cluster.secret and the ways out', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-auth-'));
  try {
    const res = await runBrokerExpectingExit({ configFile: await singleMemberCluster(dir, {}) });
    assert.equal(res.listened, false, `the broker must not start without a secret:\n${res.output}`);
    assert.equal(res.code, 2, `exit code ${res.code}, signal ${res.signal}:\n${res.output}`);
    assert.match(res.output, /config field "cluster.secret": cluster mode needs a secret/);
    assert.match(res.output, /cluster.secret_file.*cluster.insecure: true/);

    const missing = await runBrokerExpectingExit({ configFile: await singleMemberCluster(dir, { secret_file: join(dir, 'absent.secret') }) });
    assert.equal(missing.listened, false);
    assert.equal(missing.code, 2);
    assert.match(missing.output, /config field "cluster.secret_file": cannot read ".*absent.secret": no such file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cluster.insecure: true starts without a secret and logs a warning at every start', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-auth-'));
  const broker = await startBroker({ configFile: await singleMemberCluster(dir, { insecure: true }), startTimeoutMs: 60_000 });
  try {
    const insecureWarnings = () => broker.jsonLogs().filter((line) => line.field === 'cluster.insecure' && line.level === 'warn');
    assert.equal(insecureWarnings().length, 1, broker.logs().join('\n'));
    assert.match(String(insecureWarnings()[0]!.msg), /NOT authenticated/);
    await broker.restart();
    assert.equal(insecureWarnings().length, 2, 'once more after the restart');
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
