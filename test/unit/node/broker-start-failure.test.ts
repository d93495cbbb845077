// A cluster broker whose Raft port is taken fails its start with that error: startBrokerNode
// rejects naming EADDRINUSE, and closing what it opened raises nothing more. Before, the close
// rejected the promise of the metadata group's start, which nothing awaited once the transport
// had failed: an unhandled rejection ("stopped before the metadata group started") ended the
// process and hid the real error (seen in cluster-topic-configs.test.ts under load, when another
// process took a broker's Raft port).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { defaultConfig } from '../../../src/config/index.ts';
import { startBrokerNode } from '../../../src/node/broker-node.ts';

test('issue 17: a cluster broker whose Raft port is in use rejects its start with EADDRINUSE, and nothing is left unhandled', async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as { port: number }).port;
  const dataDir = mkdtempSync(join(tmpdir(), 'runnel-start-failure-'));
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const config = defaultConfig();
    config.data_dir = dataDir;
    config.server.host = '127.0.0.1';
    config.server.port = 0;
    config.http.enabled = false;
    config.cluster.enabled = true;
    config.cluster.insecure = true;
    config.cluster.data_dir = join(dataDir, 'raft');
    config.cluster.raft_address = `127.0.0.1:${port}`;
    await assert.rejects(startBrokerNode(config, pino({ level: 'silent' })), /EADDRINUSE/);
    // Unhandled rejections are reported after the microtask queue drains.
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      unhandled.map((r) => (r as Error).message),
      [],
    );
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await new Promise((resolve) => taken.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
});
