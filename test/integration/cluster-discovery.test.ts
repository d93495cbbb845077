// issue 11 (discovery): brokers find a running cluster through DNS and through etcd, against a
// DNS server (dnsmasq) and an etcd the test runs on 127.0.0.1. Three founders register in etcd
// (discovery "etcd"); broker 4 knows only a DNS name whose SRV records name the founders
// (runnel-<ordinal> targets, as a StatefulSet's headless service gives), broker 5 only the etcd
// prefix; neither has initial_members. Both join: each appears in Metadata on every broker and
// in etcd, and a clean stop takes a broker's key out of etcd at once (its lease is revoked).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type TestCluster } from '../helpers/cluster.ts';
import { DNSMASQ, DNSMASQ_MISSING, startDnsServer, type DnsServer } from '../helpers/dnsmasq.ts';
import { ETCD, ETCD_MISSING, startEtcd, type EtcdServer } from '../helpers/etcd-server.ts';
import { EtcdClient } from '../../src/discovery/etcd-client.ts';
import { everyBrokerLists } from '../helpers/cluster-metadata.ts';

const PREFIX = '/runnel/discovery-test/';
const SRV_NAME = '_raft._tcp.runnel-headless.test';
const skip = DNSMASQ === null ? DNSMASQ_MISSING : ETCD === null ? ETCD_MISSING : false;

let etcd: EtcdServer | undefined;
let dns: DnsServer | undefined;
let cluster: TestCluster | undefined;

before(async () => {
  if (skip !== false) return;
  etcd = await startEtcd();
});

after(async () => {
  await cluster?.stop();
  await dns?.stop();
  await etcd?.stop();
});

/** The node ids registered under the prefix, from etcd itself. */
async function registered(): Promise<number[]> {
  const kvs = await new EtcdClient([etcd!.url]).rangePrefix(PREFIX);
  return kvs.map((kv) => (JSON.parse(kv.value) as { node_id: number }).node_id).sort((a, b) => a - b);
}

test('a broker found through DNS SRV records and one found through etcd join the running cluster', { skip }, async () => {
  const etcdEnv = {
    RUNNEL_CLUSTER__DISCOVERY__TYPE: 'etcd',
    RUNNEL_CLUSTER__DISCOVERY__ENDPOINTS: etcd!.url,
    RUNNEL_CLUSTER__DISCOVERY__PREFIX: PREFIX,
  };
  cluster = await startCluster({ size: 3, env: etcdEnv });
  await cluster.waitFor('the three founders registered in etcd', async () => (await registered()).join() === '1,2,3', 15_000);

  // The founders as a headless service names them: pod runnel-<ordinal> is node ordinal + 1.
  dns = await startDnsServer({
    hosts: cluster.members.map((m) => [`runnel-${m.nodeId - 1}.runnel-headless.test`, '127.0.0.1'] as const),
    srv: cluster.members.map((m) => [SRV_NAME, `runnel-${m.nodeId - 1}.runnel-headless.test`, Number(m.raftAddress.split(':')[1])] as const),
  });
  const started4 = Date.now();
  await cluster.addJoiner({
    nodeId: 4,
    discovery: 'static',
    env: {
      RUNNEL_CLUSTER__DISCOVERY__TYPE: 'dns',
      RUNNEL_CLUSTER__DISCOVERY__NAME: SRV_NAME,
      RUNNEL_CLUSTER__DISCOVERY__SERVERS: dns.server,
      RUNNEL_CLUSTER__INITIAL_MEMBERS: '[]',
    },
  });
  await cluster.waitFor('broker 4 (dns) in Metadata on every broker', () => everyBrokerLists(cluster!, [1, 2, 3, 4]), 30_000);
  console.log(`# broker 4 (dns): in Metadata on every broker ${Date.now() - started4} ms after its start`);

  const started5 = Date.now();
  await cluster.addJoiner({ nodeId: 5, discovery: 'static', env: { ...etcdEnv, RUNNEL_CLUSTER__INITIAL_MEMBERS: '[]' } });
  await cluster.waitFor('broker 5 (etcd) in Metadata on every broker', () => everyBrokerLists(cluster!, [1, 2, 3, 4, 5]), 30_000);
  console.log(`# broker 5 (etcd): in Metadata on every broker ${Date.now() - started5} ms after its start`);
  assert.deepEqual(await registered(), [1, 2, 3, 5], 'etcd lists the brokers that use it (4 uses DNS)');

  // A clean stop revokes the lease: the key goes now, not a lease later.
  await cluster.member(5).broker.stop();
  assert.deepEqual(await registered(), [1, 2, 3]);
});
