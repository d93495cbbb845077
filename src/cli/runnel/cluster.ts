// `runnel cluster ...`: membership and the cluster's state, through the brokers' HTTP admin
// API (docs/cli.md lists the routes). Each command finds the admin API from --admin, the
// --config file, or the bootstrap broker's runnel.admin.address. The HTTP client and the config
// loader are imported when a command runs, not at start-up.

import { EXIT_OK, flagInteger, flagString, type Command, type CommandContext } from './command.ts';
import { UsageError, type FlagSpec } from './flags.ts';

const NODE_FLAG: FlagSpec = { name: 'node', type: 'integer', value: 'N', help: 'a broker id (node_id)' };
const GROUP_FLAG: FlagSpec = { name: 'group', type: 'string', value: 'G', help: 'a Raft group: __metadata or <topic>-<partition>' };

/** A broker id from a positional argument: a positive whole number. */
export function parseNodeId(value: string, what: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`${what}: "${value}" is not a broker id (a whole number ≥ 1)`);
  }
  return Number(value);
}

/** The answer of an admin route: JSON as it came, or `key: value` lines for people. */
export function formatResult(result: unknown): string {
  if (result === null || typeof result !== 'object' || Array.isArray(result)) return `${JSON.stringify(result)}\n`;
  const lines = Object.entries(result as Record<string, unknown>).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return `${lines.join('\n')}\n`;
}

async function postAndPrint(ctx: CommandContext, path: string, body: Record<string, unknown>): Promise<number> {
  const admin = await ctx.target.admin();
  const { adminRequest } = await import('./admin-http.ts');
  const result = await adminRequest(admin, 'POST', path, body, ctx.target.httpHeaders);
  ctx.out.stdout(ctx.json ? `${JSON.stringify(result, null, 2)}\n` : formatResult(result));
  return EXIT_OK;
}

export const clusterCommands: Command[] = [
  {
    path: ['cluster', 'status'],
    summary: 'members, their roles in each Raft group, learners catching up',
    details:
      'Asks the bootstrap broker (GET /status on its admin API), then every other member it names, since only a\n' +
      "group's leader knows how far its learners are behind. Members that cannot be asked are marked unreachable.",
    examples: ['runnel cluster status', 'runnel cluster status -b 127.0.0.1:9093 --json'],
    async run(ctx) {
      const { gatherClusterView, formatClusterView } = await import('./cluster-status.ts');
      const view = await gatherClusterView(await ctx.target.admin(), (address, limits) => ctx.target.connect(address, limits), ctx.target.httpHeaders);
      ctx.out.stdout(ctx.json ? `${JSON.stringify(view, null, 2)}\n` : formatClusterView(view));
      return EXIT_OK;
    },
  },
  {
    path: ['cluster', 'join'],
    summary: 'tell a broker started with cluster.discovery manual which member to join through',
    details: "<address> is the Raft address (cluster.raft_address) of any running member. Send it to the NEW broker's admin API.",
    examples: ['runnel --admin 127.0.0.1:8084 cluster join 127.0.0.1:9192', 'runnel -b 127.0.0.1:9095 cluster join 127.0.0.1:9192'],
    args: [{ name: 'address' }],
    run: (ctx) => postAndPrint(ctx, '/cluster/join', { address: ctx.args.get('address')! }),
  },
  {
    path: ['cluster', 'leave'],
    summary: "move a broker's replicas away, then remove it from the cluster (default: the broker asked)",
    examples: ['runnel -b 127.0.0.1:9094 cluster leave', 'runnel cluster leave 3'],
    args: [{ name: 'node', optional: true }],
    run(ctx) {
      const node = ctx.args.get('node');
      return postAndPrint(ctx, '/cluster/leave', node === undefined ? {} : { node: parseNodeId(node, 'cluster leave <node>') });
    },
  },
  {
    path: ['cluster', 'force-leave'],
    summary: 'remove a dead broker from every group; its replicas are re-created on live brokers',
    examples: ['runnel cluster force-leave 3'],
    args: [{ name: 'node' }],
    run: (ctx) => postAndPrint(ctx, '/cluster/force-leave', { node: parseNodeId(ctx.args.get('node')!, 'cluster force-leave <node>') }),
  },
  {
    path: ['cluster', 'unsafe-recover'],
    summary: 'shrink Raft groups that lost a majority of their voters for good to their survivors (can lose data)',
    details:
      'Give --group G for one group, or --node N for every group that had the lost broker N. Acknowledged writes that\n' +
      'no survivor has are lost: the answer says what (docs/cluster.md). Send it to a surviving broker.',
    examples: ['runnel cluster unsafe-recover --group orders-0', 'runnel -b 127.0.0.1:9092 cluster unsafe-recover --node 3'],
    flags: [GROUP_FLAG, NODE_FLAG],
    run(ctx) {
      const group = flagString(ctx.flags, 'group');
      const node = flagInteger(ctx.flags, 'node');
      if ((group === undefined) === (node === undefined)) throw new UsageError('cluster unsafe-recover: give exactly one of --group G or --node N');
      if (node !== undefined && node < 1) throw new UsageError(`cluster unsafe-recover --node: ${node} is not a broker id (a whole number ≥ 1)`);
      return postAndPrint(ctx, '/cluster/unsafe-recover', group !== undefined ? { group } : { node });
    },
  },
];
