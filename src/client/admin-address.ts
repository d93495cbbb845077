// Finding a Runnel broker's HTTP admin API from its Kafka address: DescribeConfigs on the
// broker's BROKER resource answers the read-only config `runnel.admin.address` (`host:port`
// of its HTTP server). The broker's id is found by its advertised address in DescribeCluster;
// when none matches (the client used another name for it), the empty resource name asks the
// broker that answers, which a Runnel broker takes as itself.

import { describeCluster, describeConfigs } from '../protocol/apis/index.ts';
import { ErrorCode, errorName } from '../protocol/errors.ts';
import type { KafkaConnection } from './connection.ts';

/** The read-only BROKER config naming a broker's HTTP admin server. */
export const ADMIN_ADDRESS_CONFIG = 'runnel.admin.address';
/** DescribeConfigs resource type of a broker. */
const RESOURCE_BROKER = 4;

/** The broker could not tell its admin address; the message says why. */
export class AdminAddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdminAddressError';
  }
}

async function brokerResourceName(connection: KafkaConnection): Promise<string> {
  const cluster = await connection.request(describeCluster, { includeClusterAuthorizedOperations: false });
  const self = cluster.brokers.find((b) => `${b.host}:${b.port}` === connection.address);
  return self ? String(self.brokerId) : '';
}

/** Asks the broker behind `connection` for its runnel.admin.address. */
export async function adminAddressOf(connection: KafkaConnection): Promise<string> {
  const name = await brokerResourceName(connection);
  const response = await connection.request(describeConfigs, {
    resources: [{ resourceType: RESOURCE_BROKER, resourceName: name, configurationKeys: [ADMIN_ADDRESS_CONFIG] }],
  });
  const result = response.results[0];
  if (!result || result.errorCode !== ErrorCode.NONE) {
    const why = result ? `${errorName(result.errorCode)}${result.errorMessage ? `: ${result.errorMessage}` : ''}` : 'no result';
    throw new AdminAddressError(`the broker at ${connection.address} did not describe its configs (${why})`);
  }
  const value = result.configs.find((c) => c.name === ADMIN_ADDRESS_CONFIG)?.value;
  if (!value) {
    throw new AdminAddressError(
      `the broker at ${connection.address} names no ${ADMIN_ADDRESS_CONFIG}: its HTTP server is off (http.enabled false) or it is not a Runnel broker`,
    );
  }
  return value;
}
