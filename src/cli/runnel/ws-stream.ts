// Following one of a broker's WebSocket tails from the command line (`runnel tail --ws`,
// `runnel logs`): the URL from the broker's admin address, the stream's messages handed to the
// command one by one, its notices on stderr, and Ctrl-C as the normal end.

import type { KafkaConnection } from '../../client/connection.ts';
import { adminAddressOf } from '../../client/admin-address.ts';
import { describeCluster } from '../../protocol/apis/index.ts';
import { statusUrl } from '../status.ts';
import { CommandFailed, EXIT_OK, type CommandContext } from './command.ts';
import { connectWebSocket, type WsClient } from './ws-client.ts';

export interface StreamMessage {
  type: string;
  [field: string]: unknown;
}

/** ws://host:port + path for the admin address `address` (host:port or an http(s) URL). */
export function wsUrl(address: string, path: string): string {
  return `${statusUrl(address)
    .replace(/\/status$/, '')
    .replace(/^http/, 'ws')}${path}`;
}

/** The admin address of broker `nodeId`: its Kafka address from DescribeCluster, then its runnel.admin.address. */
export async function adminAddressOfNode(ctx: CommandContext, nodeId: number): Promise<string> {
  const connection = await ctx.target.kafka();
  const cluster = await connection.request(describeCluster, { includeClusterAuthorizedOperations: false });
  const broker = cluster.brokers.find((b) => b.brokerId === nodeId);
  if (!broker) {
    const ids = cluster.brokers.map((b) => b.brokerId).join(', ');
    throw new CommandFailed(`no broker ${nodeId} in the cluster (brokers: ${ids})`);
  }
  const address = `${broker.host}:${broker.port}`;
  if (address === connection.address) return ctx.target.admin();
  let other: KafkaConnection | null = null;
  try {
    other = await ctx.target.connect(address);
    return await adminAddressOf(other);
  } catch (err) {
    throw new CommandFailed(`cannot ask broker ${nodeId} at ${address} for its admin address: ${(err as Error).message}`, { cause: err });
  } finally {
    other?.close();
  }
}

/**
 * Follows the stream at `url`, calling `onMessage` for each message until it returns 'stop', the
 * broker closes the stream, or Ctrl-C. Notices and dropped counts go to stderr. Exit code 0 for
 * an end the user asked for, CommandFailed when the broker refused or ended the stream.
 */
export async function followStream(ctx: CommandContext, url: string, onMessage: (message: StreamMessage) => 'stop' | undefined): Promise<number> {
  let stopRequested = false;
  let socket: WsClient | undefined;
  const ended = new Promise<{ code: number; reason: string }>((resolveEnd, rejectEnd) => {
    connectWebSocket(
      url,
      (data) => {
        let message: StreamMessage;
        try {
          message = JSON.parse(data.toString('utf8')) as StreamMessage;
        } catch {
          ctx.out.stderr('runnel: the broker sent a message that is not JSON; skipped\n');
          return;
        }
        if (message.type === 'dropped') ctx.out.stderr(`runnel: ${String(message.count)} dropped: this client did not keep up with the stream\n`);
        else if (message.type === 'notice' || message.type === 'error') ctx.out.stderr(`runnel: ${String(message.message)}\n`);
        else if (onMessage(message) === 'stop') {
          stopRequested = true;
          socket?.close();
        }
      },
      { headers: ctx.target.httpHeaders },
    ).then(
      (open) => {
        socket = open;
        if (stopRequested) open.close();
        open.on('close', (code, reason) => resolveEnd({ code, reason: reason.toString('utf8') }));
      },
      (err: Error) => rejectEnd(new CommandFailed(`cannot open the stream ${url}: ${err.message}`, { cause: err })),
    );
  });
  const stop = () => {
    stopRequested = true;
    socket?.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const end = await ended;
    if (stopRequested) return EXIT_OK;
    throw new CommandFailed(`the broker ended the stream (code ${end.code}${end.reason ? `: ${end.reason}` : ''})`);
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
}
