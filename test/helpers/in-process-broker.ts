// One broker in this test process on a free port, with a fresh data directory, and a raw client
// connected to it: for API tests that look at the broker's state between requests.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { defaultConfig, type RunnelConfig } from '../../src/config/index.ts';
import { startBrokerNode, type BrokerNode } from '../../src/node/broker-node.ts';
import { RawClient } from '../../bench/lib/raw-client.ts';

export interface InProcessBroker {
  node: BrokerNode;
  client: RawClient;
  dataDir: string;
  /** Closes the client and the broker and deletes the data directory. */
  close(): Promise<void>;
}

export async function startInProcessBroker(name: string, tune: (config: RunnelConfig) => void = () => {}): Promise<InProcessBroker> {
  const dataDir = mkdtempSync(join(tmpdir(), `runnel-${name}-`));
  const config = defaultConfig();
  config.data_dir = dataDir;
  config.server.host = '127.0.0.1';
  config.server.port = 0;
  tune(config);
  const node = await startBrokerNode(config, pino({ level: 'silent' }));
  const client = await RawClient.connect({ port: node.port });
  return {
    node,
    client,
    dataDir,
    async close() {
      client.close();
      await node.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
