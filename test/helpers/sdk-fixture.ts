// The setup the SDK's test files share: one real broker process for the whole file and an SDK
// Cluster (routing, versions) on it, started in the file's `before` and stopped in its `after`,
// so every file starts and stops them the same way and none leaves a broker running.
import { after, before } from 'node:test';
import { Cluster } from '../../src/client/cluster.ts';
import { type BrokerHandle, startBroker, type StartBrokerOptions } from './broker-process.ts';
import { requireExecutable } from './run.ts';

export interface SdkBroker {
  /** The broker process. */
  readonly broker: BrokerHandle;
  /** Its Kafka address, host:port. */
  readonly bootstrap: string;
  /** An SDK Cluster on the broker, for a test's own requests (create topics, write, read back). */
  readonly cluster: Cluster;
}

export interface SdkBrokerOptions {
  /** Programs the file runs, checked before the broker starts: [path, how to install it]. */
  executables?: [path: string, hint: string][];
  broker?: StartBrokerOptions;
  /** Runs in the same `before` once broker and Cluster are up (a second file-level before() may run before this one has finished). */
  onStart?: (sdk: SdkBroker) => void | Promise<void>;
}

/**
 * Registers the file's `before` and `after` hooks; the fields are there from `before` on (reading
 * them earlier throws, naming the mistake).
 */
export function useSdkBroker(options: SdkBrokerOptions = {}): SdkBroker {
  let broker: BrokerHandle | undefined;
  let cluster: Cluster | undefined;
  before(async () => {
    for (const [path, hint] of options.executables ?? []) requireExecutable(path, hint);
    broker = await startBroker(options.broker);
    cluster = new Cluster({ bootstrap: [broker.bootstrap] });
    await options.onStart?.(fixture);
  });
  after(async () => {
    await cluster?.close();
    await broker?.stop();
  });
  const started = <T>(value: T | undefined, name: string): T => {
    if (value === undefined) throw new Error(`useSdkBroker: ${name} is there once the file's before() ran; read it inside a test`);
    return value;
  };
  const fixture: SdkBroker = {
    get broker() {
      return started(broker, 'broker');
    },
    get bootstrap() {
      return started(broker, 'broker').bootstrap;
    },
    get cluster() {
      return started(cluster, 'cluster');
    },
  };
  return fixture;
}
