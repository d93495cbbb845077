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
  /** The running broker; restart() replaces it. */
  node: BrokerNode;
  /** A client connected to `node`; restart() replaces it. */
  client: RawClient;
  dataDir: string;
  /** Closes the client and the broker, keeps the data directory, and starts both again on it with the same config. */
  restart(): Promise<void>;
  /** Closes the client and the broker and deletes the data directory. */
  close(): Promise<void>;
}

/** A fresh data directory and the default config on 127.0.0.1 with free ports, changed by `tune`. */
export function inProcessConfig(name: string, tune: (config: RunnelConfig) => void = () => {}): { dataDir: string; config: RunnelConfig } {
  const dataDir = mkdtempSync(join(tmpdir(), `runnel-${name}-`));
  const config = defaultConfig();
  config.data_dir = dataDir;
  config.server.host = '127.0.0.1';
  config.server.port = 0;
  // The default HTTP port (8080) is one port for the whole machine: two of these brokers at once
  // (test files run in parallel), or anything else on 8080, failed the start with EADDRINUSE.
  config.http.host = '127.0.0.1';
  config.http.port = 0;
  tune(config);
  return { dataDir, config };
}

/**
 * A single-node broker on 127.0.0.1 with a free port and the default config, changed by `tune`
 * (e.g. a limit the test needs); `name` names its temporary data directory.
 */
export async function startInProcessBroker(name: string, tune: (config: RunnelConfig) => void = () => {}): Promise<InProcessBroker> {
  const { dataDir, config } = inProcessConfig(name, tune);
  const logger = pino({ level: 'silent' });
  const start = async (): Promise<{ node: BrokerNode; client: RawClient }> => {
    const node = await startBrokerNode(config, logger);
    return { node, client: await RawClient.connect({ port: node.port }) };
  };
  const broker: InProcessBroker = {
    ...(await start()),
    dataDir,
    async restart() {
      broker.client.close();
      await broker.node.close();
      Object.assign(broker, await start());
    },
    async close() {
      broker.client.close();
      await broker.node.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return broker;
}
