// `runnel acl create|list|delete`: ACL bindings through the SDK's Admin client (CreateAcls,
// DescribeAcls, DeleteAcls), the way Kafka's kafka-acls.sh manages them: a principal, an
// operation, a resource (--topic, --group, --cluster or --transactional-id), literal or
// --prefixed, from a --host, allowed or --deny'd. docs/security.md, "ACLs".

import type { AclBinding, AclFilter } from '../../security/acl.ts';
import { flagString, printResult, type Command, type CommandContext } from './command.ts';
import { type FlagSpec, UsageError } from './flags.ts';
import { withAdmin } from './sdk-client.ts';
import { table } from '../table.ts';

const OPERATIONS = ['ALL', 'READ', 'WRITE', 'CREATE', 'DELETE', 'ALTER', 'DESCRIBE', 'CLUSTER_ACTION', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'IDEMPOTENT_WRITE'];

const PRINCIPAL: FlagSpec = { name: 'principal', type: 'string', value: 'User:NAME', help: 'who (User:* = everyone)' };
const OPERATION: FlagSpec = { name: 'operation', type: 'string', value: 'OP[,OP]', help: `what: ${OPERATIONS.join(', ')}` };
const TOPIC: FlagSpec = { name: 'topic', type: 'string', value: 'T', help: 'the resource is topic T (* = every topic)' };
const GROUP: FlagSpec = { name: 'group', type: 'string', value: 'G', help: 'the resource is consumer group G (* = every group)' };
const CLUSTER: FlagSpec = { name: 'cluster', type: 'boolean', help: 'the resource is the cluster (kafka-cluster)' };
const TRANSACTIONAL_ID: FlagSpec = { name: 'transactional-id', type: 'string', value: 'ID', help: 'the resource is transactional id ID' };
const PREFIXED: FlagSpec = { name: 'prefixed', type: 'boolean', help: 'the name is a prefix: every resource whose name starts with it' };
const HOST: FlagSpec = { name: 'host', type: 'string', value: 'IP', help: 'from this client IP only (default * = any host)' };
const DENY: FlagSpec = { name: 'deny', type: 'boolean', help: 'deny instead of allow (a DENY wins over every ALLOW)' };

/** The resource the flags name: exactly one of --topic, --group, --cluster, --transactional-id (or none when `optional`). */
function resourceOf(ctx: CommandContext, optional: boolean): { resourceType: AclBinding['resourceType']; resourceName: string } | null {
  const named: Array<{ resourceType: AclBinding['resourceType']; resourceName: string }> = [];
  const topic = flagString(ctx.flags, 'topic');
  const group = flagString(ctx.flags, 'group');
  const transactionalId = flagString(ctx.flags, 'transactional-id');
  if (topic !== undefined) named.push({ resourceType: 'TOPIC', resourceName: topic });
  if (group !== undefined) named.push({ resourceType: 'GROUP', resourceName: group });
  if (transactionalId !== undefined) named.push({ resourceType: 'TRANSACTIONAL_ID', resourceName: transactionalId });
  if (ctx.flags.get('cluster') === true) named.push({ resourceType: 'CLUSTER', resourceName: 'kafka-cluster' });
  if (named.length > 1) throw new UsageError('name one resource: --topic, --group, --cluster or --transactional-id');
  if (named.length === 0 && !optional) throw new UsageError('name the resource: --topic T, --group G, --cluster or --transactional-id ID');
  return named[0] ?? null;
}

function operationsOf(ctx: CommandContext): AclBinding['operation'][] {
  const given = flagString(ctx.flags, 'operation');
  if (given === undefined || given === '') throw new UsageError(`--operation: name one or more of ${OPERATIONS.join(', ')}`);
  return given.split(',').map((op) => {
    const upper = op.trim().toUpperCase().replace(/-/g, '_');
    if (!OPERATIONS.includes(upper)) throw new UsageError(`--operation: "${op}" is not one of ${OPERATIONS.join(', ')}`);
    return upper as AclBinding['operation'];
  });
}

function principalOf(ctx: CommandContext, optional: boolean): string | null {
  const principal = flagString(ctx.flags, 'principal');
  if (principal === undefined) {
    if (optional) return null;
    throw new UsageError('--principal: say who, e.g. --principal User:alice');
  }
  if (!/^[^:]+:.+$/.test(principal)) throw new UsageError(`--principal: "${principal}" is not TYPE:NAME, e.g. User:alice`);
  return principal;
}

/** The filter of list and delete: what the flags name, everything else any. */
function filterOf(ctx: CommandContext): AclFilter {
  const resource = resourceOf(ctx, true);
  const operation = flagString(ctx.flags, 'operation');
  return {
    resourceType: resource?.resourceType ?? 'ANY',
    resourceName: resource?.resourceName ?? null,
    patternType: resource === null ? 'ANY' : ctx.flags.get('prefixed') === true ? 'PREFIXED' : 'LITERAL',
    principal: principalOf(ctx, true),
    host: flagString(ctx.flags, 'host') ?? null,
    operation: operation === undefined ? 'ANY' : operationsOf(ctx)[0]!,
    permission: ctx.flags.get('deny') === true ? 'DENY' : 'ANY',
  };
}

function bindingsTable(bindings: AclBinding[]): string {
  if (bindings.length === 0) return 'no ACLs\n';
  return table(
    ['PRINCIPAL', 'HOST', 'PERMISSION', 'OPERATION', 'RESOURCE', 'NAME', 'PATTERN'],
    bindings.map((b) => [b.principal, b.host, b.permission, b.operation, b.resourceType, b.resourceName, b.patternType]),
  );
}

export const aclCommands: Command[] = [
  {
    path: ['acl', 'create'],
    summary: 'allow (or --deny) a principal operations on a resource',
    details: 'Needs ALTER on the cluster (a super user has it). ACLs are checked once authorizer.enabled is true.',
    examples: [
      'runnel acl create --principal User:alice --operation READ,DESCRIBE --topic orders',
      'runnel acl create --principal User:alice --operation READ --group app- --prefixed',
      'runnel acl create --principal User:* --operation WRITE --topic logs- --prefixed --host 10.0.0.5',
      'runnel acl create --principal User:mallory --operation ALL --topic * --deny',
    ],
    flags: [PRINCIPAL, OPERATION, TOPIC, GROUP, CLUSTER, TRANSACTIONAL_ID, PREFIXED, HOST, DENY],
    async run(ctx) {
      const resource = resourceOf(ctx, false)!;
      const principal = principalOf(ctx, false)!;
      const bindings: AclBinding[] = operationsOf(ctx).map((operation) => ({
        ...resource,
        patternType: ctx.flags.get('prefixed') === true ? 'PREFIXED' : 'LITERAL',
        principal,
        host: flagString(ctx.flags, 'host') ?? '*',
        operation,
        permission: ctx.flags.get('deny') === true ? 'DENY' : 'ALLOW',
      }));
      await withAdmin(ctx, resource.resourceName, (admin) => admin.createAcls(bindings));
      return printResult(ctx, { created: bindings }, `created ${bindings.length} ACL(s)\n${bindingsTable(bindings)}`);
    },
  },
  {
    path: ['acl', 'list'],
    summary: 'list ACLs (all, or those the flags name)',
    details: 'Needs DESCRIBE on the cluster. With --topic/--group and no --prefixed, lists the literal bindings of that name.',
    examples: ['runnel acl list', 'runnel acl list --principal User:alice', 'runnel acl list --topic orders --json'],
    flags: [PRINCIPAL, OPERATION, TOPIC, GROUP, CLUSTER, TRANSACTIONAL_ID, PREFIXED, HOST, DENY],
    async run(ctx) {
      const filter = filterOf(ctx);
      const bindings = await withAdmin(ctx, filter.resourceName ?? '', (admin) => admin.describeAcls(filter));
      return printResult(ctx, bindings, bindingsTable(bindings));
    },
  },
  {
    path: ['acl', 'delete'],
    summary: 'delete the ACLs the flags name',
    details: 'Needs ALTER on the cluster. Name at least a resource or a principal; every binding that matches all the flags given goes.',
    examples: ['runnel acl delete --principal User:alice --topic orders', 'runnel acl delete --principal User:bob'],
    flags: [PRINCIPAL, OPERATION, TOPIC, GROUP, CLUSTER, TRANSACTIONAL_ID, PREFIXED, HOST, DENY],
    async run(ctx) {
      const filter = filterOf(ctx);
      if (filter.resourceType === 'ANY' && filter.principal === null)
        throw new UsageError('name a resource (--topic, --group, --cluster, --transactional-id) or a --principal');
      const deleted = await withAdmin(ctx, filter.resourceName ?? '', (admin) => admin.deleteAcls([filter]));
      return printResult(ctx, { deleted }, `deleted ${deleted.length} ACL(s)\n${deleted.length > 0 ? bindingsTable(deleted) : ''}`);
    },
  },
];
